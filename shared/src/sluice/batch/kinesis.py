"""Lambda's Kinesis trigger: user records out of an event, and the partial-batch response back.

With ``ReportBatchItemFailures`` Lambda checkpoints before the lowest sequence number a handler
reports, and retries from there. So every retryable failure must be reported with its record's
own (parent) sequence number, never an empty or null identifier, which Lambda would take as a
failure of the whole batch. A user record from a KPL aggregate is reported through its parent:
Lambda only knows parent sequence numbers, and retrying the parent retries all its user records.

This stays ours rather than Powertools' ``BatchProcessor``: that calls a handler per Kinesis record
and reports each record whose handler raised, which fits none of the three things done here. A
stage writes a batch as a whole (one PutRecordBatch / PutRecords / _bulk for all its outputs,
retrying only the failed entries), so a failure is known per output, after every record was read;
a KPL aggregate is many user records under one sequence number, which Powertools does not
de-aggregate, so a failed user record must be mapped back to its parent here; and a poison record
(bad format, schema or validation) must become a failed event and be reported done, where raising
would have Powertools report it for retry until the record ages out, a shard held up by one record.
"""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any, TypedDict

from sluice.batch.aggregation import AggregationFormatError, deaggregate, is_aggregated
from sluice.events.codec import read_header
from sluice.events.errors import DecodeError
from sluice.events.failed import FailedEvent
from sluice.events.fingerprint import fingerprint_hex
from sluice.runtime.errors import PoisonRecordError, RetryableError, UnsupportedTriggerError

__all__ = [
    "LAMBDA_WINDOW_STATE_BYTES",
    "BatchFailedError",
    "BatchItemFailure",
    "BatchOutcome",
    "KinesisRecord",
    "MalformedTriggerError",
    "PartialBatchResponse",
    "iter_records",
    "kinesis_records",
    "process_batch",
    "user_records",
]

# Lambda keeps at most 1 MB of tumbling-window state per shard and ends the window early past it
# (AWS Lambda Developer Guide, "Tumbling windows"); measured as the JSON of the state, every
# non-ASCII character escaped (its widest form). The monitor keeps under it; the local runtime
# applies it as Lambda does.
LAMBDA_WINDOW_STATE_BYTES = 1_000_000


class BatchItemFailure(TypedDict):
    itemIdentifier: str


class PartialBatchResponse(TypedDict):
    batchItemFailures: list[BatchItemFailure]


class BatchFailedError(RetryableError):
    """Every record of the batch failed retryably: raised so Lambda retries (and can bisect)."""


def kinesis_records(event: Any) -> list[dict[str, Any]]:
    """The records of a Lambda Kinesis event, or UnsupportedTriggerError naming what came."""
    records = event.get("Records") if isinstance(event, dict) else None
    if not isinstance(records, list):
        got = sorted(map(str, event))[:10] if isinstance(event, dict) else type(event).__name__
        raise UnsupportedTriggerError(f"expected a Kinesis event (Records from aws:kinesis); got {got}")
    # A record of Lambda's Kinesis event always carries its "kinesis" object.
    others = [r for r in records if not (isinstance(r, dict) and isinstance(r.get("kinesis"), dict))]
    if others:
        got = sorted({str(r.get("eventSource")) if isinstance(r, dict) else type(r).__name__ for r in others})
        raise UnsupportedTriggerError(f"expected records from aws:kinesis; got {len(others)} records from {got}")
    return records


class MalformedTriggerError(PoisonRecordError):
    """A Kinesis trigger record without the fields Lambda always sends."""


@dataclass(slots=True)
class KinesisRecord:
    """One user record: a plain Kinesis record, or one record out of a KPL aggregate."""

    data: bytes
    partition_key: str
    sequence_number: str
    shard_id: str | None = None
    sub_sequence_number: int | None = None
    arrival_time: float | None = None
    source_arn: str | None = None

    def failed_event(self, error: PoisonRecordError, *, stage: str, **context: Any) -> FailedEvent:
        context.setdefault("fingerprint", _readable_fingerprint(self.data))
        context.setdefault("event_id", getattr(error, "event_id", None))
        context.setdefault("event_type", getattr(error, "event_type", None))
        return FailedEvent.from_error(
            error,
            stage=stage,
            original=self.data,
            source=self.source_arn,
            shard_id=self.shard_id,
            sequence_number=self.sequence_number,
            sub_sequence_number=self.sub_sequence_number,
            arrival_time=int(self.arrival_time * 1000) if self.arrival_time is not None else None,
            **context,
        )


def _readable_fingerprint(data: bytes) -> str | None:
    try:
        return fingerprint_hex(read_header(data))
    except DecodeError:
        return None


def _shard_of(trigger_record: dict[str, Any]) -> str | None:
    # eventID is "shardId-000000000000:<sequence number>".
    event_id = trigger_record.get("eventID") or ""
    return event_id.split(":", 1)[0] or None


def user_records(trigger_record: dict[str, Any]) -> list[KinesisRecord]:
    """The user records in one record of a Lambda Kinesis event (several when KPL-aggregated)."""
    kinesis = trigger_record.get("kinesis") or {}
    sequence_number = kinesis.get("sequenceNumber")
    if not sequence_number or "data" not in kinesis:
        raise MalformedTriggerError("Kinesis trigger record without sequenceNumber or data")
    data = base64.b64decode(kinesis["data"])
    common = {
        "sequence_number": sequence_number,
        "shard_id": _shard_of(trigger_record),
        "arrival_time": kinesis.get("approximateArrivalTimestamp"),
        "source_arn": trigger_record.get("eventSourceARN"),
    }
    if is_aggregated(data):
        try:
            inner = deaggregate(data)
        except AggregationFormatError:
            inner = None
        if inner is not None:
            return [
                KinesisRecord(data=r.data, partition_key=r.partition_key, sub_sequence_number=index, **common)
                for index, r in enumerate(inner)
            ]
    return [KinesisRecord(data=data, partition_key=kinesis.get("partitionKey", ""), **common)]


def iter_records(event: dict[str, Any]) -> Iterator[KinesisRecord]:
    for trigger_record in event.get("Records", []):
        yield from user_records(trigger_record)


@dataclass
class BatchOutcome:
    """What happened to a batch: records done, failed events made, parents to retry."""

    total_parents: int
    done: int = 0
    failed_events: list[FailedEvent] = field(default_factory=list)
    retry: dict[str, RetryableError] = field(default_factory=dict)

    def retry_later(self, record: KinesisRecord, error: RetryableError) -> None:
        self.retry.setdefault(record.sequence_number, error)

    def retry_parents(self, sequence_numbers: Iterable[str], error: RetryableError) -> None:
        """Parent records whose output did not land: Lambda must deliver them again."""
        for sequence_number in sequence_numbers:
            self.retry.setdefault(sequence_number, error)

    def response(self) -> PartialBatchResponse:
        """The partial-batch response; raises when nothing at all succeeded, so Lambda retries the
        whole batch (bisecting it when the mapping says so) instead of checkpointing past it."""
        if self.retry and len(self.retry) >= self.total_parents and self.total_parents > 0:
            first = next(iter(self.retry.values()))
            raise BatchFailedError(f"all {self.total_parents} records failed: {first}") from first
        return {"batchItemFailures": [{"itemIdentifier": seq} for seq in sorted(self.retry, key=lambda s: (len(s), s))]}


def process_batch(
    event: dict[str, Any],
    handle: Callable[[KinesisRecord], None],
    *,
    stage: str,
    time_left: Callable[[], bool] | None = None,
) -> BatchOutcome:
    """Runs ``handle`` on every user record of a Kinesis event.

    A poison record becomes a failed event (in ``outcome.failed_events``); a retryable error puts
    its parent record in ``batchItemFailures``. When ``time_left`` says the invocation is about to
    end, the records not yet handled are reported for retry rather than cut off mid-way.
    """
    trigger_records = kinesis_records(event)
    outcome = BatchOutcome(total_parents=len(trigger_records))
    for trigger_record in trigger_records:
        try:
            records = user_records(trigger_record)
        except MalformedTriggerError as exc:
            # Without a sequence number it cannot be retried individually: fail the batch.
            raise RetryableError(str(exc)) from exc
        for record in records:
            if record.sequence_number in outcome.retry:
                continue
            if time_left is not None and not time_left():
                outcome.retry_later(record, RetryableError("invocation deadline reached before this record"))
                continue
            try:
                handle(record)
                outcome.done += 1
            except PoisonRecordError as exc:
                outcome.failed_events.append(record.failed_event(exc, stage=stage))
            except RetryableError as exc:
                outcome.retry_later(record, exc)
    return outcome
