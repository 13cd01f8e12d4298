"""How each source's events reach Sluice: the requests they take, counted by replaying sessions
through the client's own delivery rule.

- ``sdk``: the web SDK (``clients/web/src/delivery.js``) with its settings from
  :mod:`sluice_tools.sdk.delivery` (the one source the SDK's generated module is rendered from):
  from the attach, a flush every ``flush_interval_ms`` sends whatever is queued (``max_batch`` at
  a time), a queue of ``max_batch`` goes at once, and at page exit (``session_end``) everything left
  goes in keepalive bodies under the browsers' cap.
- ``cmcd``: the players' own CMCD v2 event reports as the README configures them (``interval: 10,
  batchSize: 1``: one report a request): a ``t`` report every interval of the session, a ``ps``
  at each play-state change, ``bc`` at a rendition switch, ``e`` at an error.
- ``cdn-logs``: CloudFront real-time log lines: one line per media request, read off the log
  stream by the processor; no request reaches ingest (:func:`skips_ingest`).
- ``file``: a user's own events (``--traffic``), replayed through the SDK's rule.

A test in ``tests/browser`` plays real sessions and checks the ``sdk`` and ``cmcd`` counts
against the requests the page sent.
"""

from __future__ import annotations

import json
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sluice_tools.sdk.delivery import DEFAULT, DeliveryPolicy

__all__ = [
    "CMCD_REPORTING",
    "INGEST_PATH",
    "SOURCES",
    "CmcdReporting",
    "Timeline",
    "cmcd_reports",
    "cmcd_requests",
    "event_ms",
    "ingest_only",
    "requests_for",
    "sdk_requests",
    "sdk_sends",
    "sessions_of",
    "skips_ingest",
]

SOURCES = ("sdk", "cmcd", "cdn-logs", "file")
# The SDK's events that are a CMCD play-state change (CMCD v2 ``ps``: starting, playing, paused,
# seeking, rebuffering, ended); its rendition switch is ``bc`` and its error ``e``.
_PLAY_STATE = frozenset({"session_start", "play", "pause", "seek", "buffering_start", "buffering_end", "session_end"})
_CMCD_KEY = {"bitrate_change": "bc", "error": "e", **{t: "ps" for t in _PLAY_STATE}}


@dataclass(frozen=True)
class CmcdReporting:
    """A CMCD v2 event target's reporting, as the README's block configures every player's."""

    interval_s: int = 10  # ``t`` reports
    batch_size: int = 1  # reports a request (hls.js never sends a shorter last batch: 1 sends each)


CMCD_REPORTING = CmcdReporting()


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

    last = timeline.start_ms
    for event in timeline.events:
        last = at = event_ms(event)
        # A tick due at the same millisecond fires first: the delivery's timer is set before the
        # session's heartbeat timer, and an event's timestamp is taken after its tick.
        while next_tick <= at:
            flush(next_tick)
            next_tick += interval
        queue.append(event)
        if len(queue) >= delivery.max_batch:
            flush(at)
        if event.get("event_type") == "session_end":
            break
    if delivery.exit_flush:
        sends += [(last, body) for body in _exit_bodies(queue, delivery.keepalive_bytes)]
    return sends


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


def cmcd_reports(timeline: Timeline, reporting: CmcdReporting = CMCD_REPORTING) -> list[tuple[int, str]]:
    """The reports a player sends for a session (time, CMCD event key): a ``t`` at the start and
    every interval after it, and one per play-state change, rendition switch and error."""
    reports = [
        (event_ms(e), _CMCD_KEY[str(e["event_type"])]) for e in timeline.events if e.get("event_type") in _CMCD_KEY
    ]
    step = reporting.interval_s * 1000
    # The first ``t`` as reporting starts, then one each interval (hls.js's CmcdReporter.start).
    ticks = (timeline.end_ms - timeline.start_ms) // step + 1
    reports += [(timeline.start_ms + k * step, "t") for k in range(ticks)]
    return sorted(reports)


def cmcd_requests(reports: int, reporting: CmcdReporting = CMCD_REPORTING) -> int:
    """Requests for a session's ``reports`` (a last short batch is not sent: hls.js)."""
    return reports // reporting.batch_size


def requests_for(
    source: str, events: Sequence[dict[str, Any]], delivery: DeliveryPolicy = DEFAULT
) -> list[list[dict[str, Any]]]:
    """``events`` grouped into the requests ``source`` sends them in (the cost model's sample).

    ``cmcd`` and ``cdn-logs`` send one event a request: a CMCD report each (``batchSize: 1``), a
    log line each (one per media request)."""
    if source in ("sdk", "file"):
        return [r for timeline in sessions_of(events) for r in sdk_requests(timeline, delivery)]
    if source == "cmcd":
        size = CMCD_REPORTING.batch_size
        return [list(events[i : i + size]) for i in range(0, len(events), size)]
    if source == "cdn-logs":
        return [[event] for event in events]
    raise ValueError(f"no source {source!r}: one of {', '.join(SOURCES)}")


def skips_ingest(source: str) -> bool:
    """The CDN's log lines reach the processor off their own stream, never through the edge, the
    API or ingest: none of those is paid for them."""
    return source == "cdn-logs"


# What only a request to ingest pays for (service, item prefix): the edge's requests and bodies,
# the API, the ingest function and the raw stream it writes.
INGEST_PATH = (
    ("CloudFront", "HTTPS requests"),
    ("CloudFront", "request bodies"),
    ("WAF", "requests inspected"),
    ("API Gateway", ""),
    ("Lambda", "ingest "),
    ("Kinesis", "raw stream"),
)


def ingest_only(service: str, item: str) -> bool:
    """A price line only a request to ingest pays for (the CDN's log lines pay the CDN path's)."""
    return any(service == s and item.startswith(i) for s, i in INGEST_PATH)
