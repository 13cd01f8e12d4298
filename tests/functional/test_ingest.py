"""The ingest stage against the AWS API emulator: what a player gets back, and what lands on the
raw stream."""

from __future__ import annotations

import gzip
import json
import time

import pytest
from sluice_tools.traffic.generator import TrafficConfig, generate
from support.apigateway import body_of, http_api_event, rest_api_event
from support.aws import read_stream, stream_events
from support.factories import player_json
from support.fault_proxy import Rule, closed_port_url, fault_proxy
from support.stages import ingest_service

from sluice.events.codec import Codec
from sluice.runtime.deadline import Deadline

PUT_RECORDS = "Kinesis_20131202.PutRecords"


def _events(sessions: int = 3, seed: int = 1) -> list[dict]:
    start = int(time.time() * 1000) - 20 * 60_000
    return [json.loads(e.body) for e in generate(TrafficConfig(sessions=sessions, seed=seed, start_ms=start))]


def test_a_json_array_from_an_http_api_is_stamped_and_written(aws, pipeline):
    events = _events()
    request = http_api_event(json.dumps(events), headers={"cloudfront-viewer-country": "de"}, source_ip="198.51.100.23")
    response = ingest_service(aws, pipeline).handle(request, Deadline.after(20))
    assert response["statusCode"] == 200
    body = body_of(response)
    assert body == {"request_id": request["requestContext"]["requestId"], "accepted": len(events), "rejected": []}
    stored = stream_events(aws, pipeline.raw_stream)
    assert sorted(r["event_id"] for r in stored) == sorted(e["event_id"] for e in events)
    ingest = stored[0]["ingest"]
    assert ingest == {
        "request_id": request["requestContext"]["requestId"],
        "user_agent": request["headers"]["user-agent"],
        "country": "DE",
        "client_ip_prefix": "198.51.100.0/24",
    }
    assert "198.51.100.23" not in json.dumps([r["ingest"] for r in stored])
    assert all(r["server_time"] >= r["client_time"] for r in stored)


def test_gzip_base64_ndjson_from_a_rest_api(aws, pipeline):
    events = _events(seed=2)
    ndjson = "\n".join(json.dumps(e) for e in events).encode()
    request = rest_api_event(
        gzip.compress(ndjson),
        headers={"Content-Encoding": "gzip", "Content-Type": "application/x-ndjson"},
        base64_encoded=True,
    )
    response = ingest_service(aws, pipeline).handle(request, Deadline.after(20))
    assert response["statusCode"] == 200, response["body"]
    assert body_of(response)["accepted"] == len(events)
    stored = stream_events(aws, pipeline.raw_stream)
    assert len(stored) == len(events)
    assert stored[0]["ingest"]["client_ip_prefix"] == "2001:db8:85a3::/48"


def test_one_json_object(aws, pipeline):
    response = ingest_service(aws, pipeline).handle(http_api_event(json.dumps(player_json())), Deadline.after(20))
    assert (response["statusCode"], body_of(response)["accepted"]) == (200, 1)


def test_partly_valid_request_writes_the_valid_events_and_names_the_rejected(aws, pipeline):
    good = _events()[:4]
    bad_type = player_json()
    bad_type["payload"]["bitrate_kbps"] = "abc"
    missing = player_json()
    del missing["session_id"]
    body = [good[0], bad_type, good[1], missing, good[2], good[3]]
    response = ingest_service(aws, pipeline).handle(http_api_event(json.dumps(body)), Deadline.after(20))
    assert response["statusCode"] == 200
    result = body_of(response)
    assert result["accepted"] == 4
    assert result["rejected"] == [
        {
            "index": 1,
            "event_id": bad_type["event_id"],
            "error_type": "SchemaViolationError",
            "errors": ['payload.bitrate_kbps: expected long, got "abc"'],
        },
        {
            "index": 3,
            "event_id": missing["event_id"],
            "error_type": "SchemaViolationError",
            "errors": ["session_id: required field is missing"],
        },
    ]
    assert sorted(r["event_id"] for r in stream_events(aws, pipeline.raw_stream)) == sorted(e["event_id"] for e in good)


def test_a_client_cannot_post_the_events_only_sluices_readers_write(aws, pipeline):
    # GIVEN a client forging an edge location's failure and a CMCD report as JSON events
    good = _events()[0]
    forged_cdn = player_json("cdn_request", {"cdn_edge_location": "AMS1-C1", "cdn_status": 503})
    forged_cmcd = player_json("cmcd", {"cmcd_mode": "event", "cmcd_e": "e"})
    body = [forged_cdn, good, forged_cmcd]
    # WHEN it posts them to /events
    response = ingest_service(aws, pipeline).handle(http_api_event(json.dumps(body)), Deadline.after(20))
    # THEN each forged one is refused, saying where such events come from; the player's is kept
    result = body_of(response)
    assert (response["statusCode"], result["accepted"]) == (200, 1)
    assert [(r["index"], r["errors"]) for r in result["rejected"]] == [
        (0, ["event_type: CDN requests are read from the CDN's real-time logs, never sent by a client"]),
        (2, ["event_type: CMCD reports are read from CMCD: POST them to /cmcd as the player writes them"]),
    ]
    assert [r["event_id"] for r in stream_events(aws, pipeline.raw_stream)] == [good["event_id"]]


def test_no_valid_event_is_a_400_listing_each(aws, pipeline):
    lines = ['{"event_type":"teleport"}', "{not json", json.dumps(player_json(sequence="x"))]
    response = ingest_service(aws, pipeline).handle(
        http_api_event("\n".join(lines), headers={"content-type": "application/x-ndjson"}), Deadline.after(20)
    )
    assert response["statusCode"] == 400
    result = body_of(response)
    assert [r["index"] for r in result["rejected"]] == [0, 1, 2]
    assert result["rejected"][1]["error_type"] == "MalformedJsonError"
    assert result["rejected"][1]["errors"] == [
        "invalid JSON at line 1 column 2: Expecting property name enclosed in double quotes"
    ]
    assert stream_events(aws, pipeline.raw_stream) == []


@pytest.mark.parametrize(
    ("request_event", "status", "message"),
    [
        (http_api_event('[{"event_id": 1,'), 400, "request body is not valid JSON: invalid JSON at line 1 column 17"),
        (http_api_event(""), 400, "request body is empty"),
        (http_api_event("x" * 5000), 413, "over the limit of 4096 bytes (SLUICE_MAX_BODY_BYTES)"),
        (
            http_api_event(json.dumps([{}] * 11)),
            413,
            "request holds 11 events, over the limit of 10 per request (SLUICE_MAX_EVENTS_PER_REQUEST)",
        ),
        (
            http_api_event(
                gzip.compress(b"[" + b" " * 100_000 + b"]"), headers={"content-encoding": "gzip"}, base64_encoded=True
            ),
            413,
            "decompressed body is over the limit of 4096 bytes",
        ),
        (
            http_api_event(b"not gzip at all", headers={"content-encoding": "gzip"}, base64_encoded=True),
            400,
            "body is not valid gzip",
        ),
        (
            http_api_event(b"{}", headers={"content-encoding": "br"}, base64_encoded=True),
            415,
            "Content-Encoding 'br' is not supported",
        ),
        ({**http_api_event("{}"), "body": "@@@", "isBase64Encoded": True}, 400, "not valid base64"),
        (http_api_event("{}", method="GET"), 405, "method GET is not allowed"),
    ],
)
def test_bad_requests_get_a_4xx_naming_the_problem(aws, pipeline, request_event, status, message):
    response = ingest_service(aws, pipeline, max_body_bytes=4096, max_events_per_request=10).handle(
        request_event, Deadline.after(20)
    )
    assert response["statusCode"] == status
    assert message in body_of(response)["error"]
    assert response["headers"]["access-control-allow-origin"] == "*"


def test_an_oversized_event_is_rejected_by_itself(aws, pipeline):
    big = player_json(content={"id": "c", "title": "x" * 3000})
    response = ingest_service(aws, pipeline, max_event_bytes=2048).handle(
        http_api_event(json.dumps([player_json(), big])), Deadline.after(20)
    )
    result = body_of(response)
    assert (response["statusCode"], result["accepted"]) == (200, 1)
    assert result["rejected"][0]["error_type"] == "OversizedEventError"
    assert "over the per-event limit of 2048 bytes" in result["rejected"][0]["errors"][0]


def test_cors_preflight(aws, pipeline):
    stage = ingest_service(aws, pipeline, cors_allow_origins=("https://watch.example", "https://tv.example"))
    response = stage.handle(
        http_api_event("", method="OPTIONS", headers={"origin": "https://watch.example"}), Deadline.after(5)
    )
    assert response["statusCode"] == 204
    assert response["headers"]["access-control-allow-origin"] == "https://watch.example"
    # an origin not listed gets no CORS header: the browser keeps the answer from that page
    other = stage.handle(
        http_api_event("", method="OPTIONS", headers={"origin": "https://evil.example"}), Deadline.after(5)
    )
    assert "access-control-allow-origin" not in other["headers"]
    assert "POST" in response["headers"]["access-control-allow-methods"]
    assert "content-encoding" in response["headers"]["access-control-allow-headers"]


def test_throttled_entries_are_retried_and_stored_exactly_once(aws, pipeline):
    events = _events(sessions=4)
    with fault_proxy(aws) as proxy:
        proxy.add(Rule(PUT_RECORDS, "fail_entries", calls=2, select=lambda i, entry: i % 3 == 0))
        response = ingest_service(proxy.url, pipeline).handle(http_api_event(json.dumps(events)), Deadline.after(20))
    assert proxy.injected > 0
    assert response["statusCode"] == 200
    assert body_of(response)["accepted"] == len(events)
    stored = [r["event_id"] for r in stream_events(aws, pipeline.raw_stream)]
    assert sorted(stored) == sorted(e["event_id"] for e in events)


def test_entries_that_keep_failing_make_a_503_with_exactly_their_indexes(aws, pipeline):
    events = _events()[:6]
    doomed = {events[1]["event_id"], events[4]["event_id"]}
    with fault_proxy(aws) as proxy:
        proxy.add(
            Rule(
                PUT_RECORDS,
                "fail_entries",
                calls=10_000,
                select=lambda i, entry: (
                    Codec().decode(__import__("base64").b64decode(entry["Data"]))["event_id"] in doomed
                ),
            )
        )
        response = ingest_service(proxy.url, pipeline).handle(http_api_event(json.dumps(events)), Deadline.after(1.5))
    assert response["statusCode"] == 503
    assert response["headers"]["retry-after"] == "5"
    result = body_of(response)
    assert result["not_accepted"] == [1, 4]
    assert result["accepted"] == 4
    stored = {r["event_id"] for r in stream_events(aws, pipeline.raw_stream)}
    assert stored == {e["event_id"] for e in events} - doomed


def test_kinesis_down_is_a_503_with_every_valid_index_and_the_rejections(aws, pipeline):
    body = [player_json(), player_json(sequence="x"), player_json()]
    response = ingest_service(closed_port_url(), pipeline).handle(http_api_event(json.dumps(body)), Deadline.after(1.0))
    assert response["statusCode"] == 503
    assert "retry-after" in response["headers"]
    result = body_of(response)
    assert result["not_accepted"] == [0, 2]
    assert result["accepted"] == 0
    assert [r["index"] for r in result["rejected"]] == [1]


def test_kpl_aggregation_packs_many_events_per_record(aws, pipeline):
    events = _events(sessions=5)
    response = ingest_service(aws, pipeline, aggregate="kpl").handle(
        http_api_event(json.dumps(events)), Deadline.after(20)
    )
    assert body_of(response)["accepted"] == len(events)
    raw = read_stream(aws, pipeline.raw_stream)
    assert len(raw) < len(events) / 10
    assert sorted(r["event_id"] for r in stream_events(aws, pipeline.raw_stream)) == sorted(
        e["event_id"] for e in events
    )


def test_the_handler_reads_its_configuration_and_endpoint_from_the_environment(aws, pipeline, monkeypatch):
    from sluice_ingest import handler

    from sluice.aws.clients import client

    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)
    monkeypatch.setenv("SLUICE_RAW_STREAM", pipeline.raw_stream)
    client.cache_clear()
    handler._service.cache_clear()
    try:
        from support.aws import FakeContext

        response = handler.handle(http_api_event(json.dumps([player_json(), player_json()])), FakeContext())
    finally:
        client.cache_clear()
        handler._service.cache_clear()
    assert (response["statusCode"], body_of(response)["accepted"]) == (200, 2)
    assert len(stream_events(aws, pipeline.raw_stream)) == 2


def test_no_input_at_all_produces_a_5xx(aws, pipeline):
    """Garbage bodies, wrong shapes and broken encodings: always a 4xx, never a 5xx."""
    import random

    rng = random.Random(7)
    samples = [
        b"",
        b"null",
        b"5",
        b"[]",
        b'[null, 1, "x"]',
        b'{"payload": []}',
        b"\xff\xfe\x00",
        b"[" * 5000,
        b'{"a":' * 200,
    ]
    samples += [bytes(rng.getrandbits(8) for _ in range(rng.randint(1, 400))) for _ in range(150)]
    samples += [json.dumps(player_json())[: rng.randint(1, 300)].encode() for _ in range(50)]
    service = ingest_service(closed_port_url(), pipeline)  # nothing valid may even try to write
    for index, body in enumerate(samples):
        for event in (
            http_api_event(body, base64_encoded=True),
            http_api_event(body, base64_encoded=True, headers={"content-encoding": "gzip"}),
        ):
            response = service.handle(event, Deadline.after(1))
            assert 400 <= response["statusCode"] < 500, (index, body[:60], response["body"][:200])


def test_cmcd_reports_on_their_own_route_are_stored_as_cmcd_events_and_a_bad_key_dropped(aws, pipeline):
    # GIVEN hls.js's event reports for one session (application/cmcd, one per line), one with a
    # key of the wrong type
    sid = "6e2fb550-c457-11e9-bb97-0800200c9a66"
    now = int(time.time() * 1000)
    lines = [
        f'e=ps,sid="{sid}",sn=0,sta=s,ts={now - 3000},v=2,sf=h,cid="movie-1"',
        f'e=ps,sid="{sid}",sn=1,sta=p,ts={now - 1800},v=2,msd=1200,br=(3200;ot=v),ot=v',
        f'e=ps,sid="{sid}",sn=2,sta=r,ts={now - 900},v=2,bs,bl=0,br="high"',
    ]
    request = http_api_event(
        "\n".join(lines) + "\n",
        headers={"content-type": "application/cmcd"},
        path="/cmcd",
        query="player=hls.js&player_version=1.7.4",
    )
    # WHEN they reach ingest's /cmcd route
    response = ingest_service(aws, pipeline).handle(request, Deadline.after(20))
    # THEN every report is accepted; the bad key is dropped from its report, named with the reason
    assert response["statusCode"] == 200
    body = body_of(response)
    assert (body["accepted"], body["rejected"], body["unreadable"]) == (3, [], 0)
    stored = sorted(stream_events(aws, pipeline.raw_stream), key=lambda r: r["sequence"])
    assert [(r["event_type"], r["session_id"], r["sequence"]) for r in stored] == [
        ("cmcd", sid, 0),
        ("cmcd", sid, 1),
        ("cmcd", sid, 2),
    ]
    assert stored[1]["player"] == {"name": "hls.js", "version": "1.7.4"}
    assert stored[1]["payload"][1]["cmcd_msd"] == 1200 and stored[1]["payload"][1]["cmcd_br"] == 3200
    assert stored[2]["payload"][1]["cmcd_br"] is None and stored[2]["payload"][1]["cmcd_bs"] is True
    assert stored[2]["payload"][1]["cmcd_invalid_keys"] == 'br: expected an integer, got str "high"'
    # AND the player's resend of the same reports (after a 503) carries the same event ids
    again = ingest_service(aws, pipeline).handle(
        http_api_event("\n".join(lines[:2]), path="/cmcd", query="player=hls.js&player_version=1.7.4"),
        Deadline.after(20),
    )
    assert body_of(again)["accepted"] == 2
    ids = [r["event_id"] for r in stream_events(aws, pipeline.raw_stream)]
    assert len(ids) == 5 and len(set(ids)) == 3
