"""What tells two CMCD reports apart (their event ids), and a key Sluice cannot use dropped from
its report instead of failing it."""

from __future__ import annotations

import pytest

from sluice.cmcd.contract import to_event
from sluice.cmcd.report import parse_report
from sluice.cmcd.structured import canonical, parse_dictionary
from sluice.events.json_mapping import EventMapper

SID = "6e2fb550-c457-11e9-bb97-0800200c9a66"
RECEIVED = 1_795_680_000_500
VIDEO = f'rc=200,sid="{SID}",ts=1795680000000,ttfb=80,ot=v,url="https://cdn.example/v/7.m4s"'


def _event(line: str) -> dict:
    return to_event(parse_report(line), received_ms=RECEIVED, query={})


@pytest.mark.parametrize(
    "other",
    [
        VIDEO.replace("ot=v", "ot=a").replace("/v/", "/a/"),  # the audio segment's report, same ms
        VIDEO.replace("ttfb=80", "ttfb=81"),
        VIDEO + ",bs",
        VIDEO + ',com.example-x="y"',
    ],
)
def test_reports_that_differ_in_anything_have_different_ids(other):
    assert _event(VIDEO)["event_id"] != _event(other)["event_id"]


STALLED = VIDEO + ",bs"


@pytest.mark.parametrize(
    "same",
    [
        " " + STALLED.replace(",", ", ") + " ",  # spacing
        ",".join(reversed(STALLED.split(","))),  # key order
        VIDEO + ",bs=?1",  # a bare key and ?1 are one boolean
    ],
)
def test_the_same_report_however_written_has_one_id(same):
    assert _event(STALLED)["event_id"] == _event(same)["event_id"]


def test_the_normal_form_reads_back_as_itself():
    text = 'pr=1.50,su=?1,bl=(1200;ot=a 1800;ot=v),cid="a\\"b\\\\c",b=:AQI=:,x=?0,ot=v,n=-3'
    normal = canonical(parse_dictionary(text))
    assert normal == 'b=:AQI=:,bl=(1200;ot=a 1800;ot=v),cid="a\\"b\\\\c",n=-3,ot=v,pr=1.5,su,x=?0'
    assert canonical(parse_dictionary(normal)) == normal


@pytest.mark.parametrize("url", ["https://[2001:db8::1/seg.m4s", "https://cdn.example]/seg.m4s", "http://[abc]/x"])
def test_a_url_the_url_parser_refuses_is_dropped_and_said_why(url):
    report = parse_report(f'rc=200,sid="{SID}",ttfb=80,url="{url}"')
    assert "url" not in report.values and report.invalid["url"].startswith("the URL parser refuses it")
    record = EventMapper().to_record(to_event(report, received_ms=RECEIVED, query={}), server_time=RECEIVED)
    assert record["payload"][1]["cmcd_url"] is None and record["payload"][1]["cmcd_ttfb"] == 80
    assert record["cdn"] == {"name": "unknown", "host": None}


def test_a_url_whose_host_is_longer_than_a_dns_name_is_kept_without_a_host():
    url = f"https://{'h' * 300}.example/seg.m4s"
    event = _event(f'rc=200,sid="{SID}",url="{url}"')
    record = EventMapper().to_record(event, server_time=RECEIVED)
    assert record["payload"][1]["cmcd_url"] == url and record["cdn"] == {"name": "unknown", "host": None}
