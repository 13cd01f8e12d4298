"""The web SDK's delivery rule replayed over a session's timeline: which requests it sends and
when, as ``clients/web/src/delivery.js`` does under a :class:`~sluice_tools.sdk.delivery.DeliveryPolicy`.
The cost model counts requests with it (:mod:`sluice_tools.cost.sources`), the health simulation
delays arrivals with it (:mod:`sluice_tools.health.arrival`), and ``tests/browser`` checks it
against what a real page sent.

From the attach, a flush every ``flush_interval_ms`` sends whatever is queued (``max_batch`` at a
time), a queue of ``max_batch`` goes at once, and at page exit (``session_end``) everything left
goes in keepalive bodies under the browsers' cap.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sluice_tools.sdk.delivery import DEFAULT, DeliveryPolicy

__all__ = ["Timeline", "event_ms", "sdk_requests", "sdk_sends", "sessions_of"]


@dataclass(frozen=True)
class Timeline:
    """One session: its events in the order they happened, and when it began and ended (ms)."""

    start_ms: int
    end_ms: int
    events: list[dict[str, Any]]


def event_ms(event: dict[str, Any]) -> int:
    """An event's ``client_time``: epoch ms, or the ISO 8601 text the SDK writes."""
    value = event.get("client_time")
    if isinstance(value, int | float):
        return int(value)
    if isinstance(value, str):
        return int(datetime.fromisoformat(value.replace("Z", "+00:00")).timestamp() * 1000)
    raise ValueError(f"event {event.get('event_id')} has no client_time")


def sessions_of(events: Iterable[dict[str, Any]]) -> list[Timeline]:
    """Each session's timeline: from its ``session_start`` (the attach; else its first event) to its
    ``session_end`` (else its last event)."""
    by_session: dict[str, list[tuple[int, int, dict[str, Any]]]] = defaultdict(list)
    for index, event in enumerate(events):
        by_session[str(event.get("session_id"))].append((event_ms(event), index, event))
    timelines = []
    for stamped in by_session.values():
        stamped.sort(key=lambda s: (s[0], s[2].get("sequence", s[1])))
        ordered = [e for _, _, e in stamped]
        start = next((t for t, _, e in stamped if e.get("event_type") == "session_start"), stamped[0][0])
        end = next((t for t, _, e in stamped if e.get("event_type") == "session_end"), stamped[-1][0])
        timelines.append(Timeline(start, end, ordered))
    return timelines


def sdk_requests(timeline: Timeline, delivery: DeliveryPolicy = DEFAULT) -> list[list[dict[str, Any]]]:
    """The requests the SDK sends for one session under ``delivery``."""
    return [batch for _, batch in sdk_sends(timeline, delivery)]


def sdk_sends(timeline: Timeline, delivery: DeliveryPolicy = DEFAULT) -> list[tuple[int, list[dict[str, Any]]]]:
    """The requests the SDK sends for one session under ``delivery``, each with when it goes (ms):
    a flush tick's time, or the event's that filled a batch or ended the session."""
    sends: list[tuple[int, list[dict[str, Any]]]] = []
    queue: list[dict[str, Any]] = []
    interval = delivery.flush_interval_ms
    next_tick = timeline.start_ms + interval

    def flush(at: int) -> None:
        while queue:
            sends.append((at, queue[: delivery.max_batch]))
            del queue[: delivery.max_batch]

    closing = _closing(timeline.events)
    last = timeline.start_ms
    for position, event in enumerate(timeline.events):
        last = at = event_ms(event)
        # A tick due at the same millisecond fires first: the delivery's timer is set before the
        # session's heartbeat timer, and an event's timestamp is taken after its tick.
        while next_tick <= at:
            flush(next_tick)
            next_tick += interval
        queue.append(event)
        # The SDK holds its flushes while it ends a session (its last heartbeat and session_end
        # go with the page-exit flush, never a plain fetch the browser cancels at unload).
        if len(queue) >= delivery.max_batch and position not in closing:
            flush(at)
        if event.get("event_type") == "session_end":
            break
    if delivery.exit_flush:
        sends += [(last, body) for body in _exit_bodies(queue, delivery.keepalive_bytes)]
    return sends


def _closing(events: list[dict[str, Any]]) -> set[int]:
    """The positions of what the SDK's ``end()`` pushes: session_end, and the heartbeat it sends
    just before (within a millisecond)."""
    for position, event in enumerate(events):
        if event.get("event_type") == "session_end":
            before = events[position - 1] if position else None
            if (
                before is not None
                and before.get("event_type") == "heartbeat"
                and event_ms(event) - event_ms(before) <= 1
            ):
                return {position - 1, position}
            return {position}
    return set()


def _exit_bodies(queue: list[dict[str, Any]], cap: int) -> list[list[dict[str, Any]]]:
    """Page exit: what is left, in bodies under the keepalive cap (at least one event each)."""
    bodies: list[list[dict[str, Any]]] = []
    body: list[dict[str, Any]] = []
    size = 2
    for event in queue:
        line = len(json.dumps(event, separators=(",", ":")))
        if body and size + line >= cap:
            bodies.append(body)
            body, size = [], 2
        body.append(event)
        size += line + 1
    return [*bodies, body] if body else bodies
