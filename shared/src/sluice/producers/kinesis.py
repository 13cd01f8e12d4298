"""Kinesis PutRecords, entry by entry (KPL-aggregated: ``sluice.batch.aggregating_producer``)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sluice.producers.batching import BatchLimits, Delivery, deliver
from sluice.producers.retry import Backoff
from sluice.runtime.deadline import Deadline

__all__ = ["PUT_RECORDS_LIMITS", "KinesisProducer", "RecordStream", "StreamRecord"]

# PutRecords: at most 500 records and 5 MiB per request; a record's data plus partition key at
# most 1 MiB (Kinesis Data Streams quotas).
PUT_RECORDS_LIMITS = BatchLimits(max_entries=500, max_request_bytes=5 * 1024 * 1024, max_entry_bytes=1024 * 1024)


@dataclass(frozen=True, slots=True)
class StreamRecord:
    data: bytes
    partition_key: str

    @property
    def size(self) -> int:
        return len(self.data) + len(self.partition_key.encode())


@dataclass
class KinesisProducer:
    client: Any
    stream_name: str
    backoff: Backoff = field(default_factory=Backoff)
    limits: BatchLimits = PUT_RECORDS_LIMITS

    def put(self, records: Sequence[StreamRecord], deadline: Deadline) -> Delivery:
        return deliver(
            records, [r.size for r in records], self._send, limits=self.limits, deadline=deadline, backoff=self.backoff
        )

    def _send(self, batch: list[StreamRecord]) -> list[str | None]:
        return [code for code, _ in self.put_records(batch)]

    def put_records(self, batch: list[StreamRecord]) -> list[tuple[str | None, str | None]]:
        """One PutRecords request: per entry, its error code (None when stored) and its shard."""
        response = self.client.put_records(
            StreamName=self.stream_name,
            Records=[{"Data": r.data, "PartitionKey": r.partition_key} for r in batch],
        )
        if not response.get("FailedRecordCount"):
            entries = response.get("Records") or [{}] * len(batch)  # the shards only say where
            return [(None, entry.get("ShardId")) for entry in entries]
        # With failures, each entry's fate is in Records: without it, nothing may pass as stored.
        return [(entry.get("ErrorCode"), entry.get("ShardId")) for entry in response["Records"]]


class RecordStream(Protocol):
    """Where a stage puts stream records: per record, delivered or why not."""

    def put(self, records: Sequence[StreamRecord], deadline: Deadline) -> Delivery: ...
