"""How each source's events reach Sluice: the requests they take, counted by replaying sessions
through the client's own delivery rule.

- ``sdk``: the web SDK's delivery rule (:mod:`sluice_tools.sdk.replay`) with its settings from
  :mod:`sluice_tools.sdk.delivery` (the one source the SDK's generated module is rendered from),
  replayed over each session.
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

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sluice_tools.sdk.delivery import DEFAULT, DeliveryPolicy
from sluice_tools.sdk.replay import Timeline, event_ms, sdk_requests, sessions_of

__all__ = [
    "CMCD_REPORTING",
    "INGEST_PATH",
    "SOURCES",
    "CmcdReporting",
    "cmcd_reports",
    "cmcd_requests",
    "ingest_only",
    "requests_for",
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
