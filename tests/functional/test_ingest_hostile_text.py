"""Text a sink cannot hold and CMCD reports that used to collide or 5xx, through the ingest stage
against the AWS API emulator: the bad event is that event's rejection (200, named in
``rejected``), its siblings reach the raw stream, and distinct reports keep distinct ids."""

from __future__ import annotations

import io
import json
import time

import pytest
from support.apigateway import body_of, http_api_event
from support.aws import bucket_lines, failed_events, read_stream, stream_events
from support.factories import avro_record, kinesis_event, player_json
from support.stages import ingest_service, processor

from sluice.events.codec import Codec
from sluice.runtime.deadline import Deadline
from sluice.runtime.metrics import Metrics

SID = "6e2fb550-c457-11e9-bb97-0800200c9a66"


def _cmcd(aws, pipeline, lines: list[str], emf: io.StringIO | None = None) -> dict:
    request = http_api_event(
        "\n".join(lines) + "\n", headers={"content-type": "application/cmcd"}, path="/cmcd", query="player=dash.js"
    )
    stage = ingest_service(aws, pipeline)
    stage.metrics = Metrics(dimensions={"Stage": "ingest"}, stream=emf)
    return stage.handle(request, Deadline.after(20))


# As the JSON text arrives: ``\u0000`` is what JSON.stringify writes for a NUL; ``\ud83c`` alone is
# what it writes for a title cut between the two halves of an emoji (🎬 is \ud83c\udfac).
@pytest.mark.parametrize(
    ("escaped", "reason"),
    [
        (
            r"Trailer\u0000",
            "content.title: holds U+0000 (NUL) at character 8, which PostgreSQL and Redshift cannot store",
        ),
        (
            r"Film \ud83c",
            "content.title: holds a lone surrogate U+D83C at character 6 (half of a character), which UTF-8 cannot encode",
        ),
        (
            r"\udfac Film",
            "content.title: holds a lone surrogate U+DFAC at character 1 (half of a character), which UTF-8 cannot encode",
        ),
    ],
)
def test_a_title_no_sink_can_hold_is_that_events_rejection_and_its_siblings_are_stored(aws, pipeline, escaped, reason):
    # GIVEN three events, the middle one's title holding what PostgreSQL or UTF-8 cannot take, the
    # first one's a whole surrogate pair (one character)
    events = [player_json(content={"id": f"c-{i}", "title": f"TITLE{i}"}) for i in range(3)]
    body = json.dumps(events).replace("TITLE1", escaped).replace("TITLE0", r"Film \ud83c\udfac")
    assert escaped in body
    # WHEN they are posted in one request
    response = ingest_service(aws, pipeline).handle(http_api_event(body), Deadline.after(20))
    # THEN 200, that event named with the reason, and its two siblings on the raw stream
    assert response["statusCode"] == 200, response["body"]
    result = body_of(response)
    assert result["accepted"] == 2
    assert result["rejected"] == [
        {"index": 1, "event_id": events[1]["event_id"], "error_type": "SchemaViolationError", "errors": [reason]}
    ]
    stored = {r["event_id"]: r for r in stream_events(aws, pipeline.raw_stream)}
    assert set(stored) == {events[0]["event_id"], events[2]["event_id"]}
    assert stored[events[0]["event_id"]]["content"]["title"] == "Film 🎬"


def test_a_lone_surrogate_in_an_ndjson_line_rejects_that_line_only(aws, pipeline):
    events = [player_json(), player_json(), player_json()]
    lines = [json.dumps(e) for e in events]
    lines[2] = lines[2].replace('"sluice-web"', r'"sluice-web \ud83c"')
    request = http_api_event("\n".join(lines), headers={"content-type": "application/x-ndjson"})
    response = ingest_service(aws, pipeline).handle(request, Deadline.after(20))
    assert response["statusCode"] == 200, response["body"]
    result = body_of(response)
    assert (result["accepted"], [r["index"] for r in result["rejected"]]) == (2, [2])
    assert result["rejected"][0]["errors"] == [
        "player.name: holds a lone surrogate U+D83C at character 12 (half of a character), which UTF-8 cannot encode"
    ]
    assert len(stream_events(aws, pipeline.raw_stream)) == 2


def test_a_nul_already_on_the_raw_stream_is_a_failed_event_not_a_lake_line(aws, pipeline):
    # GIVEN a raw batch written before ingest refused NUL: one title holds U+0000
    now = int(time.time() * 1000)
    good = [avro_record(server_time=now - 2000, client_time=now - 3000) for _ in range(2)]
    bad = avro_record(server_time=now - 2000, client_time=now - 3000)
    bad["content"]["title"] = "Trailer\x00"
    event = kinesis_event([Codec().encode(r) for r in [good[0], bad, good[1]]])
    # WHEN the processor handles it
    assert processor(aws, pipeline).handle(event, Deadline.after(30)) == {"batchItemFailures": []}
    # THEN the good ones flow on; the NUL is a schema failed event, never a lake line
    clean = sorted(r["event_id"] for r in stream_events(aws, pipeline.clean_stream))
    assert clean == sorted(r["event_id"] for r in good)
    (failed,) = failed_events(aws, pipeline.lake_bucket)
    assert (failed.event_id, failed.failure_type, failed.stage) == (bad["event_id"], "schema", "processor")
    assert "content.title: holds U+0000 (NUL) at character 8" in failed.error
    lake = b"\n".join(bucket_lines(aws, pipeline.lake_bucket, ""))
    assert all(r["event_id"].encode() in lake for r in good) and b"Trailer" not in lake


def test_a_cmcd_url_the_url_parser_refuses_is_dropped_and_the_report_stored(aws, pipeline):
    # GIVEN a response report whose url Python's URL parser refuses (an unclosed IPv6 host)
    now = int(time.time() * 1000)
    lines = [
        f'rc=200,sid="{SID}",ts={now - 900},ttfb=120,url="https://[2001:db8::1/seg-1.m4s",ot=v,br=3200',
        f'rc=200,sid="{SID}",ts={now - 800},ttfb=90,url="https://cdn.example/seg-2.m4s",ot=v,br=3200',
    ]
    # WHEN the player posts it with another
    emf = io.StringIO()
    response = _cmcd(aws, pipeline, lines, emf)
    # THEN 200, both stored; the first without its url (and so without a host), the rest kept
    assert response["statusCode"] == 200, response["body"]
    assert body_of(response)["accepted"] == 2 and body_of(response)["rejected"] == []
    stored = sorted(stream_events(aws, pipeline.raw_stream), key=lambda r: r["client_time"])
    first, second = (r["payload"][1] for r in stored)
    assert first["cmcd_url"] is None and first["cmcd_ttfb"] == 120 and first["cmcd_br"] == 3200
    assert stored[0]["cdn"] == {"name": "unknown", "host": None}
    assert second["cmcd_url"] == "https://cdn.example/seg-2.m4s" and stored[1]["cdn"]["host"] == "cdn.example"
    # AND the stored report names the key it lost and why; the other lost none
    assert first["cmcd_invalid_keys"] == "url: the URL parser refuses it (Invalid IPv6 URL)"
    assert second["cmcd_invalid_keys"] is None
    # AND the dropped key is counted where the operator looks (the stage's EMF metrics)
    (metrics,) = [json.loads(line) for line in emf.getvalue().splitlines()]
    assert metrics["CmcdKeysDropped"] == 1


def test_two_cmcd_reports_in_the_same_millisecond_without_sn_are_two_events(aws, pipeline):
    # GIVEN a video and an audio segment's response reports, written in the same millisecond, no sn
    ts = int(time.time() * 1000) - 500
    video = f'rc=200,sid="{SID}",ts={ts},ttfb=80,ot=v,url="https://cdn.example/v/seg-7.m4s"'
    audio = f'rc=200,sid="{SID}",ts={ts},ttfb=40,ot=a,url="https://cdn.example/a/seg-7.m4s"'
    # WHEN they are posted
    response = _cmcd(aws, pipeline, [video, audio])
    # THEN both are on the raw stream under two ids (the processor dedupes on event_id)
    assert (response["statusCode"], body_of(response)["accepted"]) == (200, 2), response["body"]
    first = {r["payload"][1]["cmcd_ot"]: r["event_id"] for r in stream_events(aws, pipeline.raw_stream)}
    assert set(first) == {"v", "a"} and first["v"] != first["a"]
    # AND the player's byte-identical resend (after a 503) carries the same two ids
    assert body_of(_cmcd(aws, pipeline, [video, audio]))["accepted"] == 2
    ids = [r["event_id"] for r in stream_events(aws, pipeline.raw_stream)]
    assert len(ids) == 4 and set(ids) == set(first.values())


def test_what_ingest_stamps_from_the_request_always_fits_the_contract(aws, pipeline):
    # GIVEN a client (not behind CloudFront) writing its own user agent and country headers
    headers = {"user-agent": "Player\x00/1.0 \ud83c", "x-country-code": "ÄÖ"}
    request = http_api_event(json.dumps(player_json()), headers=headers)
    request["requestContext"]["http"]["userAgent"] = headers["user-agent"]
    # WHEN it posts an event
    response = ingest_service(aws, pipeline).handle(request, Deadline.after(20))
    assert (response["statusCode"], body_of(response)["accepted"]) == (200, 1), response["body"]
    # THEN the stamped context holds storable text only (four bytes of country are none at all)
    (stored,) = stream_events(aws, pipeline.raw_stream)
    assert stored["ingest"]["user_agent"] == "Player\ufffd/1.0 \ufffd"
    assert stored["ingest"]["country"] is None
    # AND the processor takes it whole: no failed event
    raw = {"Records": read_stream(aws, pipeline.raw_stream)}
    assert processor(aws, pipeline).handle(raw, Deadline.after(30)) == {"batchItemFailures": []}
    assert [r["event_id"] for r in stream_events(aws, pipeline.clean_stream)] == [stored["event_id"]]
