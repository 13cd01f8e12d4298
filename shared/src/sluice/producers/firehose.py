"""Firehose PutRecordBatch, entry by entry."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Protocol

from sluice.producers.batching import BatchLimits, Delivery, deliver
from sluice.producers.retry import Backoff
from sluice.runtime.deadline import Deadline

__all__ = ["PUT_RECORD_BATCH_LIMITS", "FirehoseProducer", "RecordSink"]

# PutRecordBatch: at most 500 records and 4 MiB per request, 1,000 KiB per record (Firehose quotas).
PUT_RECORD_BATCH_LIMITS = BatchLimits(max_entries=500, max_request_bytes=4 * 1024 * 1024, max_entry_bytes=1000 * 1024)


class RecordSink(Protocol):
    """Where a stage's lines go: a Firehose in production, a list in ``sluice health simulate``."""

    def put(self, records: Sequence[bytes], deadline: Deadline) -> Delivery: ...


@dataclass
class FirehoseProducer:
    client: Any
    delivery_stream: str
    backoff: Backoff = field(default_factory=Backoff)
    limits: BatchLimits = PUT_RECORD_BATCH_LIMITS

    def put(self, records: Sequence[bytes], deadline: Deadline) -> Delivery:
        return deliver(
            records, [len(r) for r in records], self._send, limits=self.limits, deadline=deadline, backoff=self.backoff
        )

    def _send(self, batch: list[bytes]) -> list[str | None]:
        response = self.client.put_record_batch(
            DeliveryStreamName=self.delivery_stream,
            Records=[{"Data": data} for data in batch],
        )
        if not response.get("FailedPutCount"):
            return [None] * len(batch)
        return [entry.get("ErrorCode") for entry in response["RequestResponses"]]
