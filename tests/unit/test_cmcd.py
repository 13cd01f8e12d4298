"""CMCD reports read into the contract: version-2 report lines, version-1 query strings and
headers through the same code; only a line that cannot be read is refused, a bad key is dropped
from its report with why, a custom key is kept."""

from __future__ import annotations

import json

import pytest

from sluice.cmcd.contract import to_event
from sluice.cmcd.keys import KEYS
from sluice.cmcd.report import CmcdError, CmcdReport, parse_headers, parse_query, parse_report
from sluice.events.bounds import RecordBounds
from sluice.events.json_mapping import EventMapper

SID = "6e2fb550-c457-11e9-bb97-0800200c9a66"
# As hls.js 1.7 posts a play-state report to an event target (application/cmcd, one per line)
PLAY_STATE = (
    f'e=ps,sid="{SID}",sn=3,sta=s,ts=1795680000000,v=2,sf=h,st=v,cid="movie-1",ot=v,'
    'br=(3200;ot=v 128;ot=a),bl=(21300;ot=v 20000;ot=a),bs,msd=1200,com.example-ab="b"'
)
RECEIVED = 1_795_680_000_500
PLAYER = {"player": "hls.js", "player_version": "1.7.4"}


def _record(line: str, query: dict[str, str] | None = None) -> dict:
    """The report as ingest stores it: mapped, then checked like any player event."""
    event = to_event(parse_report(line), received_ms=RECEIVED, query=PLAYER if query is None else query)
    record = EventMapper().to_record(event, server_time=RECEIVED)
    assert not RecordBounds().problems(record)
    return record


def test_a_version_2_report_becomes_a_typed_cmcd_event():
    record = _record(PLAY_STATE)
    assert (record["event_type"], record["session_id"], record["sequence"]) == ("cmcd", SID, 3)
    assert record["client_time"] == 1795680000000
    assert record["player"] == {"name": "hls.js", "version": "1.7.4"}
    assert record["content"]["id"] == "movie-1" and record["content"]["live"] is False
    name, payload = record["payload"]
    assert name == "sluice.events.CmcdPayload"
    # an inner list keeps the value for the report's own object type (ot=v)
    assert (payload["cmcd_br"], payload["cmcd_bl"]) == (3200, 21300)
    assert payload["cmcd_bs"] is True and payload["cmcd_msd"] == 1200 and payload["cmcd_sta"] == "s"
    assert payload["cmcd_mode"] == "event"
    # a custom key is kept and counted, never a reason to refuse
    assert json.loads(payload["cmcd_custom"]) == {"com.example-ab": "b"} and payload["cmcd_custom_keys"] == 1


def test_a_resent_report_has_the_same_event_id_and_the_next_one_another():
    first, again = _record(PLAY_STATE), _record(PLAY_STATE)
    later = _record(PLAY_STATE.replace("sn=3", "sn=4"))
    assert first["event_id"] == again["event_id"] != later["event_id"]


def test_version_1_in_a_query_string_and_in_headers_reads_the_same():
    from_query = parse_query("seg=12&CMCD=bl%3D21300%2Cbr%3D3200%2Cbs%2Cd%3D4004%2Cot%3Dv%2Csid%3D%22s-1%22")
    from_headers = parse_headers(
        {
            "CMCD-Object": "br=3200,d=4004,ot=v",
            "CMCD-Request": "bl=21300",
            "CMCD-Session": 'sid="s-1"',
            "CMCD-Status": "bs",
        }
    )
    assert (
        from_query.values
        == from_headers.values
        == {
            "bl": 21300,
            "br": 3200,
            "bs": True,
            "d": 4004,
            "ot": "v",
            "sid": "s-1",
        }
    )


@pytest.mark.parametrize(
    ("line", "reason"),
    [
        ("=1,=2", "not CMCD (Structured Field syntax) at character 1: a key starts"),
        ('sid="s,br=3200', "a string is not closed"),
        ('{"event_type": "play"}', "not CMCD (Structured Field syntax) at character 1"),
        ("br=" + "1" * 9000, "a report is at most 8192 bytes"),
    ],
)
def test_only_a_line_that_cannot_be_read_is_refused_with_the_reason(line, reason):
    with pytest.raises(CmcdError) as caught:
        parse_report(line)
    assert reason in str(caught.value)


@pytest.mark.parametrize(
    ("line", "key", "reason"),
    [
        ('sid="s",br="3200"', "br", 'expected an integer, got str "3200"'),
        ('sid="s",sta=z', "sta", "expected one of a, d, e, f, k, p, q, r, s, w, got the token z"),
        ('sid="s",bs=5', "bs", "expected a boolean (the bare key), got int 5"),
        ('sid="s",cid=movie', "cid", 'expected a "string", got the token movie'),
        # dash.js 5 writes ttfb as the epoch-ms time of the first byte, not a duration
        (
            'sid="s",ttfb=1733100000000',
            "ttfb",
            "1733100000000 is above the maximum of 86400000 (an epoch-ms time, not a duration)",
        ),
        ('sid="s",v=0', "v", "0 is below the minimum of 1"),
        ('sid="s",cid=" "', "cid", "must not be blank (as the content.id)"),
        ('sid="s",bl=(11800;v 99999999999;a)', "bl", "a: 99999999999 is above the maximum of 86400000"),
        ('sid="s",bl=()', "bl", "an empty inner list"),
        ('sid="s",pr=1000.5', "pr", "1000.5 is above the maximum of 100"),
        ('sid="s",ec=1.5', "ec", 'expected a "string", a token or an integer, got float 1.5'),
        (f'sid="s",nor="{"n" * 1100}"', "nor", "is 1100 bytes, over the limit of 1024 bytes"),
    ],
)
def test_a_bad_key_is_dropped_with_its_reason_and_the_rest_of_the_report_kept(line, key, reason):
    # GIVEN a report with one key Sluice cannot use, beside a good one
    # WHEN it is read and stored
    record = _record(line + ",br=800" if key != "br" else line + ",d=4000")
    payload = record["payload"][1]
    # THEN the report is stored (the contract's checks pass: _record asserts it) without the key,
    # which is named with why; the good key is kept
    assert payload[f"cmcd_{key}"] is None
    assert payload["cmcd_invalid_keys"] == f"{key}: {reason}"
    assert payload["cmcd_br"] == 800 or payload["cmcd_d"] == 4000


def test_what_a_report_does_not_carry_is_filled_and_said_where_from():
    line = 'sid="s-2",br=800,h="media.fastly.example"'
    record = _record(line, query={})
    assert record["player"] == {"name": "cmcd", "version": "v1"}
    assert record["content"]["id"] == "unknown" and record["cdn"] == {
        "name": "media.fastly.example",
        "host": "media.fastly.example",
    }
    assert record["client_time"] == RECEIVED and record["sequence"] == 0
    assert record["payload"][1]["cmcd_mode"] == "request"


def test_custom_keys_past_their_bound_are_counted_but_not_all_kept():
    custom = ",".join(f'com.example-k{i}="{"x" * 100}"' for i in range(60))
    record = _record(f'sid="s-3",{custom}')
    payload = record["payload"][1]
    assert payload["cmcd_custom_keys"] == 60
    kept = json.loads(payload["cmcd_custom"])
    assert 0 < len(kept) < 60 and len(payload["cmcd_custom"].encode()) <= 4096


def test_a_dropped_url_is_named_on_its_report_with_why():
    payload = _record('sid="s-4",url="https://[2001:db8::1/seg.m4s",br=800')["payload"][1]
    assert payload["cmcd_url"] is None and payload["cmcd_br"] == 800
    assert payload["cmcd_invalid_keys"] == "url: the URL parser refuses it (Invalid IPv6 URL)"


def test_many_invalid_keys_with_long_reasons_are_clipped_within_the_bound():
    # GIVEN a report that lost every known key, each with a long reason (non-ASCII, so a cut
    # could fall inside a character)
    invalid = {key: f"{key} é " + "x" * 500 for key in KEYS}
    report = CmcdReport({"sid": "s-5"}, invalid=invalid, canonical='sid="s-5"')
    # WHEN it becomes the event ingest stores
    event = to_event(report, received_ms=RECEIVED, query=PLAYER)
    record = EventMapper().to_record(event, server_time=RECEIVED)
    # THEN it fits the field's bound, so ingest accepts it
    assert not RecordBounds().problems(record)
    listed = record["payload"][1]["cmcd_invalid_keys"]
    assert len(listed.encode()) <= 2048
    # AND it reads as key: reason entries, in the report's order, each reason short; the last
    # entry says how many more keys were dropped
    entries = listed.split("; ")
    assert len(entries) == 16
    assert [e.split(": ", 1)[0] for e in entries[:15]] == list(KEYS)[:15]
    assert all(e.split(": ", 1)[1].startswith(f"{e.split(':')[0]} é xxx") for e in entries[:15])
    assert all(len(e.split(": ", 1)[1].encode()) <= 96 for e in entries[:15])
    assert entries[15] == f"more: {len(KEYS) - 15} keys not listed"


def test_a_cmcd_session_feeds_the_monitors_qoe_counters():
    from sluice.monitor.aggregate import WindowAggregates

    window = WindowAggregates()
    session = [
        f'e=ps,sid="{SID}",sn=0,sta=s,ts=1795680000000,v=2,cid="movie-1"',
        f'e=ps,sid="{SID}",sn=1,sta=p,ts=1795680001200,v=2,msd=1200',
        f'e=ps,sid="{SID}",sn=2,sta=r,ts=1795680010000,v=2,bs',
        f'e=t,sid="{SID}",sn=7,sta=r,ts=1795680010500,v=2,bs',  # the same stall, in a heartbeat
        f'e=ps,sid="{SID}",sn=3,sta=p,ts=1795680011000,v=2,bsd=800',
        f'e=ps,sid="{SID}",sn=4,sta=f,ts=1795680020000,v=2,pt=19000,ec="HTTP_503"',
    ]
    for line in session:
        record = _record(line + ',cid="movie-1"' if "cid=" not in line else line)
        record["enrichment"] = None
        window.add_event(record)
    counts = window.by_dimension["content"]["movie-1"].counts
    assert (counts["attempts"], counts["video_starts"], counts["stalls"], counts["rebuffer_ms"]) == (1, 1, 1, 800)
    assert (counts["fatal_errors"], counts["video_start_failures"]) == (1, 0)  # after the first frame
    assert (counts["heartbeats"], counts["stalled_heartbeats"]) == (1, 1)
    assert window.by_dimension["content"]["movie-1"].startup.quantile(0.5) == pytest.approx(1200, rel=0.02)


@pytest.mark.parametrize(
    ("line", "kept", "named"),
    [
        # a timestamp in microseconds: 16 digits, past the grammar's 15
        ('sid="s-1",msd=5,ts=1796180952733000', {"sid": "s-1", "msd": 5}, {"ts": "an integer has at most 15 digits"}),
        # a decimal of four places, a non-ASCII string, an uppercase key
        (
            'sid="s-1",pr=1.2345,cid="caf\u00e9",BR=1,bl=900',
            {"sid": "s-1", "bl": 900},
            {"pr": "3 fractional", "cid": "printable ASCII", "member 4": "a key starts"},
        ),
        # an empty member (a doubled or trailing comma)
        ('sid="s-1",br=3200,,d=4,', {"sid": "s-1", "br": 3200, "d": 4}, {}),
    ],
)
def test_a_member_the_grammar_refuses_costs_that_member_not_the_report(line, kept, named):
    report = parse_report(line.encode().decode("unicode_escape"))
    assert {k: report.values[k] for k in kept} == kept
    assert set(report.invalid) == set(named)
    assert all(why in report.invalid[key] for key, why in named.items())
    # a resend is the same report, another report another
    assert parse_report(line.encode().decode("unicode_escape")).canonical == report.canonical
    assert parse_report(line.replace("s-1", "s-2")).canonical != report.canonical


@pytest.mark.parametrize("host", [" ", "a b", "x:y/z", "-cdn.example", "cdn..example"])
def test_a_hostname_that_is_no_host_name_is_dropped_not_stored_as_the_cdn(host):
    record = _record(f'e=ps,sta=p,sid="{SID}",h="{host}",cid="movie-1"')
    assert (record["cdn"]["name"], record["cdn"]["host"]) == ("unknown", None)
    assert record["payload"][1]["cmcd_invalid_keys"].startswith("h: not a host name")
