"""KPL aggregation, interoperable with the official aws-kinesis-agg package both ways."""

from __future__ import annotations

import base64
import hashlib
from dataclasses import astuple

import aws_kinesis_agg.aggregator as official_aggregator
import aws_kinesis_agg.deaggregator as official_deaggregator
import pytest

from sluice.batch.aggregation import MAGIC, Aggregator, deaggregate, is_aggregated

RECORDS = [(f"session-{i % 4}", f"event {i} ".encode() * (1 + i % 7)) for i in range(120)]


def test_records_aggregated_by_the_official_package_deaggregate_to_the_same_user_records():
    aggregator = official_aggregator.RecordAggregator()
    for partition_key, data in RECORDS:
        assert aggregator.add_user_record(partition_key, data) is None
    _, _, aggregated = aggregator.clear_and_get().get_contents()
    assert is_aggregated(aggregated)
    assert [(r.partition_key, r.data) for r in deaggregate(aggregated)] == RECORDS


def test_sluice_aggregates_deaggregate_with_the_official_package():
    ((outer_key, data, count),) = (astuple(a) for a in Aggregator().aggregate(RECORDS))
    assert count == len(RECORDS)
    lambda_record = {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "sequenceNumber": "1",
            "approximateArrivalTimestamp": 1.0,
            "partitionKey": outer_key,
            "data": base64.b64encode(data).decode(),
        },
    }
    users = official_deaggregator.deaggregate_records([lambda_record])
    assert [(u["kinesis"]["partitionKey"], base64.b64decode(u["kinesis"]["data"])) for u in users] == RECORDS
    assert [u["kinesis"]["subSequenceNumber"] for u in users] == list(range(len(RECORDS)))


def test_aggregates_stay_under_the_size_limit_and_keep_order():
    out = Aggregator(max_bytes=1500).aggregate(RECORDS)
    assert len(out) > 1
    assert all(len(a.data) + len(a.partition_key.encode()) <= 1500 for a in out)
    assert [(r.partition_key, r.data) for a in out for r in deaggregate(a.data)] == RECORDS
    assert all(a.partition_key == deaggregate(a.data)[0].partition_key for a in out)
    assert sum(a.count for a in out) == len(RECORDS)


def test_a_record_too_big_for_any_aggregate_is_refused():
    with pytest.raises(ValueError, match="does not fit"):
        Aggregator(max_bytes=100).aggregate([("k", b"x" * 200)])


def test_a_bad_digest_is_not_an_aggregate():
    (aggregate,) = Aggregator().aggregate(RECORDS[:3])
    data = aggregate.data
    spoilt = data[:-1] + bytes([data[-1] ^ 1])
    assert is_aggregated(data) and not is_aggregated(spoilt)
    assert not is_aggregated(MAGIC + b"short")
    body = b"\x1a\x02\x08"  # records field, truncated inner message
    assert is_aggregated(MAGIC + body + hashlib.md5(body, usedforsecurity=False).digest())
