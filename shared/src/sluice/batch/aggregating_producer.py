"""The clean stream's writer: records KPL-aggregated, those bound for one shard packed together.

On-demand Kinesis bills each record as at least 1 KB; a clean event is a few hundred bytes, so one
record per event pays mostly rounding. Packing the records of a batch per predicted shard (as the
KPL does, ``sluice.producers.shards``) leaves every record on the shard its partition key names, so
each session stays on one shard, in order, for the monitor's per-shard windows; the indexer is
idempotent on event_id and needs no order. Both consumers open the aggregates in
``sluice.batch.kinesis``.
"""

from __future__ import annotations

import logging
from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from sluice.batch.aggregation import Packed, pack_by_group
from sluice.producers.batching import Delivery, deliver
from sluice.producers.kinesis import KinesisProducer, StreamRecord
from sluice.producers.shards import ShardMap
from sluice.runtime.deadline import Deadline

__all__ = ["CLEAN_AGGREGATE_MAX_BYTES", "AggregatingProducer"]

log = logging.getLogger("sluice.batch")
# An aggregate is retried whole: a throttled 1 MiB record (a shard's whole second of writes) would
# fail thousands of events across many source records. 256 KiB still holds ~500 clean events, past
# the deployed batches (36 events a record at 100M/day, so the bill is the same), and bounds a
# retry to a quarter of a shard-second. (The KPL's own AggregationMaxSize default is 50 KiB.)
CLEAN_AGGREGATE_MAX_BYTES = 256 * 1024


@dataclass(frozen=True, slots=True)
class _Outer:
    """An aggregate (or a lone record) to put, and the shard it is predicted to land on."""

    record: StreamRecord
    shard: str | None


@dataclass
class AggregatingProducer:
    """Puts records KPL-aggregated, records bound for one shard packed together (as the KPL does;
    ``sluice.producers.shards``), and answers per record as ``KinesisProducer`` does: a record is
    failed (or rejected) when the Kinesis record holding it was. On-demand Kinesis bills each
    record as at least 1 KB, so packing small records saves the rounding on each.

    Without the shard map (ListShards refused) records are packed per partition key instead:
    fewer per aggregate, but each still lands on its own key's shard.
    """

    producer: KinesisProducer
    shards: ShardMap
    max_record_bytes: int = CLEAN_AGGREGATE_MAX_BYTES
    misrouted: int = 0  # records stored on another shard than predicted (the map is read again)

    @classmethod
    def of(cls, producer: KinesisProducer) -> AggregatingProducer:
        return cls(producer, ShardMap(producer.client, producer.stream_name))

    def put(self, records: Sequence[StreamRecord], deadline: Deadline) -> Delivery:
        packed = pack_by_group([(r.partition_key, r.data) for r in records], self._group, self.max_record_bytes)
        outer = [_Outer(StreamRecord(p.data, p.partition_key), self.shards.shard_of(p.partition_key)) for p in packed]
        p = self.producer
        sent = deliver(
            outer, [o.record.size for o in outer], self._send, limits=p.limits, deadline=deadline, backoff=p.backoff
        )
        return _per_record(sent, packed, len(records))

    def _group(self, partition_key: str) -> Hashable:
        shard = self.shards.shard_of(partition_key)
        return ("key", partition_key) if shard is None else ("shard", shard)

    def _send(self, batch: list[_Outer]) -> list[str | None]:
        results = self.producer.put_records([o.record for o in batch])
        landed_elsewhere = sum(
            1
            for o, (code, shard) in zip(batch, results, strict=True)
            if code is None and None not in (shard, o.shard) and shard != o.shard
        )
        if landed_elsewhere:
            # The shards changed since the map was read: the records are stored, read it again.
            self.misrouted += landed_elsewhere
            log.info("records landed on other shards than predicted: shard map read again")
            self.shards.invalidate()
        return [code for code, _ in results]


def _per_record(sent: Delivery, packed: list[Packed], total: int) -> Delivery:
    """A delivery of Kinesis records told per user record: each shares its Kinesis record's fate."""
    delivery = Delivery(
        total=total,
        configuration_error=sent.configuration_error,
        attempts=sent.attempts,
        retried_entries=sent.retried_entries,
    )
    for position, error in sent.failed.items():
        for owner in packed[position].owners:
            delivery.failed[owner] = error
            if position in sent.rejected:
                delivery.rejected.add(owner)
    return delivery
