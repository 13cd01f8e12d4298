"""One reading of QoE across players: a session's attempt, start, stalls, switches and fatal error
counted once whatever mix of SDK events and CMCD keys its player sends (monitor/signals.py)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from support.factories import clean_record

from sluice.cmcd.contract import to_event
from sluice.cmcd.report import parse_report
from sluice.events.json_mapping import EventMapper
from sluice.monitor.aggregate import WindowAggregates

SID = "0b3c4ad2-8f0e-4c41-9d0c-5a3e1f0c2b7a"
T0 = 1_795_680_000_000


def _cmcd(line: str, player: str = "hls.js") -> dict:
    """A report as the monitor reads it off the clean stream."""
    received = T0 + 60_000
    report = parse_report(f'{line},sid="{SID}",cid="movie-1",v=2')
    event = to_event(report, received_ms=received, query={"player": player})
    record = EventMapper().to_record(event, server_time=received)
    record["enrichment"] = None
    return record


def _sdk(event_type: str, at_ms: int, **payload) -> dict:
    record = clean_record(event_type, payload=payload)
    record["session_id"], record["client_time"], record["content"]["id"] = SID, at_ms, "movie-1"
    return record


def _counts(*events: dict) -> dict[str, int]:
    window = WindowAggregates()
    for event in events:
        window.add_event(event)
    return window.everything.counts


def test_dash_js_sends_the_media_start_delay_twice_and_it_is_one_start():
    counts = _counts(
        _cmcd(f"e=ps,sta=s,ts={T0}"),
        _cmcd(f"e=ps,sta=p,ts={T0 + 866},msd=866"),
        _cmcd(f"e=t,sta=p,ts={T0 + 900},msd=866,ot=a"),
    )
    assert (counts["attempts"], counts["video_starts"]) == (1, 1)


def test_the_audio_and_video_reports_of_one_starvation_are_one_stall_and_two_stalls_are_two():
    # GIVEN a player that reports no states: buffer starvation on its audio and video requests
    counts = _counts(
        _cmcd(f"e=t,ts={T0 + 10_000},bs,ot=v,bsd=900"),
        _cmcd(f"e=t,ts={T0 + 10_400},bs,ot=a,bsd=900"),
        _cmcd(f"e=t,ts={T0 + 30_000},bs,ot=v,bsd=700"),
    )
    # THEN two stalls, and the rebuffering time of each counted once (the video's)
    assert (counts["stalls"], counts["rebuffer_ms"]) == (2, 1600)


def test_a_player_that_reports_states_has_its_stalls_from_them_not_from_starvation_flags():
    counts = _counts(
        _cmcd(f"e=ps,sta=p,ts={T0},msd=500"),
        _cmcd(f"e=ps,sta=r,ts={T0 + 10_000}"),
        # the next segment request after the stall, seconds later, still says it starved
        _cmcd(f"e=t,sta=p,ts={T0 + 14_000},bs"),
    )
    assert counts["stalls"] == 1


def test_the_sdk_and_the_players_cmcd_in_one_session_count_each_fact_once():
    # GIVEN the SDK and the player's own CMCD reporting sharing the SDK's session id
    counts = _counts(
        _sdk("session_start", T0, autoplay=False, page_url=None, referrer=None),
        _cmcd(f"e=ps,sta=s,ts={T0 + 5}"),
        _sdk("play", T0 + 870, initial=True, startup_time_ms=870, playhead_ms=0),
        _cmcd(f"e=ps,sta=p,ts={T0 + 866},msd=866"),
        _sdk("buffering_start", T0 + 10_000, cause="stall", playhead_ms=9000),
        _cmcd(f"e=ps,sta=r,ts={T0 + 10_200}"),
    )
    # THEN one attempt, one start (the first startup seen), one stall
    assert (counts["attempts"], counts["video_starts"], counts["stalls"]) == (1, 1, 1)


def test_a_failed_start_is_one_fatal_error_and_one_start_failure_however_it_is_reported():
    # GIVEN dash.js's error event and the fatal state for the same failure, before any frame
    counts = _counts(
        _cmcd(f"e=ps,sta=s,ts={T0}"),
        _cmcd(f"e=e,ec=28,ts={T0 + 3000}"),
        _cmcd(f"e=ps,sta=f,ts={T0 + 3001}"),
    )
    assert (counts["attempts"], counts["fatal_errors"], counts["video_start_failures"]) == (1, 1, 1)


def test_after_the_first_frame_only_the_fatal_state_is_a_fatal_error():
    # dash.js and Shaka send e=e for every failed request, those they recover from too
    counts = _counts(
        _cmcd(f"e=ps,sta=s,ts={T0}"),
        _cmcd(f"e=ps,sta=p,ts={T0 + 700},msd=700"),
        _cmcd(f"e=e,ec=27,sta=p,ts={T0 + 9000}"),
    )
    assert (counts["fatal_errors"], counts["video_start_failures"]) == (0, 0)
    counts = _counts(
        _cmcd(f"e=ps,sta=s,ts={T0}"),
        _cmcd(f"e=ps,sta=p,ts={T0 + 700},msd=700"),
        _cmcd(f"e=ps,sta=f,ts={T0 + 9000}"),
    )
    assert (counts["fatal_errors"], counts["video_start_failures"]) == (1, 0)


def test_a_session_seen_again_in_a_later_window_is_no_new_attempt_and_no_failed_start():
    # GIVEN Shaka (no states) started in an earlier window; in this one, a failed request
    later = _counts(_cmcd(f"e=e,sn=9,ts={T0 + 120_000}"), _cmcd(f"e=bc,sn=10,br=(464),ts={T0 + 121_000}"))
    # THEN no attempt, no fatal error (it cannot tell), and the switch is a switch
    assert (later["attempts"], later["fatal_errors"], later["video_start_failures"]) == (0, 0, 0)
    assert later["bitrate_switches"] == 1
    # AND dash.js's retries of a failed start, past the window its attempt was counted in: nothing
    retries = _counts(*(_cmcd(f"e=e,ec=28,sta=s,sn={n},ts={T0 + 60_000 + n}") for n in range(40, 60)))
    assert (retries["attempts"], retries["fatal_errors"], retries["video_start_failures"]) == (0, 0, 0)


def test_a_startup_across_a_clock_jump_is_no_startup_and_a_report_without_ts_gives_none():
    window = WindowAggregates()
    for line in (f"e=ps,sta=s,ts={T0}", f"e=ps,sta=p,ts={T0 + 90_000_000_000}"):
        window.add_event(_cmcd(line))
    assert window.everything.counts["video_starts"] == 1 and window.everything.startup.count == 0
    window = WindowAggregates()
    for line in (f"e=ps,sta=s,ts={T0}", "e=ps,sta=p"):
        window.add_event(_cmcd(line))
    assert window.everything.counts["video_starts"] == 1 and window.everything.startup.count == 0


def test_rebuffering_while_starting_is_no_stall():
    counts = _counts(
        _cmcd(f"e=ps,sta=s,ts={T0}", "dash.js"),
        _cmcd(f"e=ps,sta=w,ts={T0 + 100}", "dash.js"),  # dash.js waits once before the first frame
        _cmcd(f"e=ps,sta=p,ts={T0 + 400}", "dash.js"),
        _cmcd(f"e=ps,sta=w,ts={T0 + 9000}", "dash.js"),
    )
    assert counts["stalls"] == 1


# What the monitor makes of each player's own reports as captured in chromium (tests/fixtures/cmcd),
# and what it cannot: hls.js posts nothing after a fatal error; Shaka's compiled build reports no
# state (so no stall it rode out); dash.js sends no msd, its startup is read from sta=s to sta=p.
CAPTURED = Path(__file__).resolve().parents[1] / "fixtures" / "cmcd"
PLAYERS = {"hls.js": "hls.js", "dash.js": "dash.js", "shaka": "shaka-player"}
EXPECTED = {
    # file: (attempts, video starts, stalls, fatal errors, start failures)
    "hls.js-stall": (1, 1, 1, 0, 0),
    "dash.js-stall": (1, 1, 1, 0, 0),
    "shaka-stall": (1, 1, 0, 0, 0),  # Shaka's stall is in no report
    "hls.js-fail": (1, 0, 0, 0, 0),  # the fatal error is never posted
    "dash.js-fail": (1, 0, 0, 1, 1),  # e=e,ec=28 once per retry: one fatal error
    "shaka-fail": (1, 0, 0, 1, 1),  # e=e per failed request, no state: the attempt from the failure
}


def _page_startup(name: str) -> int | None:
    header = (CAPTURED / f"{name}.txt").read_text(encoding="utf-8")
    found = re.search(r"startup (\d+) ms", header)
    return int(found.group(1)) if found else None


@pytest.mark.parametrize("name", list(EXPECTED))
def test_each_players_captured_session_counts_as_it_happened(name):
    records = _captured_records(name)
    window = WindowAggregates()
    for record in records:
        window.add_event(record)
    c = window.everything.counts
    counted = (c["attempts"], c["video_starts"], c["stalls"], c["fatal_errors"], c["video_start_failures"])
    assert counted == EXPECTED[name]
    page = _page_startup(name)
    if c["video_starts"] and page:
        # the player's own measure (Shaka's msd) or sta=s to sta=p: within 25% of the page's
        assert window.everything.startup.quantile(0.5) == pytest.approx(page, rel=0.25)


def _captured_records(name: str) -> list[dict]:
    player = PLAYERS[name.split("-", maxsplit=1)[0]]
    records = []
    for line in (CAPTURED / f"{name}.txt").read_text(encoding="utf-8").splitlines():
        if not line or line.startswith("#"):
            continue
        received = T0 + 60_000
        event = to_event(parse_report(line), received_ms=received, query={"player": player})
        record = EventMapper().to_record(event, server_time=received)
        record["enrichment"] = None
        records.append(record)
    return records
