"""The web SDK's delivery settings and policies: the one source of truth.

``clients/web/src/delivery.generated.js`` is rendered from this module (``sluice schemas render
web-delivery``; a unit test fails when the committed file is stale), so the SDK's defaults, the
cost model's request counting (:mod:`sluice_tools.cost.sources`) and the health simulation's
arrival delay (``sluice health simulate --arrival-delay``) are the same numbers.

Two policies, each a rule a test can replay over a session's timeline:

- ``interval`` (the default): every ``flush_interval_ms`` whatever is queued goes, and a queue of
  ``max_batch`` events goes at once; about 1.3 events a request over generated sessions.
- ``heartbeats``: events wait across several heartbeats, flushed every ``k`` heartbeat intervals
  where ``k`` is as many as fit in one monitor window (and never longer than the window), or at
  ``max_batch``. An event then reaches Sluice at most one monitor window late, so an alert on it is
  delayed by at most one window. The window is the monitor's default
  (:class:`sluice.monitor.evaluator.EvaluationSettings`), derived here, not typed twice; a
  deployment with another ``SLUICE_HEALTH_WINDOW_SECONDS`` gives the SDK ``monitorWindowMs``.

Both flush everything left at page exit (``pagehide``, a hidden page, ``detach``) with ``fetch``
keepalive (else ``navigator.sendBeacon``), in bodies under the browsers' keepalive cap.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, replace
from typing import Any

from sluice.monitor.evaluator import EvaluationSettings

__all__ = [
    "DEFAULT",
    "HEADER",
    "HEARTBEATS_MAX_BATCH",
    "KEEPALIVE_BYTES",
    "MONITOR_WINDOW_MS",
    "POLICIES",
    "DeliveryPolicy",
    "heartbeats_flush_ms",
    "policy",
    "web_delivery_module",
]

# Browsers cap the bodies of keepalive requests in flight at 64 KB (the Fetch standard's
# "inflight keepalive bytes"): a page-exit body stays under it, with room for the headers.
KEEPALIVE_BYTES = 60 * 1024
# The monitor's tumbling window: the bound on how long the heartbeats policy holds an event.
MONITOR_WINDOW_MS = EvaluationSettings().window_seconds * 1000
# The heartbeats policy's largest batch: a minute of one session is about 6 heartbeats and a few
# state changes; 50 events of about 0.9 KB stay under the keepalive cap at page exit.
HEARTBEATS_MAX_BATCH = 50
POLICIES = ("interval", "heartbeats")


@dataclass(frozen=True)
class DeliveryPolicy:
    """How the SDK batches a session's events into requests."""

    name: str
    heartbeat_interval_ms: int
    flush_interval_ms: int  # a flush every this often, from the attach
    max_batch: int  # a queue this long goes at once; a flush sends it this many at a time
    max_queue: int = 500  # bounded memory: the oldest event makes room
    exit_flush: bool = True  # at page exit everything left goes (fetch keepalive, sendBeacon)
    keepalive_bytes: int = KEEPALIVE_BYTES  # a page-exit body's bound

    @property
    def max_delay_ms(self) -> int:
        """The longest an event waits in the page before it is sent."""
        return self.flush_interval_ms


# The SDK's defaults (the interval policy): a flush every 2 s, a heartbeat every 10 s, 10 a batch.
DEFAULT = DeliveryPolicy("interval", heartbeat_interval_ms=10_000, flush_interval_ms=2_000, max_batch=10)


def policy(
    name: str = "interval",
    *,
    heartbeat_interval_ms: int | None = None,
    monitor_window_ms: int = MONITOR_WINDOW_MS,
    flush_interval_ms: int | None = None,
    max_batch: int | None = None,
) -> DeliveryPolicy:
    """The policy ``name`` with the SDK's options, resolved as ``clients/web/src/delivery.js``
    resolves them (``deliveryPolicy``, ``heartbeatIntervalMs``, ``monitorWindowMs``,
    ``flushIntervalMs``, ``batchSize``)."""
    if name not in POLICIES:
        raise ValueError(f"no delivery policy {name!r}: one of {', '.join(POLICIES)}")
    heartbeat = heartbeat_interval_ms or DEFAULT.heartbeat_interval_ms
    if name == "interval":
        return replace(
            DEFAULT,
            heartbeat_interval_ms=heartbeat,
            flush_interval_ms=flush_interval_ms or DEFAULT.flush_interval_ms,
            max_batch=max_batch or DEFAULT.max_batch,
        )
    return DeliveryPolicy(
        "heartbeats",
        heartbeat_interval_ms=heartbeat,
        flush_interval_ms=heartbeats_flush_ms(heartbeat, monitor_window_ms, flush_interval_ms),
        max_batch=max_batch or HEARTBEATS_MAX_BATCH,
    )


def heartbeats_flush_ms(heartbeat_ms: int, window_ms: int, asked_ms: int | None = None) -> int:
    """As many heartbeat intervals as fit in one monitor window (at least one), never longer than
    the window; a shorter interval asked for is kept."""
    bound = min(window_ms, heartbeat_ms * max(1, window_ms // heartbeat_ms))
    return min(asked_ms, bound) if asked_ms else bound


HEADER = (
    "// Generated from sluice_tools.sdk.delivery by `sluice schemas render web-delivery`.\n"
    "// Do not edit: regenerate with `sluice schemas render web-delivery > clients/web/src/delivery.generated.js`.\n"
)


def _settings() -> dict[str, Any]:
    return {
        "heartbeatIntervalMs": DEFAULT.heartbeat_interval_ms,
        "flushIntervalMs": DEFAULT.flush_interval_ms,
        "batchSize": DEFAULT.max_batch,
        "maxQueue": DEFAULT.max_queue,
        "keepaliveBytes": KEEPALIVE_BYTES,
        "monitorWindowMs": MONITOR_WINDOW_MS,
        "heartbeatsMaxBatch": HEARTBEATS_MAX_BATCH,
        "policies": list(POLICIES),
    }


def web_delivery_module() -> str:
    return HEADER + f"export const DELIVERY = {json.dumps(_settings(), indent=2)};\n"
