"""The record of the sequence ranges ``sluice failed recover`` has put back on their stream.

Lambda and SQS deliver at least once, so the same on-failure message can arrive twice, and a run
can stop between putting a range back and deleting its message. Each range put back is one small
S3 object in the lake bucket, beside the failed events, named by the range itself:
``recovered/<stream>/<shard>/<first>-<last>.json``. Listing a shard's prefix yields its ranges
without reading an object; the body is for the operator (which message, when, how many records).
The lake's lifecycle expires these after the on-failure queue's retention (terraform/modules/lake),
when no copy of the message can be left to recognise.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sluice_tools.failures.destination import DiscardedBatch

__all__ = ["PREFIX", "RecoveredRange", "RecoveredRanges"]

PREFIX = "recovered/"
_KEY = re.compile(r"(?P<start>\d+)-(?P<end>\d+)\.json")


@dataclass(frozen=True)
class RecoveredRange:
    start: int
    end: int
    message_id: str
    recovered_at: str | None  # None: planned by this dry run, not put back

    def holds(self, sequence: int) -> bool:
        return self.start <= sequence <= self.end

    def describe(self) -> str:
        if self.recovered_at is None:
            return f"message {self.message_id}, earlier in this dry run"
        if self.message_id:
            return f"message {self.message_id}, put back at {self.recovered_at}"
        return f"a range put back at {self.recovered_at}"


class RecoveredRanges:
    """The ranges already put back, per stream and shard: read from S3 once, kept up to date by the run."""

    def __init__(self, s3: Any, bucket: str, prefix: str = PREFIX) -> None:
        self._s3, self._bucket, self._prefix = s3, bucket, prefix
        self._shards: dict[tuple[str, str], list[RecoveredRange]] = {}

    def overlapping(self, batch: DiscardedBatch) -> list[RecoveredRange]:
        start, end = int(batch.start_sequence), int(batch.end_sequence)
        return [r for r in self._of_shard(batch) if r.start <= end and r.end >= start]

    def covers(self, batch: DiscardedBatch) -> bool:
        """Whether every sequence number of the batch's range lies in ranges already put back."""
        start, end = int(batch.start_sequence), int(batch.end_sequence)
        reached = start - 1
        for done in sorted(self.overlapping(batch), key=lambda r: r.start):
            if done.start > reached + 1:
                return False
            reached = max(reached, done.end)
        return reached >= end

    def plan(self, batch: DiscardedBatch, message_id: str) -> None:
        """A dry run's range: recognised again within the run, never written."""
        self._of_shard(batch).append(
            RecoveredRange(int(batch.start_sequence), int(batch.end_sequence), message_id, None)
        )

    def record(
        self, batch: DiscardedBatch, message_id: str, put_back: int, missing: int, part: tuple[str, str] | None = None
    ) -> None:
        """After the records are back and before the message is deleted: a crash in between puts
        them back once more on the next run, which every sink absorbs (idempotent on event_id).

        ``part`` (first, last sequence number) is a sub-range of the batch, when only some of its
        records went back (a partial put): its message stays queued, and the next run puts back
        only what no recorded range holds (the lake is not keyed on event_id: it would keep doubles).
        """
        start, end = part or (batch.start_sequence, batch.end_sequence)
        now = datetime.now(UTC).isoformat(timespec="seconds")
        body = {
            "stream_arn": batch.stream_arn,
            "shard": batch.shard_id,
            "start_sequence": start,
            "end_sequence": end,
            "batch_start_sequence": batch.start_sequence,
            "batch_end_sequence": batch.end_sequence,
            "batch_size": batch.batch_size,
            "put_back": put_back,
            "missing": missing,
            "message_id": message_id,
            "function": batch.function_arn,
            "condition": batch.condition,
            "recovered_at": now,
        }
        self._s3.put_object(
            Bucket=self._bucket,
            Key=f"{self._shard_prefix(batch)}{start}-{end}.json",
            Body=json.dumps(body, sort_keys=True).encode(),
            ContentType="application/json",
            Metadata={"message-id": message_id, "recovered-at": now},
        )
        self._of_shard(batch).append(RecoveredRange(int(start), int(end), message_id, now))

    def _shard_prefix(self, batch: DiscardedBatch) -> str:
        return f"{self._prefix}{batch.stream_name}/{batch.shard_id}/"

    def _of_shard(self, batch: DiscardedBatch) -> list[RecoveredRange]:
        shard = (batch.stream_name, batch.shard_id)
        if shard not in self._shards:
            prefix = self._shard_prefix(batch)
            ranges = []
            for page in self._s3.get_paginator("list_objects_v2").paginate(Bucket=self._bucket, Prefix=prefix):
                for item in page.get("Contents", []):
                    # Anything else under the prefix is not this ledger's: it marks nothing as done.
                    if named := _KEY.fullmatch(item["Key"][len(prefix) :]):
                        when = item["LastModified"].astimezone(UTC).isoformat(timespec="seconds")
                        ranges.append(RecoveredRange(int(named["start"]), int(named["end"]), "", when))
            self._shards[shard] = ranges
        return self._shards[shard]
