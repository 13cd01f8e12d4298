"""The web SDK's delivery rule replayed (sluice_tools.sdk.replay) as clients/web/src/delivery.js
sends: a flush tick, a full batch, and page exit, with the session's closing events held."""

from __future__ import annotations

from sluice_tools.sdk.delivery import DEFAULT
from sluice_tools.sdk.replay import Timeline, sdk_sends


def _event(kind: str, at: int) -> dict:
    return {"event_type": kind, "client_time": at, "session_id": "s"}


def test_a_full_batch_flushes_at_once_and_the_rest_goes_at_the_tick():
    events = [_event("heartbeat", 100 + i) for i in range(DEFAULT.max_batch + 1)] + [_event("playing", 3000)]
    sends = sdk_sends(Timeline(0, 3000, events))
    # the eleventh at the 2 s tick; what is left when the page goes, at page exit
    full = (100 + DEFAULT.max_batch - 1, DEFAULT.max_batch)
    assert [(at, len(body)) for at, body in sends] == [full, (2000, 1), (3000, 1)]


def test_the_closing_heartbeat_and_session_end_go_with_the_exit_flush_even_when_they_fill_a_batch():
    # GIVEN nine events queued since the last tick, then end(): its last heartbeat fills the
    # batch, and session_end comes after it
    events = [_event("playing", 2100 + i) for i in range(DEFAULT.max_batch - 1)]
    events += [_event("heartbeat", 2500), _event("session_end", 2500)]
    sends = sdk_sends(Timeline(0, 2500, events))
    # THEN one request, the exit flush (the SDK holds its flushes while it ends), not a full
    # batch by plain fetch (cancelled at unload) and the session_end alone
    assert [(at, len(body)) for at, body in sends] == [(2500, DEFAULT.max_batch + 1)]
    assert [e["event_type"] for e in sends[0][1]][-2:] == ["heartbeat", "session_end"]
