"""The local CDN stand-in: real HTTP requests to its edge locations become real-time log lines on
the CDN log stream (moto over HTTP), in the configured order, that the CDN-log reader reads; a
faulted edge answers its status or holds its first byte; a browser on another origin may fetch
and send CMCD headers."""

from __future__ import annotations

import base64
import shutil
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from typing import Any

import pytest
from sluice_tools.local.cdn import CdnStandIn, EdgeFault, content_root
from sluice_tools.local.cdn_log import FLUSH_INTERVAL_S, LogShipper
from support.aws import aws_client, read_stream

from sluice.cdn.config import local_fields
from sluice.cdn.logline import parse_line
from sluice.cdn.requests import to_event

STREAM = "sluice-cdn-logs"
SID = "6e2fb550-c457-11e9-bb97-0800200c9a66"
QUERY_CMCD = f'br=1200,bl=2100,d=1000,ot=v,sf=h,sid="{SID}",cid="test-pattern",mtp=25400,v=1'

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="no ffmpeg (apt-get install ffmpeg)")


@pytest.fixture
def cdn_stream(aws: str) -> str:
    aws_client("kinesis", aws).create_stream(StreamName=STREAM, ShardCount=2)
    return aws


def _stand_in(aws: str, faults: dict[str, EdgeFault] | None = None) -> CdnStandIn:
    return CdnStandIn(content_root(), LogShipper(aws_client("kinesis", aws), STREAM), faults=faults).start()


@pytest.fixture
def cdn(cdn_stream: str) -> Iterator[CdnStandIn]:
    stand_in = _stand_in(cdn_stream)
    yield stand_in
    stand_in.stop()


def _get(url: str, headers: dict[str, str] | None = None, method: str = "GET") -> tuple[int, dict[str, str], bytes]:
    request = urllib.request.Request(url, headers={"User-Agent": "Mozilla/5.0 test", **(headers or {})}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, dict(response.headers.items()), response.read()
    except urllib.error.HTTPError as error:
        return error.code, dict(error.headers.items()), error.read()


def _lines(aws: str, count: int, timeout_s: float = 5.0) -> list[dict[str, Any]]:
    """The stream's lines read in the stand-in's order, once ``count`` have arrived (oldest first)."""
    deadline = time.monotonic() + timeout_s
    while True:
        records = read_stream(aws, STREAM)
        if len(records) >= count or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    lines = [base64.b64decode(r["kinesis"]["data"]) for r in records]
    values = [parse_line(line, local_fields()) for line in lines]
    return sorted(values, key=lambda v: int(v["timestamp"] or 0))


def test_a_get_through_the_stand_in_is_one_line_on_the_cdn_log_stream_the_reader_reads(cdn_stream, cdn):
    # GIVEN the stand-in's first edge, WHEN a player fetches a segment twice with CMCD in the query
    url = f"{cdn.edges['AMS1-C1'].url}/hls/low/seg001.ts?CMCD={urllib.parse.quote(QUERY_CMCD)}"
    started = time.monotonic()
    first = _get(url, {"Origin": "http://player.test"})
    second = _get(url, {"Origin": "http://player.test"})
    # THEN the segment is served, with CORS and CloudFront's headers
    assert first[0] == second[0] == 200
    assert first[2] == second[2] == (content_root() / "hls/low/seg001.ts").read_bytes()
    assert first[1]["Access-Control-Allow-Origin"] == "*"
    assert (first[1]["X-Cache"], second[1]["X-Cache"]) == ("Miss from cloudfront", "Hit from cloudfront")
    assert first[1]["X-Amz-Cf-Pop"] == "AMS1-C1"
    # AND each request is one line on the stream within a second and a flush
    miss, hit = _lines(cdn_stream, 2)
    assert time.monotonic() - started < 1 + 2 * FLUSH_INTERVAL_S + 1
    for line, response in ((miss, first), (hit, second)):
        assert line["x-edge-location"] == "AMS1-C1"
        assert line["x-edge-request-id"] == response[1]["X-Amz-Cf-Id"]
        assert line["sc-status"] == 200
        assert line["cs-method"] == "GET"
        assert line["cs-uri-stem"] == "/hls/low/seg001.ts"
        assert line["cs-uri-query"] == f"CMCD={QUERY_CMCD}"
        assert line["sc-content-len"] == len(response[2])
        assert line["sc-bytes"] > len(response[2])  # the headers too
        assert line["cs-user-agent"] == "Mozilla/5.0 test"
        assert line["cache-behavior-path-pattern"] == "/hls/*"
        assert line["c-ip"] == "127.0.0.1"
        assert line["cmcd-session-id"] == SID
        assert line["cmcd-encoded-bitrate"] == "1200"
        assert line["time-taken"] >= line["time-to-first-byte"]
    assert miss["x-edge-request-id"] != hit["x-edge-request-id"]
    assert (miss["x-edge-result-type"], hit["x-edge-result-type"]) == ("Miss", "Hit")
    assert miss["origin-fbl"] > 0 and hit["origin-fbl"] is None  # only a miss goes to the origin
    assert miss["time-to-first-byte"] >= miss["origin-fbl"]
    # AND the reader makes each a cdn_request event with the request's CMCD and edge
    event = to_event(miss)
    assert event is not None
    assert event["session_id"] == SID
    assert event["content"]["id"] == "test-pattern"
    assert event["payload"]["cdn_edge_location"] == "AMS1-C1"
    assert event["payload"]["cdn_result_type"] == "Miss"
    assert event["payload"]["cmcd_br"] == 1200
    assert event["payload"]["cmcd_mtp"] == 25400


def test_cmcd_headers_are_logged_in_cs_headers_and_their_preflight_is_allowed(cdn_stream, cdn):
    edge = cdn.edges["FRA56-P2"].url
    # GIVEN a page on another origin WHEN it asks to send CMCD headers (a preflight)
    status, headers, _ = _get(
        f"{edge}/dash/chunk-0-00001.m4s",
        {"Origin": "http://player.test", "Access-Control-Request-Headers": "cmcd-object,cmcd-request,cmcd-session"},
        method="OPTIONS",
    )
    assert status == 204
    assert headers["Access-Control-Allow-Headers"] == "cmcd-object,cmcd-request,cmcd-session"
    assert "GET" in headers["Access-Control-Allow-Methods"]
    # AND then sends them with the segment request
    status, _, _ = _get(
        f"{edge}/dash/chunk-0-00001.m4s",
        {"CMCD-Object": "br=400,d=1000,ot=v", "CMCD-Request": "bl=3000", "CMCD-Session": f'sid="{SID}",sf=d'},
    )
    assert status == 200
    preflight, segment = _lines(cdn_stream, 2)
    # THEN the preflight is logged and is not a media request; the segment's CMCD is in cs-headers
    assert preflight["cs-method"] == "OPTIONS" and preflight["sc-status"] == 204
    assert to_event(preflight) is None
    assert f'cmcd-session:sid="{SID}",sf=d' in str(segment["cs-headers"]).lower().split("\n")
    assert segment["cs-uri-query"] is None
    assert segment["x-edge-location"] == "FRA56-P2"
    assert segment["cache-behavior-path-pattern"] == "/dash/*"
    event = to_event(segment)
    assert event is not None
    assert event["session_id"] == SID
    assert event["payload"]["cmcd_br"] == 400
    assert event["payload"]["cmcd_bl"] == 3000


def test_a_faulted_edge_answers_its_status_and_the_line_says_so(cdn_stream):
    # GIVEN AMS1-C1 faulted to 503
    cdn = _stand_in(cdn_stream, {"AMS1-C1": EdgeFault(status=503)})
    try:
        # WHEN a player fetches the manifest there and at another edge
        faulted = _get(cdn.stream_url("hls", "AMS1-C1"))
        healthy = _get(cdn.stream_url("hls", "IAD89-C3"))
    finally:
        cdn.stop()
    # THEN the faulted edge answers 503, with CORS so the player sees the status
    assert faulted[0] == 503
    assert faulted[1]["Access-Control-Allow-Origin"] == "*"
    assert healthy[0] == 200
    lines = {line["x-edge-location"]: line for line in _lines(cdn_stream, 2)}
    assert lines["AMS1-C1"]["sc-status"] == 503
    assert lines["AMS1-C1"]["x-edge-result-type"] == "Error"
    assert lines["IAD89-C3"]["sc-status"] == 200


def test_a_slow_edge_holds_its_first_byte_and_logs_the_time_to_first_byte(cdn_stream):
    # GIVEN FRA56-P2 slow to first byte by 400 ms
    cdn = _stand_in(cdn_stream, {"FRA56-P2": EdgeFault(first_byte_delay_s=0.4)})
    try:
        started = time.monotonic()
        slow = _get(cdn.stream_url("dash", "FRA56-P2"))
        slow_s = time.monotonic() - started
        started = time.monotonic()
        fast = _get(cdn.stream_url("dash", "AMS1-C1"))
        fast_s = time.monotonic() - started
    finally:
        cdn.stop()
    # THEN the object comes, 400 ms late, and the line's time to first byte says it
    assert slow[0] == fast[0] == 200
    assert slow_s >= 0.4 > fast_s
    lines = {line["x-edge-location"]: line for line in _lines(cdn_stream, 2)}
    assert lines["FRA56-P2"]["time-to-first-byte"] >= 0.4
    assert lines["AMS1-C1"]["time-to-first-byte"] < 0.2


def test_a_path_outside_the_content_is_a_404_logged_as_an_error(cdn_stream, cdn):
    status, _, _ = _get(f"{cdn.edges['AMS1-C1'].url}/../../etc/passwd")
    assert status == 404
    (line,) = _lines(cdn_stream, 1)
    assert line["sc-status"] == 404 and line["x-edge-result-type"] == "Error"


def test_lines_the_stream_refuses_are_kept_and_put_on_a_later_flush(aws):
    # GIVEN the stand-in's log delivery to a stream that does not exist yet
    kinesis = aws_client("kinesis", aws)
    shipper = LogShipper(kinesis, STREAM)
    for index in range(1200):  # more than one PutRecords holds (500)
        shipper.add(f"line {index}", f"request-{index}")
    # WHEN it flushes, THEN nothing is written and nothing is lost
    assert shipper.flush() == 0
    assert (shipper.pending, shipper.dropped) == (1200, 0)
    # AND once the stream is there every line is put, one line a record, in three PutRecords
    kinesis.create_stream(StreamName=STREAM, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=STREAM)
    assert shipper.flush() == 1200
    assert shipper.pending == 0
    data = [base64.b64decode(r["kinesis"]["data"]).decode() for r in read_stream(aws, STREAM)]
    assert data == [f"line {index}" for index in range(1200)]
