"""Hostile and odd input, against the AWS API emulator and a real PostgreSQL: a bad event is that
event's rejection, never a stalled request or shard, and what ingest accepts every sink holds."""

from __future__ import annotations

import gzip
import json
import time

import pytest
from sluice_tools.traffic.generator import TrafficConfig, generate
from sqlalchemy import text
from support.apigateway import alb_event, body_of, http_api_event
from support.aws import aws_client, failed_events, notify_queue, read_stream, sqs_event, stream_events
from support.factories import avro_record, kinesis_event, player_json
from support.stages import ingest_service, loader, processor

from sluice.batch.kinesis import UnsupportedTriggerError as NotKinesis
from sluice.events.codec import Codec
from sluice.events.json_mapping import EventMapper
from sluice.ingest.request import UnsupportedTriggerError as NotHttp
from sluice.loader.notifications import UnsupportedTriggerError as NotS3
from sluice.runtime.deadline import Deadline
from sluice.warehouse.tables import FACT_TABLE


def _now_ms() -> int:
    return int(time.time() * 1000)


def _events(sessions: int = 3, seed: int = 1) -> list[dict]:
    start = _now_ms() - 20 * 60_000
    return [json.loads(e.body) for e in generate(TrafficConfig(sessions=sessions, seed=seed, start_ms=start))]


@pytest.mark.parametrize("aggregate", ["none", "kpl"])
@pytest.mark.parametrize("session_id", ["", "   ", "s" * 257])
def test_a_bad_partition_key_is_that_events_rejection_and_its_99_siblings_are_stored(
    aws, pipeline, session_id, aggregate
):
    # GIVEN 100 events, the one in the middle with a session id Kinesis cannot take as a key
    events = [player_json(session_id=f"session-{i}") for i in range(100)]
    events[50]["session_id"] = session_id
    # WHEN they are posted in one request
    response = ingest_service(aws, pipeline, aggregate=aggregate).handle(
        http_api_event(json.dumps(events)), Deadline.after(20)
    )
    # THEN the player gets 200 with that one event named, and the 99 others are on the stream
    assert response["statusCode"] == 200, response["body"]
    result = body_of(response)
    assert result["accepted"] == 99
    (rejected,) = result["rejected"]
    assert rejected["index"] == 50 and rejected["event_id"] == events[50]["event_id"]
    assert rejected["error_type"] == "SchemaViolationError"
    assert rejected["errors"][0].startswith("session_id: ")
    stored = stream_events(aws, pipeline.raw_stream)
    assert sorted(r["event_id"] for r in stored) == sorted(e["event_id"] for i, e in enumerate(events) if i != 50)


def test_a_5000_digit_number_rejects_its_event_not_the_request(aws, pipeline):
    # the middle event's sequence: a 5,000-digit integer (Python refuses to parse over 4,300)
    events = [player_json(sequence=1), player_json(sequence=424242), player_json(sequence=2)]
    raw = json.dumps(events).replace('"sequence": 424242', '"sequence": ' + "7" * 5000)
    assert "7" * 5000 in raw
    response = ingest_service(aws, pipeline).handle(http_api_event(raw), Deadline.after(20))
    assert response["statusCode"] == 200, response["body"]
    result = body_of(response)
    assert result["accepted"] == 2
    assert [r["index"] for r in result["rejected"]] == [1]
    assert "does not fit an Avro long" in result["rejected"][0]["errors"][0]


def test_a_body_of_two_gzip_members_stores_every_event(aws, pipeline):
    events = _events(seed=4)
    half = len(events) // 2
    first = "\n".join(json.dumps(e) for e in events[:half]).encode() + b"\n"
    second = "\n".join(json.dumps(e) for e in events[half:]).encode()
    body = gzip.compress(first) + gzip.compress(second)  # what `cat a.gz b.gz` makes
    request = http_api_event(
        body, headers={"content-encoding": "gzip", "content-type": "application/x-ndjson"}, base64_encoded=True
    )
    response = ingest_service(aws, pipeline).handle(request, Deadline.after(20))
    assert response["statusCode"] == 200, response["body"]
    assert body_of(response)["accepted"] == len(events)
    assert len(stream_events(aws, pipeline.raw_stream)) == len(events)


def test_two_gzip_members_are_still_bounded_in_all(aws, pipeline):
    member = gzip.compress(b" " * 700_000)
    request = http_api_event(member + member, headers={"content-encoding": "gzip"}, base64_encoded=True)
    response = ingest_service(aws, pipeline).handle(request, Deadline.after(20))
    assert response["statusCode"] == 413
    assert "over the limit" in body_of(response)["error"]


def test_behind_an_alb_with_multi_value_headers_the_context_is_complete(aws, pipeline):
    events = _events(seed=6)[:5]
    request = alb_event(
        gzip.compress(json.dumps(events).encode()), headers={"content-encoding": "gzip"}, base64_encoded=True
    )
    response = ingest_service(aws, pipeline).handle(request, Deadline.after(20))
    assert response["statusCode"] == 200, response["body"]
    stored = stream_events(aws, pipeline.raw_stream)
    assert len(stored) == 5
    context = stored[0]["ingest"]
    trace = request["multiValueHeaders"]["x-amzn-trace-id"][0]
    assert context == {
        "request_id": trace,
        "user_agent": request["multiValueHeaders"]["user-agent"][0],
        "country": "FR",
        "client_ip_prefix": "203.0.113.0/24",  # the peer the ALB saw, not what the client wrote
    }


def test_a_source_ip_written_as_a_one_host_network_is_truncated_not_dropped(aws, pipeline):
    request = http_api_event(json.dumps(player_json()), source_ip="192.168.0.1/32")
    assert ingest_service(aws, pipeline).handle(request, Deadline.after(20))["statusCode"] == 200
    (stored,) = stream_events(aws, pipeline.raw_stream)
    assert stored["ingest"]["client_ip_prefix"] == "192.168.0.0/24"


@pytest.mark.parametrize("event", [{}, {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}, {"detail": {}}])
def test_a_trigger_ingest_does_not_handle_fails_loudly_naming_what_came(aws, pipeline, event):
    with pytest.raises(NotHttp, match="got an event with keys"):
        ingest_service(aws, pipeline).handle(event, Deadline.after(5))


def test_records_outside_the_bounds_from_an_older_writer_never_stall_the_shard(aws, pipeline):
    # GIVEN a raw batch (written before ingest enforced the bounds) with a blank session id and a
    # negative rebuffer time among good records
    now = _now_ms()

    def fresh(**overrides):
        return avro_record("heartbeat", server_time=now - 2000, client_time=now - 3000, **overrides)

    good = [fresh() for _ in range(3)]
    blank = fresh()
    blank["session_id"] = "  "
    negative = fresh()
    negative["payload"][1]["rebuffer_time_ms"] = -negative["payload"][1]["watch_time_ms"]
    codec = Codec()
    event = kinesis_event([codec.encode(r) for r in [good[0], blank, good[1], negative, good[2]]])
    # WHEN the processor handles it
    response = processor(aws, pipeline).handle(event, Deadline.after(30))
    # THEN nothing is retried, the two become schema failed events, the good ones flow on
    assert response == {"batchItemFailures": []}
    failed = {f.event_id: f for f in failed_events(aws, pipeline.lake_bucket)}
    assert set(failed) == {blank["event_id"], negative["event_id"]}
    assert all(f.failure_type == "schema" and f.stage == "processor" for f in failed.values())
    assert "session_id: must not be blank" in failed[blank["event_id"]].error
    assert "rebuffer_time_ms" in failed[negative["event_id"]].error
    clean = stream_events(aws, pipeline.clean_stream)
    assert sorted(r["event_id"] for r in clean) == sorted(r["event_id"] for r in good)


@pytest.mark.parametrize("event", [{}, {"Records": [{"eventSource": "aws:sqs", "body": "{}"}]}])
def test_a_kinesis_stage_refuses_a_trigger_that_is_not_kinesis(aws, pipeline, event):
    with pytest.raises(NotKinesis, match="expected"):
        processor(aws, pipeline).handle(event, Deadline.after(5))


def _longest_event() -> dict:
    """An event with every bounded string at its limit, in two-byte characters."""
    event = player_json("session_start", {"autoplay": False, "page_url": "/" + "é" * 1023, "referrer": None})
    event["session_id"] = "ß" * 64
    event["player"] = {"name": "é" * 32, "version": "ü" * 32}
    event["device"].update(id="d" * 128, type="ö" * 16, model="m" * 128)
    event["content"].update(id="ç" * 256, title="ñ" * 256)
    event["cdn"] = {"name": "å" * 32, "host": "h" * 253}
    return event


def test_an_event_at_every_bound_is_accepted_and_reaches_the_warehouse_intact(aws, pipeline, warehouse):
    # GIVEN the warehouse's tables and lake notifications
    from sluice_tools.warehouse.migrate import migrate

    migrate(warehouse)
    queue = notify_queue(aws, pipeline.lake_bucket)
    event = _longest_event()
    # WHEN it goes through ingest, the processor and the loader
    response = ingest_service(aws, pipeline).handle(http_api_event(json.dumps(event)), Deadline.after(20))
    assert (response["statusCode"], body_of(response)["accepted"]) == (200, 1), response["body"]
    raw = {"Records": read_stream(aws, pipeline.raw_stream)}
    assert processor(aws, pipeline).handle(raw, Deadline.after(30)) == {"batchItemFailures": []}
    assert loader(aws, pipeline, warehouse).handle(sqs_event(aws, queue), Deadline.after(30)) == {
        "batchItemFailures": []
    }
    # THEN its row holds every value whole (the processor lower-cases the categories)
    with warehouse.connect() as connection:
        row = connection.execute(
            text(f"SELECT session_id, player_name, content_id, cdn_name, page_url FROM {FACT_TABLE}")
        ).one()
    assert row == (event["session_id"], event["player"]["name"], event["content"]["id"], "å" * 32, "/" + "é" * 1023)
    assert failed_events(aws, pipeline.lake_bucket) == []


def _eventbridge_object_created(bucket: str, key: str, etag: str, size: int) -> dict:
    return {
        "version": "0",
        "id": "17793124-05d4-b198-2fde-7ededc63b103",
        "detail-type": "Object Created",
        "source": "aws.s3",
        "account": "123456789012",
        "time": "2026-11-26T08:00:00Z",
        "region": "eu-west-1",
        "resources": [f"arn:aws:s3:::{bucket}"],
        "detail": {
            "version": "0",
            "bucket": {"name": bucket},
            "object": {"key": key, "size": size, "etag": etag, "sequencer": "0064D3901D00059242"},
            "request-id": "XRRTKJXSZQCWNQR1",
            "requester": "123456789012",
            "reason": "PutObject",
        },
    }


def _lake_object(aws, pipeline, key: str, events: list[dict]) -> dict:
    mapper, now = EventMapper(), _now_ms()
    lines = []
    from sluice.artifacts.columns import compact_row

    for value in events:
        record = mapper.to_record(value, server_time=now)
        lines.append(json.dumps(compact_row(record)).encode())
    s3 = aws_client("s3", aws)
    put = s3.put_object(Bucket=pipeline.lake_bucket, Key=key, Body=b"\n".join(lines) + b"\n")
    return _eventbridge_object_created(pipeline.lake_bucket, key, put["ETag"].strip('"'), len(lines))


def test_eventbridge_object_created_direct_and_through_sqs_is_loaded(aws, pipeline, warehouse):
    direct_events, queued_events = _events(seed=11)[:4], _events(seed=12)[:3]
    direct = _lake_object(aws, pipeline, "events/direct.json", direct_events)
    stage = loader(aws, pipeline, warehouse)
    assert stage.handle(direct, Deadline.after(30)) == {"batchItemFailures": []}
    queued = _lake_object(aws, pipeline, "events/queued.json", queued_events)
    sqs = {"Records": [{"messageId": "m-1", "body": json.dumps(queued), "eventSource": "aws:sqs"}]}
    assert stage.handle(sqs, Deadline.after(30)) == {"batchItemFailures": []}
    with warehouse.connect() as connection:
        rows = {r[0] for r in connection.execute(text(f"SELECT event_id FROM {FACT_TABLE}"))}
    assert rows == {e["event_id"] for e in direct_events + queued_events}


@pytest.mark.parametrize(
    ("event", "named"),
    [
        ({}, "got []"),
        ({"detail": {"x": 1}}, "got ['detail']"),
        ({"Records": [{"eventSource": "aws:kinesis"}]}, "'aws:kinesis'"),
    ],
)
def test_the_loader_refuses_a_trigger_it_does_not_handle_naming_what_came(aws, pipeline, warehouse, event, named):
    with pytest.raises(NotS3) as caught:
        loader(aws, pipeline, warehouse).handle(event, Deadline.after(5))
    assert named in str(caught.value)


def test_a_notification_naming_an_object_s3_cannot_be_asked_for_becomes_a_failed_event(aws, pipeline, warehouse):
    # GIVEN a direct S3 notification whose key S3 cannot take (empty: botocore refuses the request)
    event = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": pipeline.lake_bucket}, "object": {"key": "", "size": 1, "eTag": "abc"}},
            }
        ]
    }
    # WHEN the loader handles it
    response = loader(aws, pipeline, warehouse).handle(event, Deadline.after(30))
    # THEN nothing is retried, and the object is reported rather than skipped in silence
    assert response == {"batchItemFailures": []}
    (failed,) = failed_events(aws, pipeline.lake_bucket)
    assert (failed.failure_type, failed.stage, failed.error_code) == ("format", "loader", "UnrequestableObject")
    assert "ParamValidationError" in failed.error and failed.source == f"s3://{pipeline.lake_bucket}/"
