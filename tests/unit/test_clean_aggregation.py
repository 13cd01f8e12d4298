"""The clean stream KPL-aggregated: packed per shard as the KPL packs, read back by the official
aws-kinesis-agg package, within Kinesis's limits, each record answered as its Kinesis record was."""

from __future__ import annotations

import base64
from typing import Any

import aws_kinesis_agg.deaggregator as official_deaggregator
import pytest
from botocore.exceptions import ClientError

from sluice.batch.aggregating_producer import AggregatingProducer
from sluice.batch.aggregation import MAX_RECORD_BYTES, deaggregate, is_aggregated, pack_by_group
from sluice.producers.kinesis import KinesisProducer, StreamRecord
from sluice.producers.retry import Backoff
from sluice.producers.shards import ShardMap, hash_key
from sluice.runtime.deadline import Deadline

TOP = 2**128 - 1
QUARTERS = [(i * 2**126, (i + 1) * 2**126 - 1) for i in range(4)]
RECORDS = [(f"session-{i % 9}", f"event {i} ".encode() * (20 + i % 30)) for i in range(200)]


class FakeKinesis:
    """ListShards over fixed hash ranges; PutRecords placing each record by its key's hash, as
    Kinesis does, refusing the partition keys in ``throttled`` and recording what was stored."""

    def __init__(self, ranges: list[tuple[int, int]] = QUARTERS, *, closed: int = 0) -> None:
        self.shards = [
            {
                "ShardId": f"shardId-{i:012d}",
                "HashKeyRange": {"StartingHashKey": str(start), "EndingHashKey": str(end)},
                "SequenceNumberRange": {"StartingSequenceNumber": "1"},
            }
            for i, (start, end) in enumerate(ranges)
        ]
        for i in range(closed):  # parents of a split: their ranges overlap the open shards'
            self.shards.insert(
                0,
                {
                    "ShardId": f"shardId-closed-{i}",
                    "HashKeyRange": {"StartingHashKey": "0", "EndingHashKey": str(TOP)},
                    "SequenceNumberRange": {"StartingSequenceNumber": "0", "EndingSequenceNumber": "1"},
                },
            )
        self.list_calls = 0
        self.refuse_listing = False
        self.throttled: set[str] = set()
        self.stored: list[tuple[str, str, bytes]] = []  # (shard, outer key, data)

    def shard_for(self, partition_key: str) -> str:
        key = hash_key(partition_key)
        return next(
            s["ShardId"]
            for s in self.shards
            if "EndingSequenceNumber" not in s["SequenceNumberRange"]
            and int(s["HashKeyRange"]["StartingHashKey"]) <= key <= int(s["HashKeyRange"]["EndingHashKey"])
        )

    def list_shards(self, **params: Any) -> dict[str, Any]:
        self.list_calls += 1
        if self.refuse_listing:
            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListShards")
        start = int(params.get("NextToken", "0"))
        page = self.shards[start : start + 2]  # two a page: the map must follow NextToken
        more = start + 2 < len(self.shards)
        return {"Shards": page, **({"NextToken": str(start + 2)} if more else {})}

    def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
        out = []
        for record in Records:
            if record["PartitionKey"] in self.throttled:
                out.append({"ErrorCode": "ProvisionedThroughputExceededException", "ErrorMessage": "slow down"})
                continue
            shard = self.shard_for(record["PartitionKey"])
            self.stored.append((shard, record["PartitionKey"], record["Data"]))
            out.append({"SequenceNumber": str(len(self.stored)), "ShardId": shard})
        return {"FailedRecordCount": sum("ErrorCode" in r for r in out), "Records": out}


def _producer(kinesis: FakeKinesis) -> AggregatingProducer:
    return AggregatingProducer.of(KinesisProducer(kinesis, "clean", backoff=Backoff(base_s=0.001, cap_s=0.002)))


def _user_records(stored: list[tuple[str, str, bytes]]) -> list[tuple[str, str, bytes]]:
    """(shard, partition key, data) of every user record stored, aggregates opened."""
    out = []
    for shard, key, data in stored:
        inner = deaggregate(data) if is_aggregated(data) else None
        out += [(shard, r.partition_key, r.data) for r in inner] if inner else [(shard, key, data)]
    return out


def test_every_record_lands_once_on_the_shard_its_own_key_names_in_order_and_few_records_carry_them():
    # GIVEN a stream of four shards WHEN 200 events of 9 sessions are put
    kinesis = FakeKinesis()
    producer = _producer(kinesis)
    delivery = producer.put([StreamRecord(data, key) for key, data in RECORDS], Deadline.after(10))
    # THEN every event is stored once, on its own session's shard, each session's in order
    assert delivery.ok and delivery.total == len(RECORDS)
    users = _user_records(kinesis.stored)
    assert sorted((k, d) for _, k, d in users) == sorted(RECORDS)
    assert all(shard == kinesis.shard_for(key) for shard, key, _ in users)
    for session in {k for k, _ in RECORDS}:
        assert [d for _, k, d in users if k == session] == [d for k, d in RECORDS if k == session]
    # AND one Kinesis record per shard carries them (not one per event, nor one per session)
    shards = {kinesis.shard_for(k) for k, _ in RECORDS}
    assert len(kinesis.stored) == len(shards)
    assert kinesis.list_calls == 2  # one map read, two pages; no read per record


def test_the_official_deaggregator_reads_the_clean_records():
    packed = pack_by_group(RECORDS, lambda key: hash_key(key) >> 126)
    lambda_records = [
        {
            "kinesis": {
                "kinesisSchemaVersion": "1.0",
                "partitionKey": p.partition_key,
                "sequenceNumber": str(i),
                "approximateArrivalTimestamp": 1.0,
                "data": base64.b64encode(p.data).decode(),
            }
        }
        for i, p in enumerate(packed)
    ]
    users = official_deaggregator.deaggregate_records(lambda_records)
    expected = [RECORDS[owner] for p in packed for owner in p.owners]
    assert [(u["kinesis"]["partitionKey"], base64.b64decode(u["kinesis"]["data"])) for u in users] == expected
    assert sorted(o for p in packed for o in p.owners) == list(range(len(RECORDS)))


def test_records_stay_within_the_kinesis_record_limit_and_a_record_too_big_or_badly_keyed_goes_alone():
    big = b"x" * (MAX_RECORD_BYTES - 20)  # fits a Kinesis record alone, with no room for an aggregate's framing
    keyless = ("", b"no key")
    long_key = ("k" * 257, b"a key Kinesis refuses")
    records = [*RECORDS, ("session-1", big), keyless, long_key]
    packed = pack_by_group(records, lambda key: "one shard", max_bytes=MAX_RECORD_BYTES)
    assert all(len(p.data) + len(p.partition_key.encode()) <= MAX_RECORD_BYTES for p in packed if len(p.owners) > 1)
    alone = {records[p.owners[0]] for p in packed if len(p.owners) == 1}
    assert {("session-1", big), keyless, long_key} <= alone
    for p in packed:
        if len(p.owners) == 1:  # as it came, not wrapped: the KPL sends a lone record so too
            assert (p.partition_key, p.data) == records[p.owners[0]]
    small = pack_by_group(RECORDS, lambda key: "one shard", max_bytes=4096)
    assert len(small) > 10
    assert all(len(p.data) + len(p.partition_key.encode()) <= 4096 for p in small)
    assert [RECORDS[o] for p in small for o in p.owners] == RECORDS


def test_a_throttled_kinesis_record_fails_exactly_the_events_it_holds():
    # GIVEN a shard map of one range per session, and one session's record throttled
    kinesis = FakeKinesis()
    kinesis.throttled = {"session-4"}
    producer = _producer(kinesis)
    delivery = producer.put([StreamRecord(data, key) for key, data in RECORDS], Deadline.after(0.3))
    # THEN every event packed with session-4's first event is failed, retryable; no other
    stored = {d for _, _, d in _user_records(kinesis.stored)}
    failed = set(delivery.failed)
    assert failed and not delivery.rejected
    assert all(RECORDS[i][1] not in stored for i in failed)
    assert all(RECORDS[i][1] in stored for i in range(len(RECORDS)) if i not in failed)
    assert set(delivery.retryable) == failed


def test_a_refused_record_is_refused_alone():
    class Refusing(FakeKinesis):
        def put_records(self, StreamName: str, Records: list[dict[str, Any]]) -> dict[str, Any]:
            if any(not r["PartitionKey"] for r in Records):
                raise ClientError({"Error": {"Code": "ValidationException", "Message": "key"}}, "PutRecords")
            return super().put_records(StreamName, Records)

    kinesis = Refusing()
    records = [StreamRecord(d, k) for k, d in RECORDS[:20]] + [StreamRecord(b"no key", "")]
    delivery = _producer(kinesis).put(records, Deadline.after(10))
    assert delivery.rejected == {20} and set(delivery.failed) == {20}
    assert len(_user_records(kinesis.stored)) == 20


def test_without_listshards_records_are_packed_per_session_and_still_land_on_their_own_shard():
    kinesis = FakeKinesis()
    kinesis.refuse_listing = True
    producer = _producer(kinesis)
    assert producer.put([StreamRecord(d, k) for k, d in RECORDS], Deadline.after(10)).ok
    users = _user_records(kinesis.stored)
    assert all(shard == kinesis.shard_for(key) for shard, key, _ in users)
    assert len(kinesis.stored) == len({k for k, _ in RECORDS})
    # the refusal is not asked again on every batch
    producer.put([StreamRecord(d, k) for k, d in RECORDS], Deadline.after(10))
    assert kinesis.list_calls == 1


def test_a_shard_map_skips_closed_shards_and_is_read_again_after_its_time_or_a_put_elsewhere():
    now = [0.0]
    kinesis = FakeKinesis(closed=1)
    shards = ShardMap(kinesis, "clean", ttl_s=300, clock=lambda: now[0])
    assert all(shards.shard_of(k) == kinesis.shard_for(k) for k, _ in RECORDS)
    assert shards.reads == 1
    now[0] = 301
    shards.shard_of("session-1")
    assert shards.reads == 2
    # WHEN the stream is resharded (two halves now) and a put lands elsewhere than predicted
    producer = AggregatingProducer(KinesisProducer(kinesis, "clean"), shards)
    kinesis.shards = FakeKinesis([(0, 2**127 - 1), (2**127, TOP)]).shards
    assert producer.put([StreamRecord(d, k) for k, d in RECORDS], Deadline.after(10)).ok
    # THEN the map is read again for the next put, which packs by the new shards
    assert producer.misrouted > 0
    kinesis.stored.clear()
    producer.put([StreamRecord(d, k) for k, d in RECORDS], Deadline.after(10))
    assert shards.reads == 3
    assert all(shard == kinesis.shard_for(key) for shard, key, _ in _user_records(kinesis.stored))
    assert len(kinesis.stored) == 2


def test_the_hash_is_kinesis_own():
    # md5("a") read as a 128-bit big-endian integer, as Kinesis maps a partition key (moto too:
    # tests/functional/test_clean_aggregation.py checks the shards it puts records on)
    assert hash_key("a") == 0x0CC175B9C0F1B6A831C399E269772661
    assert 0 <= hash_key("session-1") <= TOP


@pytest.mark.parametrize(("setting", "aggregated"), [(None, True), ("kpl", True), ("none", False), ("NONE", False)])
def test_the_processor_setting(setting, aggregated):
    from sluice.processor.config import ProcessorConfig
    from sluice.runtime.config import ConfigError

    env = {"SLUICE_LAKE_FIREHOSE": "l", "SLUICE_CLEAN_STREAM": "c", "SLUICE_FAILED_FIREHOSE": "f"}
    if setting is not None:
        env["SLUICE_CLEAN_AGGREGATE"] = setting
    assert ProcessorConfig.from_env(env).clean_aggregate is aggregated
    with pytest.raises(ConfigError, match="SLUICE_CLEAN_AGGREGATE='zip' is not one of kpl, none"):
        ProcessorConfig.from_env({**env, "SLUICE_CLEAN_AGGREGATE": "zip"})


def test_the_size_reckoned_before_packing_is_the_size_written():
    # The 1 MiB bound holds only if the size reckoned for each record (never encoded until it is
    # packed) is exact: long keys, key indexes past one varint byte, data past two.
    import random

    from sluice.batch.aggregation import _Pending

    rng = random.Random(1)
    for _ in range(100):
        pending = _Pending()
        for _ in range(rng.randint(1, 300)):
            assert pending.add(
                "k" * rng.randint(1, 200) + str(rng.randint(0, 300)), bytes(rng.randint(0, 20_000)), 2**40
            )
        assert pending.size == len(pending.finish().data)


def test_a_shard_map_without_time_left_to_read_packs_per_key_and_asks_again_next_batch():
    # GIVEN a stage whose invocation has too little time left for ListShards (the bounded
    # client refuses the call before it is made)
    from sluice.aws.clients import DeadlineReachedError

    class OutOfTime(FakeKinesis):
        out_of_time = True

        def list_shards(self, **kwargs: Any) -> dict[str, Any]:
            if self.out_of_time:
                self.list_calls += 1
                raise DeadlineReachedError("ListShards: 0.1 s left of the invocation")
            return super().list_shards(**kwargs)

    kinesis = OutOfTime()
    shards = ShardMap(kinesis, "clean")
    # THEN the batch is packed per key instead of failing after the lake was written
    assert shards.shard_of("session-1") is None
    producer = AggregatingProducer(KinesisProducer(kinesis, "clean"), shards)
    assert producer.put([StreamRecord(d, k) for k, d in RECORDS], Deadline.after(10)).ok
    assert len(kinesis.stored) == len({k for k, _ in RECORDS})
    # AND the next batch, with time, reads the map at once (no 60 s wait as after a refusal)
    kinesis.out_of_time = False
    kinesis.stored.clear()
    assert shards.shard_of("session-1") == kinesis.shard_for("session-1")
    assert producer.put([StreamRecord(d, k) for k, d in RECORDS], Deadline.after(10)).ok
    assert len(kinesis.stored) == 4


def test_clean_aggregates_are_capped_below_a_kinesis_record_and_a_bigger_event_goes_alone():
    from sluice.batch.aggregating_producer import CLEAN_AGGREGATE_MAX_BYTES

    kinesis = FakeKinesis([(0, TOP)])
    events = [StreamRecord(b"e" * 2000, f"session-{i}") for i in range(400)] + [
        StreamRecord(b"big" * 100_000, "session-big")
    ]
    assert _producer(kinesis).put(events, Deadline.after(10)).ok
    sizes = [len(data) + len(key.encode()) for _, key, data in kinesis.stored]
    # THEN 800 KB of small events take several aggregates, none past the cap, and the 300 KB
    # event goes alone (it fits a Kinesis record, not an aggregate)
    assert len(kinesis.stored) >= 4 and max(s for s in sizes if s < 300_000) <= CLEAN_AGGREGATE_MAX_BYTES
    assert (b"big" * 100_000) in [data for _, _, data in kinesis.stored]
    assert len(_user_records(kinesis.stored)) == 401
