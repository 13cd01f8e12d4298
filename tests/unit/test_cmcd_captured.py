"""Every CMCD report hls.js 1.7.4, dash.js 5.2.1 and Shaka 5.2.12 (compiled) posted in Debian's
chromium, exactly as sent (tests/fixtures/cmcd, notes in the files' ``#`` header lines): each is
read and stored, none refused; what the reader drops from them is what the players write wrong."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from sluice.cmcd.contract import to_event
from sluice.cmcd.report import parse_report
from sluice.events.bounds import RecordBounds
from sluice.events.json_mapping import EventMapper

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cmcd"
CAPTURES = sorted(FIXTURES.glob("*.txt"))
RECEIVED = 1_796_177_300_000  # just after the captures (2026-12-02)
BOUNDS, MAPPER = RecordBounds(), EventMapper()


def captured(path: Path) -> list[str]:
    """The report lines of a capture, in arrival order (``#`` lines are the capture's notes)."""
    return [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]


def _stored(line: str) -> dict:
    event = to_event(parse_report(line), received_ms=RECEIVED, query={}, network="198.51.100.0/24", user_agent="UA")
    record = MAPPER.to_record(event, server_time=RECEIVED)
    assert not BOUNDS.problems(record), line
    return record


def test_every_player_and_scenario_was_captured():
    assert {p.stem for p in CAPTURES} >= {
        "dash.js-default",
        "dash.js-fail",
        "dash.js-stall",
        "hls.js-default",
        "hls.js-fail",
        "hls.js-stall",
        "shaka-fail",
        "shaka-stall",
    }


@pytest.mark.parametrize("path", CAPTURES, ids=lambda p: p.stem)
def test_every_captured_report_is_read_and_stored(path):
    # GIVEN every report a player posted, exactly as sent
    lines = captured(path)
    assert lines
    # WHEN each is read and mapped THEN none is refused, and none fails the contract (_stored)
    dropped = {}
    for line in lines:
        payload = _stored(line)["payload"][1]
        if payload["cmcd_invalid_keys"]:
            dropped[line] = payload["cmcd_invalid_keys"]
    # AND the only key dropped is dash.js's ttfb, an epoch-ms time where CMCD says a duration
    assert all(
        reason.startswith("ttfb: ") and reason.endswith("(an epoch-ms time, not a duration)")
        for reason in dropped.values()
    )
    assert bool(dropped) == (path.stem == "dash.js-refused-400")


def test_dash_js_audio_reports_keep_the_audio_value_and_both_types():
    # GIVEN dash.js's response report for an audio segment (ot=a, values typed ;v ;a)
    (line,) = [x for x in captured(FIXTURES / "dash.js-refused-400.txt") if ",sn=17," in x][:1]
    payload = _stored(line)["payload"][1]
    # THEN the scalar fields hold the audio values, the by-type field both
    assert (payload["cmcd_ot"], payload["cmcd_bl"], payload["cmcd_br"]) == ("a", 4600, 64)
    by_type = json.loads(payload["cmcd_by_object_type"])
    assert by_type["bl"] == {"v": 6600, "a": 4600} and by_type["tb"] == {"v": 1200, "a": 64}
    # AND the rest of the report is kept without its ttfb (the time of the first byte)
    assert payload["cmcd_ttfb"] is None and payload["cmcd_ttlb"] == 19 and payload["cmcd_rc"] == 200


def test_dash_js_fatal_error_reports_keep_their_integer_code():
    lines = [x for x in captured(FIXTURES / "dash.js-fail.txt") if x.startswith("bl=") and "e=e," in x]
    payloads = [_stored(line)["payload"][1] for line in lines]
    assert payloads and {(p["cmcd_e"], p["cmcd_ec"], p["cmcd_sta"]) for p in payloads} == {("e", "28", "s")}


def test_dash_js_default_reports_without_sid_are_one_viewers_session_and_distinct_events():
    # GIVEN dash.js configured as the README showed before issue 21: e, ts, v only (no sid, no cid)
    records = [_stored(line) for line in captured(FIXTURES / "dash.js-default.txt")]
    # THEN one inferred session for the viewer, and every report its own event
    assert len({r["session_id"] for r in records}) == 1
    assert all(r["payload"][1]["cmcd_session_inferred"] for r in records)
    assert len({r["event_id"] for r in records}) == len(records)


def test_hls_js_untyped_single_item_lists_are_the_value():
    # hls.js writes br=(400), bl=(3900), mtp=(12700): one item, no object type
    payloads = [_stored(line)["payload"][1] for line in captured(FIXTURES / "hls.js-stall.txt")]
    assert any(p["cmcd_br"] in (400, 1200) for p in payloads)
    assert all(p["cmcd_by_object_type"] is None and p["cmcd_invalid_keys"] is None for p in payloads)
