"""The Kinesis batch helper: poison records become failed events, retryable ones are reported by
their own sequence number, and a batch that fails entirely raises."""

from __future__ import annotations

import pytest
from support.factories import encoded, kinesis_event, kinesis_trigger_record

from sluice.batch.aggregation import Aggregator
from sluice.batch.kinesis import BatchFailedError, iter_records, process_batch
from sluice.events.codec import Codec
from sluice.runtime.errors import RetryableError


def _decode(record):
    Codec().decode(record.data)


def test_a_poison_record_becomes_one_failed_event_and_the_rest_pass():
    records = [encoded() for _ in range(100)]
    records[37] = records[37][:-4]
    event = kinesis_event(records)
    outcome = process_batch(event, _decode, stage="processor")
    assert outcome.done == 99
    assert outcome.response() == {"batchItemFailures": []}
    (failed,) = outcome.failed_events
    assert failed.failure_type == "format"
    assert failed.error_code == "TruncatedBodyError"
    assert failed.original == records[37]
    assert failed.sequence_number == event["Records"][37]["kinesis"]["sequenceNumber"]
    assert failed.shard_id == "shardId-000000000000"
    assert failed.source == "arn:aws:kinesis:eu-west-1:123456789012:stream/sluice-raw"


def test_retryable_failures_report_their_sequence_numbers_never_empty():
    event = kinesis_event([encoded() for _ in range(5)])
    wanted = {event["Records"][1]["kinesis"]["sequenceNumber"], event["Records"][3]["kinesis"]["sequenceNumber"]}

    def handle(record):
        if record.sequence_number in wanted:
            raise RetryableError("throttled")

    response = process_batch(event, handle, stage="processor").response()
    identifiers = [item["itemIdentifier"] for item in response["batchItemFailures"]]
    assert set(identifiers) == wanted
    assert all(identifiers)
    assert identifiers == sorted(identifiers)


def test_a_batch_that_fails_entirely_raises():
    def handle(record):
        raise RetryableError("stream unavailable")

    outcome = process_batch(kinesis_event([encoded(), encoded()]), handle, stage="processor")
    with pytest.raises(BatchFailedError, match="all 2 records failed"):
        outcome.response()


def test_aggregated_records_are_reported_by_their_parent_and_keep_sub_sequence_numbers():
    inner = [("pk", encoded()) for _ in range(4)]
    (aggregate,) = (a.data for a in Aggregator().aggregate(inner))
    event = {"Records": [kinesis_trigger_record(aggregate, "900"), kinesis_trigger_record(encoded(), "901")]}
    seen = list(iter_records(event))
    assert [(r.sequence_number, r.sub_sequence_number) for r in seen] == [
        ("900", 0),
        ("900", 1),
        ("900", 2),
        ("900", 3),
        ("901", None),
    ]

    def handle(record):
        if record.sub_sequence_number == 2:
            raise RetryableError("sink throttled")

    outcome = process_batch(event, handle, stage="processor")
    assert outcome.response() == {"batchItemFailures": [{"itemIdentifier": "900"}]}
    assert outcome.done == 3  # the fourth user record of 900 waits for the retry of its parent


def test_records_left_when_time_runs_out_are_reported_for_retry():
    event = kinesis_event([encoded() for _ in range(4)])
    budget = iter([True, True, False, False])
    outcome = process_batch(event, _decode, stage="processor", time_left=lambda: next(budget))
    assert outcome.done == 2
    assert [i["itemIdentifier"] for i in outcome.response()["batchItemFailures"]] == [
        r["kinesis"]["sequenceNumber"] for r in event["Records"][2:]
    ]


def test_a_trigger_record_without_sequence_number_fails_the_batch_rather_than_vanishing():
    event = kinesis_event([encoded()])
    del event["Records"][0]["kinesis"]["sequenceNumber"]
    with pytest.raises(RetryableError, match="without sequenceNumber"):
        process_batch(event, _decode, stage="processor")


def test_random_bytes_always_end_as_failed_events_never_as_crashes():
    import random

    rng = random.Random(3)
    good = encoded()
    samples = [bytes(rng.getrandbits(8) for _ in range(rng.randint(0, 300))) for _ in range(300)]
    samples += [
        good[:10] + bytes(rng.getrandbits(8) for _ in range(len(good) - 10)) for _ in range(300)
    ]  # right header, noise body
    outcome = process_batch(kinesis_event(samples), _decode, stage="processor")
    assert outcome.done + len(outcome.failed_events) == len(samples)
    assert outcome.response() == {"batchItemFailures": []}
    assert {f.failure_type for f in outcome.failed_events} <= {"format", "schema"}
