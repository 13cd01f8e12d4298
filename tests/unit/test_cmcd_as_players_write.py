"""CMCD read as players write it (issue 21): multi-value keys typed by a bare object-type
parameter (dash.js 5) or ``;ot=`` (the specification), error codes written as integers, reports
without ``sid`` stored under an inferred session, and no key that can refuse its report."""

from __future__ import annotations

import json
import random
from datetime import date

import pytest

from sluice.cmcd.contract import to_event
from sluice.cmcd.keys import KEYS, OBJECT_TYPES, Kind
from sluice.cmcd.report import parse_report
from sluice.cmcd.session import inferred_session_id
from sluice.events.bounds import RecordBounds, field_bounds
from sluice.events.json_mapping import EventMapper

RECEIVED = 1_795_680_000_500  # 2026-11-26 08:00 UTC
CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"


BOUNDS, MAPPER = RecordBounds(), EventMapper()


def _payload(line: str, **viewer) -> dict:
    return _record(line, **viewer)["payload"][1]


def _record(line: str, received: int = RECEIVED, **viewer) -> dict:
    """As ingest stores it: read, mapped, then checked like any player event (never refused)."""
    event = to_event(parse_report(line), received_ms=received, query={"player": "dash.js"}, **viewer)
    record = MAPPER.to_record(event, server_time=received)
    assert not BOUNDS.problems(record)
    return record


@pytest.mark.parametrize(
    ("bl", "own", "scalar", "typed"),
    [
        # dash.js 5: the object type as a bare parameter
        ("(11800;v 9700;a)", ",ot=a", 9700, {"v": 11800, "a": 9700}),
        ("(11800;ot=v 9700;ot=a)", ",ot=a", 9700, {"v": 11800, "a": 9700}),  # the specification's ;ot=
        ("(9700;a 11800;v)", "", 11800, {"a": 9700, "v": 11800}),  # no ot of its own: the video value
        ("(9700;a 11800;av)", ",ot=m", 11800, {"a": 9700, "av": 11800}),  # not its ot, no v: av
        ("(9700;a 11800;tt)", "", 9700, {"a": 9700, "tt": 11800}),  # nor av: the first
    ],
)
def test_a_multi_value_key_keeps_every_value_with_its_type(bl, own, scalar, typed):
    payload = _payload(f'sid="s-1",bl={bl},br=(3200;v 128;a){own}')
    assert payload["cmcd_bl"] == scalar
    by_type = json.loads(payload["cmcd_by_object_type"])
    assert by_type["bl"] == typed
    assert by_type["br"] == {"v": 3200, "a": 128}
    assert payload["cmcd_invalid_keys"] is None


def test_a_report_without_a_typed_inner_list_has_no_by_type_field():
    payload = _payload('sid="s-1",bl=11800,ot=v,br=(3200 128)')
    assert (payload["cmcd_bl"], payload["cmcd_br"], payload["cmcd_by_object_type"]) == (11800, 3200, None)


def test_every_multi_value_key_with_every_type_at_its_maximum_fits_the_by_type_field():
    # GIVEN every multi-value key with every object type, each value at its bound's maximum
    bounds = field_bounds()
    lists = [k for k, kind in KEYS.items() if kind is Kind.INNER_LIST]

    def items(key: str) -> str:
        return " ".join(f"{int(bounds[f'cmcd_{key}'].maximum)};{t}" for t in sorted(OBJECT_TYPES))

    payload = _payload('sid="s-1",' + ",".join(f"{key}=({items(key)})" for key in lists))
    # THEN all of it is kept, within the field's bound (and stored: _record checks it)
    text = payload["cmcd_by_object_type"]
    assert len(text.encode()) <= 2048
    kept = json.loads(text)
    assert list(kept) == lists and all(len(v) == len(OBJECT_TYPES) for v in kept.values())


@pytest.mark.parametrize(
    ("ec", "stored"),
    [("28", "28"), ("HTTP_503", "HTTP_503"), ('"MEDIA_ERR_DECODE"', "MEDIA_ERR_DECODE"), ('(28 "E2" t3)', "28,E2,t3")],
)
def test_an_error_code_is_kept_as_its_text_however_written(ec, stored):
    # dash.js 5's fatal error report: e=e,ec=28
    payload = _payload(f'e=e,sid="s-1",sta=f,ts=1795680000000,ec={ec}')
    assert (payload["cmcd_e"], payload["cmcd_ec"], payload["cmcd_invalid_keys"]) == ("e", stored, None)


def test_a_report_without_sid_is_stored_under_a_session_of_the_viewer_content_and_day():
    line = 'e=ps,sta=s,ts=1795680000000,cid="movie-1",v=2'
    viewer = {"network": "198.51.100.0/24", "user_agent": CHROME}
    first = _record(line, **viewer)
    # the same viewer's next report, from another address of the same /24
    same = _record('e=ps,sta=p,ts=1795680001200,cid="movie-1",v=2,msd=900', network="198.51.100.77", user_agent=CHROME)
    other_browser = _record(line, network="198.51.100.0/24", user_agent=FIREFOX)
    other_title = _record(line.replace("movie-1", "movie-2"), **viewer)
    next_day = _record(line, received=RECEIVED + 86_400_000, **viewer)
    assert first["payload"][1]["cmcd_session_inferred"] is True
    assert first["session_id"] == same["session_id"]
    assert len({r["session_id"] for r in (first, other_browser, other_title, next_day)}) == 4
    # the rule is one function, which the CDN-log reader calls too
    assert first["session_id"] == inferred_session_id("198.51.100.9", CHROME, "movie-1", date(2026, 11, 26))


def test_two_viewers_identical_reports_without_sid_are_two_events():
    line = "e=ps,sta=p,ts=1795680000000,v=2"
    a = _record(line, network="198.51.100.0/24", user_agent=CHROME)
    b = _record(line, network="203.0.113.0/24", user_agent=CHROME)
    assert (
        a["event_id"] != b["event_id"]
        and a["event_id"] == _record(line, network="198.51.100.0/24", user_agent=CHROME)["event_id"]
    )


def test_a_report_with_sid_is_not_inferred():
    record = _record('sid="s-9",sta=p', network="198.51.100.0/24", user_agent=CHROME)
    assert record["session_id"] == "s-9" and record["payload"][1]["cmcd_session_inferred"] is False


@pytest.mark.parametrize(
    ("sid", "reason"),
    [
        ("s" * 200, "sid: is 200 bytes, over the limit of 128 bytes"),
        ("  ", "sid: must not be blank (as the session_id)"),
    ],
)
def test_an_unusable_sid_is_dropped_with_its_reason_and_the_session_inferred(sid, reason):
    record = _record(f'sid="{sid}",sta=p,cid="movie-1"', network="198.51.100.0/24", user_agent=CHROME)
    payload = record["payload"][1]
    assert payload["cmcd_sid"] is None and payload["cmcd_invalid_keys"] == reason
    assert payload["cmcd_session_inferred"] is True
    assert record["session_id"] == inferred_session_id("198.51.100.0/24", CHROME, "movie-1", date(2026, 11, 26))


def test_names_from_the_collector_url_are_clipped_not_refused():
    event = to_event(parse_report('sid="s"'), received_ms=RECEIVED, query={"player": "d" * 300, "player_version": " "})
    record = EventMapper().to_record(event, server_time=RECEIVED)
    assert not RecordBounds().problems(record)
    assert record["player"] == {"name": "d" * 64, "version": "v1"}


def _random_value(rng: random.Random) -> str:
    choices = [
        lambda: str(rng.choice([0, -1, 1, 28, 86_400_001, 1733100000000, 999_999_999_999_999])),
        lambda: rng.choice(["1.5", "-0.25", "1000.125"]),
        lambda: '"' + rng.choice(["", " ", "x", "x" * 300, "https://[::1/x", "https://cdn.example/s.m4s"]) + '"',
        lambda: rng.choice(["v", "a", "z", "HTTP_503", "f", "ps"]),
        lambda: rng.choice(["?0", "?1", ":AQI=:"]),
        lambda: (
            "("
            + " ".join(
                f"{rng.choice([1, 9700, 1733100000000])};{rng.choice(['v', 'a', 'ot=av', 'x'])}"
                for _ in range(rng.randint(0, 3))
            )
            + ")"
        ),
    ]
    return rng.choice(choices)()


def test_no_key_of_any_value_refuses_its_report():
    # GIVEN reports of known keys with values of every type and size, in and out of bound
    rng = random.Random(21)
    for _ in range(400):
        keys = rng.sample(sorted(KEYS), rng.randint(1, 12))
        line = ",".join(f"{key}={_random_value(rng)}" for key in keys)
        # WHEN each is read and stored THEN none is refused (_record asserts the contract's checks)
        record = _record(line, network="198.51.100.0/24", user_agent=CHROME)
        payload = record["payload"][1]
        kept = {key for key in keys if payload[f"cmcd_{key}"] is not None}
        listed = payload["cmcd_invalid_keys"] or ""
        # AND every key is either kept or named with its reason
        assert all(key in kept or f"{key}: " in listed for key in keys), (line, listed)
