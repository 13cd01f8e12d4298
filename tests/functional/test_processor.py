"""The processor against the AWS API emulator: raw records in (as Lambda's Kinesis integration
delivers the real GetRecords output); lake objects, clean-stream records and failed events out."""

from __future__ import annotations

import base64
import json
import time
from collections import Counter

import aws_kinesis_agg.aggregator as official_aggregator
import pytest
from sluice_tools.traffic.generator import TrafficConfig, generate
from support.apigateway import http_api_event
from support.aws import FakeContext, bucket_lines, failed_events, kinesis_events_by_shard, read_stream, stream_events
from support.factories import avro_record, encoded, kinesis_event, kinesis_trigger_record
from support.fault_proxy import Rule, closed_port_url, fault_proxy
from support.stages import ingest_service, processor

from sluice.batch.kinesis import BatchFailedError
from sluice.events.codec import MAGIC, Codec
from sluice.runtime.deadline import Deadline

PUT_RECORD_BATCH = "Firehose_20150804.PutRecordBatch"
PUT_RECORDS = "Kinesis_20131202.PutRecords"


def _now_ms() -> int:
    return int(time.time() * 1000)


def _lake(aws, pipeline) -> list[dict]:
    return [json.loads(line) for line in bucket_lines(aws, pipeline.lake_bucket, "events/")]


def _fresh(event_type="heartbeat", **overrides):
    """A record encoded as ingest writes it, a few seconds old."""
    now = _now_ms()
    record = avro_record(event_type, server_time=now - 2000, client_time=now - 3000, **overrides)
    record["ingest"] = {
        "request_id": "r-1",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "country": "GB",
        "client_ip_prefix": "198.51.100.0/24",
    }
    return record


def _fresh_encoded(event_type="heartbeat", **overrides) -> bytes:
    return Codec().encode(_fresh(event_type, **overrides))


def test_ingest_to_lake_clean_stream_and_failed_events(aws, pipeline):
    # GIVEN players sending a few sessions, some events spoilt
    generated = list(generate(TrafficConfig(sessions=12, seed=21, bad_rate=0.12, start_ms=_now_ms() - 20 * 60_000)))
    bodies = [g.body for g in generated]
    ingest = ingest_service(aws, pipeline)
    response = ingest.handle(
        http_api_event("\n".join(bodies), headers={"content-type": "application/x-ndjson"}), Deadline.after(20)
    )
    assert response["statusCode"] == 200
    # WHEN the processor gets the raw stream as Lambda delivers it, shard by shard
    stage = processor(aws, pipeline)
    responses = [
        stage.handle(event, Deadline.after(30))
        for event in kinesis_events_by_shard(read_stream(aws, pipeline.raw_stream))
    ]
    # THEN every good event is in the lake and on the clean stream once; the spoilt ones never got past ingest
    assert all(r == {"batchItemFailures": []} for r in responses)
    good = {g.event_id for g in generated if g.bad is None}
    lake = _lake(aws, pipeline)
    assert Counter(row["event_id"] for row in lake) == Counter(good)
    clean = stream_events(aws, pipeline.clean_stream)
    assert sorted(r["event_id"] for r in clean) == sorted(good)
    assert failed_events(aws, pipeline.lake_bucket) == []
    # the lake rows carry what Firehose partitions on and what the loader dedupes on
    row = lake[0]
    assert {"event_id", "event_type", "event_date", "event_hour", "client_time"} <= set(row)
    assert row["event_date"] == row["client_time"][:10] and row["event_hour"] == row["client_time"][11:13]
    assert row["enrichment_device_class"] in {"desktop", "mobile", "tablet", "tv", "console"}
    assert clean[0]["enrichment"]["ingest_lag_ms"] == clean[0]["server_time"] - clean[0]["client_time"]


def test_a_poison_record_in_a_batch_of_100_is_one_failed_event_and_99_are_routed(aws, pipeline):
    records = [_fresh_encoded() for _ in range(100)]
    records[50] = records[50][:-5]
    event = kinesis_event(records)
    response = processor(aws, pipeline).handle(event, Deadline.after(30))
    assert response == {"batchItemFailures": []}
    assert len(_lake(aws, pipeline)) == 99
    assert len(stream_events(aws, pipeline.clean_stream)) == 99
    (failed,) = failed_events(aws, pipeline.lake_bucket)
    assert (failed.failure_type, failed.error_code) == ("format", "TruncatedBodyError")
    assert failed.original == records[50]
    assert failed.sequence_number == event["Records"][50]["kinesis"]["sequenceNumber"]
    assert failed.shard_id == "shardId-000000000000"


def test_each_undecodable_record_is_a_failed_event_of_its_own_kind(aws, pipeline):
    good = _fresh_encoded()
    bad = {
        "TruncatedBodyError": good[:-2],
        "UnknownFingerprintError": MAGIC + (99).to_bytes(8, "little") + good[10:],
        "TrailingBytesError": good + b"\x00\x00",
        "BadMagicError": b'{"event_type": "play"}',
        "ValidationError": Codec().encode({**_fresh("pause"), "payload": None}),
    }
    processor(aws, pipeline).handle(kinesis_event([good, *bad.values()]), Deadline.after(30))
    failed = {f.error_code: f for f in failed_events(aws, pipeline.lake_bucket)}
    assert set(failed) == set(bad)
    assert failed["UnknownFingerprintError"].failure_type == "schema"
    assert failed["UnknownFingerprintError"].fingerprint == "0000000000000063"
    assert failed["TrailingBytesError"].failure_type == "format"
    assert failed["ValidationError"].failure_type == "validation"
    assert failed["ValidationError"].event_type == "pause"
    assert all(failed[code].original == data for code, data in bad.items())
    assert len(_lake(aws, pipeline)) == 1


def test_a_kpl_record_from_the_official_package_is_deaggregated(aws, pipeline):
    aggregator = official_aggregator.RecordAggregator()
    records = [_fresh_encoded() for _ in range(25)]
    for data in records:
        aggregator.add_user_record("session-1", data)
    _, _, aggregated = aggregator.clear_and_get().get_contents()
    event = {"Records": [kinesis_trigger_record(aggregated, "1000")]}
    assert processor(aws, pipeline).handle(event, Deadline.after(30)) == {"batchItemFailures": []}
    expected = sorted(Codec().decode(r)["event_id"] for r in records)
    assert sorted(row["event_id"] for row in _lake(aws, pipeline)) == expected


def test_the_same_batch_twice_keeps_every_event_id_for_the_loader_to_dedupe(aws, pipeline):
    event = kinesis_event([_fresh_encoded() for _ in range(20)])
    stage = processor(aws, pipeline)
    stage.handle(event, Deadline.after(30))
    stage.handle(event, Deadline.after(30))
    lake = _lake(aws, pipeline)
    assert len(lake) == 40
    assert all(count == 2 for count in Counter(row["event_id"] for row in lake).values())


def test_duplicates_within_a_batch_are_removed_bots_and_test_players_kept_flagged(aws, pipeline):
    kept = _fresh()
    bot = _fresh()
    bot["ingest"]["user_agent"] = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
    tester = _fresh(player={"name": "QA-Harness", "version": "1"})
    codec = Codec()
    event = kinesis_event([codec.encode(kept), codec.encode(kept), codec.encode(bot), codec.encode(tester)])
    processor(aws, pipeline, test_players=frozenset({"qa-harness"})).handle(event, Deadline.after(30))
    assert [(row["event_id"], row.get("enrichment_traffic_class")) for row in _lake(aws, pipeline)] == [
        (kept["event_id"], None),
        (bot["event_id"], "bot"),
        (tester["event_id"], "test"),
    ]


def test_strings_are_normalised(aws, pipeline):
    record = _fresh(
        cdn={"name": "  AkaMai ", "host": None},
        device={"type": "TV "},
        player={"name": "Sluice-Web", "version": " 4.1 "},
    )
    processor(aws, pipeline).handle(kinesis_event([Codec().encode(record)]), Deadline.after(30))
    (row,) = _lake(aws, pipeline)
    assert (row["cdn_name"], row["device_type"], row["player_name"], row["player_version"]) == (
        "akamai",
        "tv",
        "sluice-web",
        "4.1",
    )


def test_firehose_failed_put_count_is_retried_and_nothing_is_lost(aws, pipeline):
    records = [_fresh_encoded(event_type) for event_type in ("heartbeat", "pause", "seek", "error") for _ in range(5)]
    with fault_proxy(aws) as proxy:
        proxy.add(
            Rule(
                PUT_RECORD_BATCH,
                "fail_entries",
                calls=2,
                select=lambda i, entry: i % 2 == 0,
                error_code="ServiceUnavailableException",
            )
        )
        response = processor(aws, pipeline, firehose_endpoint=proxy.url).handle(
            kinesis_event(records), Deadline.after(30)
        )
    assert proxy.injected > 0
    assert response == {"batchItemFailures": []}
    assert len(_lake(aws, pipeline)) == 20


def test_a_firehose_that_keeps_failing_reports_the_records_for_retry(aws, pipeline):
    # heartbeats go to the lake; the seek events' lake partition is refused
    records = [_fresh_encoded("heartbeat"), _fresh_encoded("seek"), _fresh_encoded("heartbeat"), _fresh_encoded("seek")]
    event = kinesis_event(records)
    refused = lambda i, entry: b'"event_type":"seek"' in base64.b64decode(entry["Data"])  # noqa: E731
    with fault_proxy(aws) as proxy:
        proxy.add(
            Rule(
                PUT_RECORD_BATCH, "fail_entries", calls=10_000, select=refused, error_code="ServiceUnavailableException"
            )
        )
        response = processor(aws, pipeline, firehose_endpoint=proxy.url).handle(event, Deadline.after(3.0))
    assert [i["itemIdentifier"] for i in response["batchItemFailures"]] == [
        event["Records"][i]["kinesis"]["sequenceNumber"] for i in (1, 3)
    ]
    assert {row["event_type"] for row in _lake(aws, pipeline)} == {"heartbeat"}


def test_a_batch_whose_every_record_fails_raises_so_lambda_retries_it_whole(aws, pipeline):
    event = kinesis_event([_fresh_encoded() for _ in range(3)])
    with fault_proxy(aws) as proxy:
        proxy.add(Rule(PUT_RECORD_BATCH, "fail_entries", calls=10_000, error_code="ServiceUnavailableException"))
        with pytest.raises(BatchFailedError, match="all 3 records failed"):
            processor(aws, pipeline, firehose_endpoint=proxy.url).handle(event, Deadline.after(1.0))


def test_a_clean_stream_that_is_down_reports_only_its_records(aws, pipeline):
    records = [_fresh_encoded(), _fresh_encoded(), b"garbage"]
    event = kinesis_event(records)
    response = processor(aws, pipeline, clean_endpoint=closed_port_url()).handle(event, Deadline.after(3.0))
    identifiers = [i["itemIdentifier"] for i in response["batchItemFailures"]]
    assert identifiers == [r["kinesis"]["sequenceNumber"] for r in event["Records"][:2]]
    assert len(failed_events(aws, pipeline.lake_bucket)) == 1  # the poison record still became a failed event


def test_throttled_clean_stream_entries_are_retried(aws, pipeline):
    with fault_proxy(aws) as proxy:
        proxy.add(Rule(PUT_RECORDS, "fail_entries", calls=1, select=lambda i, entry: i < 3))
        response = processor(aws, pipeline, clean_endpoint=proxy.url).handle(
            kinesis_event([_fresh_encoded() for _ in range(5)]), Deadline.after(30)
        )
    assert response == {"batchItemFailures": []}
    assert len(stream_events(aws, pipeline.clean_stream)) == 5


def test_records_left_when_the_deadline_nears_are_reported_not_cut_off(aws, pipeline):
    event = kinesis_event([_fresh_encoded() for _ in range(5)])
    stage = processor(aws, pipeline)
    # GIVEN a clock that jumps into the last seconds, which the processor keeps for its writes
    clock = iter([0.0] * 4 + [7.5] * 50)
    deadline = Deadline(ends_at=10.0, clock=lambda: next(clock))
    response = stage.handle(event, deadline)
    assert [i["itemIdentifier"] for i in response["batchItemFailures"]] == [
        r["kinesis"]["sequenceNumber"] for r in event["Records"][3:]
    ]
    assert len(_lake(aws, pipeline)) == 3


def test_the_handler_reads_its_configuration_from_the_environment(aws, pipeline, monkeypatch):
    from sluice_processor import handler

    from sluice.aws.clients import client

    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)
    monkeypatch.setenv("SLUICE_LAKE_FIREHOSE", pipeline.lake_firehose)
    monkeypatch.setenv("SLUICE_CLEAN_STREAM", pipeline.clean_stream)
    monkeypatch.setenv("SLUICE_FAILED_FIREHOSE", pipeline.failed_firehose)
    client.cache_clear()
    handler._processor.cache_clear()
    try:
        response = handler.handle(kinesis_event([_fresh_encoded(), encoded()[:-1]]), FakeContext(remaining_ms=30_000))
    finally:
        client.cache_clear()
        handler._processor.cache_clear()
    assert response == {"batchItemFailures": []}
    assert len(_lake(aws, pipeline)) == 1
    assert len(failed_events(aws, pipeline.lake_bucket)) == 1
