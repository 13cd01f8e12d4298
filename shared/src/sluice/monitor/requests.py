"""What one CDN request says about its session's health: a ``cdn_request`` event, one line of
CloudFront's real-time logs (``sluice.cdn.requests``), read for what a request can tell, and named
for it. A request is not a player's report: the first request of a session is not its first
frame, a failed request is not a failed playback (a player retries, or moves to another rendition),
so nothing here is counted as an attempt, a start, a startup time or a fatal error.

- a *media request*, and a *media request error* when its status is 400 or more (CloudFront's
  000, the viewer gone before the response, is neither a success nor an error);
- a *session seen in requests*: the first of its requests in the window; and one *whose first
  requests all failed* when its first ``FIRST_REQUESTS`` requests in the window were all errors
  (a player retries a failed segment, so three failures in a row with nothing served is a viewer
  who saw nothing; a session already playing when the window opened counts its first requests in
  the window, as the window's state holds nothing of the window before);
- a *stall* (``request_stalls``): CMCD ``bs`` (buffer starvation since the previous request), once
  per moment of a session (its audio and its video request both carry it);
- the *requested bitrate* (CMCD ``br`` of video requests) and its *switches*: a session's video
  ``br`` changing from one request to its next in the window (the first of each window is no
  switch: a change across a window's end is not counted);
- the *measured throughput* (CMCD ``mtp``); the edge's *time to first byte*, and the origin's
  *first-byte latency* of the requests CloudFront took to the origin.

Sampling: CloudFront logs a configured share of requests (``cdn_sampling_rate``, 1-100, stamped by
the processor). Counters are kept as sampled, so every rate and every significance test is the
sample's own; ``sampling_rate_total`` (each request's rate, summed) gives the rate that the counts
shown are scaled by (``qoe.py``, 100 / rate).
"""

from __future__ import annotations

from typing import Any

from sluice.monitor.signals import SessionFacts, Signals

__all__ = [
    "CDN_REQUEST",
    "ERROR_STATUS",
    "FIRST_REQUESTS",
    "FULL_SAMPLING",
    "MAX_RENDITIONS",
    "VIDEO_OBJECTS",
    "VIEWER_GONE",
    "payload_of",
    "read",
]

CDN_REQUEST = "cdn_request"  # sluice.cdn.requests.EVENT_TYPE (not imported: the stream handler stays lean)
ERROR_STATUS = 400
VIEWER_GONE = 0  # CloudFront's 000
FULL_SAMPLING = 100
# A player retries a failed request two or three times before it gives up or switches.
FIRST_REQUESTS = 3
# Sessions whose last requested bitrate the window keeps: a digest (12 hex characters) and a
# bitrate in JSON, about 24 bytes each, 120 KB of Lambda's 1 MB window state at most. A shard at
# its full 1,000 records a second, with a request every 2 to 6 s per session (audio and video),
# sees about 4,000 sessions in a minute's window; past the room, a session's switches go uncounted.
MAX_RENDITIONS = 5_000
VIDEO_OBJECTS = frozenset({"v", "av"})


def payload_of(event: dict[str, Any]) -> dict[str, Any]:
    """The payload's fields: decoded from Avro it is ``(record name, fields)``, a dict as
    ``sluice.cdn.requests.to_event`` makes it."""
    payload = event.get("payload")
    if isinstance(payload, tuple | list):
        return dict(payload[1] or {})
    return payload or {}


def read(event: dict[str, Any], facts: SessionFacts) -> Signals:
    s = Signals()
    s.add("events")
    p = payload_of(event)
    session = event["session_id"]
    s.add("media_requests")
    s.add("sampling_rate_total", p.get("cdn_sampling_rate") or FULL_SAMPLING)
    status = p.get("cdn_status")
    failed = status is not None and status >= ERROR_STATUS
    if failed:
        s.add("media_request_errors")
    if facts.first(session, "requested"):
        s.add("request_sessions")
    if status is not None and status != VIEWER_GONE:
        _first_requests(s, session, failed, facts)
    # Its own fact, apart from the CMCD reports' stalls: a session's reports and requests both say it.
    if p.get("cmcd_bs") and facts.new_moment(session, "request_stall", event["client_time"]):
        s.add("request_stalls")
    bitrate = p.get("cmcd_br")
    if bitrate is not None and _video(p):
        s.add("requested_bitrate_kbps_total", bitrate)
        s.add("requested_bitrate_requests")
        if facts.switched(session, bitrate, MAX_RENDITIONS):
            s.add("requested_bitrate_switches")
    throughput = p.get("cmcd_mtp")
    if throughput is not None:
        s.add("measured_throughput_kbps_total", throughput)
        s.add("measured_throughput_requests")
    s.first_byte_ms = p.get("cdn_time_to_first_byte_ms")
    s.origin_first_byte_ms = p.get("cdn_origin_first_byte_ms")
    return s


def _first_requests(s: Signals, session: str, failed: bool, facts: SessionFacts) -> None:
    """Up to ``FIRST_REQUESTS`` facts per session: it was served, or its first, second, third
    request failed (the third counts it)."""
    if facts.known(session, "served"):
        return
    if not failed:
        facts.first(session, "served")
        return
    for nth in range(1, FIRST_REQUESTS + 1):
        if facts.first(session, f"failed#{nth}"):
            if nth == FIRST_REQUESTS:
                s.add("request_sessions_first_failed")
            return


def _video(p: dict[str, Any]) -> bool:
    """A video (or muxed) request: CMCD ``ot``, else the response's type. An audio request's
    ``br`` is the audio rendition's, and would read as a switch at every segment."""
    kind = p.get("cmcd_ot")
    if kind is not None:
        return kind in VIDEO_OBJECTS
    return str(p.get("cdn_content_type") or "").startswith("video/")
