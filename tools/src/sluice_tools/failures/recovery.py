"""``sluice failed recover``: the records of batches Lambda gave up on, put back on their stream.

Lambda sends only metadata to a Kinesis mapping's on-failure destination (see
``sluice_tools.failures.destination``); the records stay on the stream until its retention passes. So
each message is read, its shard and sequence range fetched back with GetShardIterator
(AT_SEQUENCE_NUMBER) and GetRecords, and the records put back on the same stream with their own
partition keys, for the stage to process again once the cause is fixed.

What came back is held against what the message says (first and last sequence number, batch
size): a range the stream no longer holds in full is reported expired or partially expired, never
recovered, and its message stays queued unless the operator accepts the loss. A range already put
back (by an earlier message of the run, or an earlier run: ``sluice_tools.failures.recovered``) is not
put back again; nor, after a put that went only partly through, are the records that did go back
(the runs of them are recorded, the message stays queued). A message that cannot be read or
worked on is reported and left queued; the run goes on with the next.
"""

from __future__ import annotations

import re
from collections.abc import Container
from dataclasses import dataclass, field
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sluice.producers.kinesis import KinesisProducer, StreamRecord
from sluice.producers.retry import error_code
from sluice.runtime.deadline import Deadline
from sluice.runtime.errors import SluiceError
from sluice_tools.failures.destination import DiscardedBatch, NotABatchInfoError
from sluice_tools.failures.recovered import RecoveredRanges

__all__ = [
    "GET_RECORDS_LIMIT",
    "HOLD_MESSAGES_S",
    "LOST",
    "SETTLED",
    "BatchRecovery",
    "RecordsExpiredError",
    "RecoveryReport",
    "checked",
    "delivered_runs",
    "fetch_range",
    "recover",
]

# While a run works on a message, no other reader sees it (SQS visibility timeout, seconds).
HOLD_MESSAGES_S = 120
# GetRecords returns at most 10,000 records per call (Kinesis GetRecords Limit).
GET_RECORDS_LIMIT = 10_000

# What Kinesis accepts for each (the API's own patterns, botocore's kinesis service model).
_SEQUENCE = re.compile(r"0|[1-9]\d{0,128}")
_SHARD_ID = re.compile(r"[a-zA-Z0-9_.-]{1,128}")
_STREAM_ARN = re.compile(r"arn:aws[a-z-]*:kinesis:[a-z0-9-]+:\d{12}:stream/[a-zA-Z0-9_.-]{1,128}")

# Settled: nothing left for an operator. Lost: records the stream no longer holds.
SETTLED = ("would recover", "recovered", "already recovered")
LOST = ("expired", "partially expired")


@dataclass
class BatchRecovery:
    message_id: str
    status: str  # SETTLED, LOST, inconsistent, unreadable, not sent, error
    detail: str
    batch: DiscardedBatch | None = None
    records: int = 0  # put back (or, in a dry run, that would be)
    missing: int = 0  # of the batch, no longer on the stream
    kept: bool = True  # the message left on the queue

    @property
    def settled(self) -> bool:
        """Nothing left to do: recovered, or a loss the operator accepted (its message deleted)."""
        return self.status in SETTLED or (self.status in LOST and not self.kept)

    def to_dict(self) -> dict[str, Any]:
        batch = self.batch
        return {
            "message_id": self.message_id,
            "status": self.status,
            "records": self.records,
            "missing": self.missing,
            "message": "kept" if self.kept else "deleted",
            "function": batch.function_arn if batch else None,
            "condition": batch.condition if batch else None,
            "stream": batch.stream_name if batch else None,
            "shard": batch.shard_id if batch else None,
            "start_sequence": batch.start_sequence if batch else None,
            "end_sequence": batch.end_sequence if batch else None,
            "batch_size": batch.batch_size if batch else None,
            "detail": self.detail,
        }


@dataclass
class RecoveryReport:
    batches: list[BatchRecovery] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(b.settled for b in self.batches)


class RecordsExpiredError(SluiceError):
    """The stream no longer holds the shard or the range's first sequence number."""


def checked(batch: DiscardedBatch) -> DiscardedBatch:
    """The batch, if its identifiers are what Kinesis accepts: a bad one is this message's error,
    not a refused call that would end the run."""
    problems = [
        f"{name} {value!r}"
        for name, value, pattern in (
            ("streamArn", batch.stream_arn, _STREAM_ARN),
            ("shardId", batch.shard_id, _SHARD_ID),
            ("startSequenceNumber", batch.start_sequence, _SEQUENCE),
            ("endSequenceNumber", batch.end_sequence, _SEQUENCE),
        )
        if not pattern.fullmatch(value)
    ]
    if not problems and int(batch.start_sequence) > int(batch.end_sequence):
        problems.append("startSequenceNumber after endSequenceNumber")
    if batch.batch_size < 1:
        problems.append(f"batchSize {batch.batch_size}")
    if problems:
        raise NotABatchInfoError(f"not a Kinesis on-failure record: invalid {', '.join(problems)}")
    return batch


def fetch_range(kinesis: Any, batch: DiscardedBatch) -> list[dict[str, Any]]:
    """The records the shard still holds from the batch's first to its last sequence number."""
    start, end = int(batch.start_sequence), int(batch.end_sequence)
    try:
        # Past the trim horizon Kinesis either refuses the number or starts at the oldest record
        # it holds: what came back says which records are gone (``_missing``).
        iterator = kinesis.get_shard_iterator(
            StreamName=batch.stream_name,
            ShardId=batch.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=batch.start_sequence,
        )["ShardIterator"]
    except ClientError as exc:
        if error_code(exc) in ("InvalidArgumentException", "ResourceNotFoundException"):
            raise RecordsExpiredError(f"{error_code(exc)}: {exc}") from exc
        raise
    records: list[dict[str, Any]] = []
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator, Limit=GET_RECORDS_LIMIT)
        for record in page.get("Records", []):
            sequence = int(record["SequenceNumber"])
            if sequence > end:
                return records
            if sequence >= start:
                records.append(record)
        if not page.get("Records") and not page.get("MillisBehindLatest"):
            break  # at the tip of the shard
        iterator = page.get("NextShardIterator")
    return records


def _missing(records: list[dict[str, Any]], batch: DiscardedBatch) -> tuple[str, int, str] | None:
    """None if the stream holds the whole batch; else (status, records missing, why)."""
    start, end = int(batch.start_sequence), int(batch.end_sequence)
    if not records:
        return "expired", batch.batch_size, "none of its records is on the stream any more"
    first, last = int(records[0]["SequenceNumber"]), int(records[-1]["SequenceNumber"])
    if first != start:
        # Retention trims a shard from its oldest record on: the range's head is gone.
        gone = max(batch.batch_size - len(records), 1)
        return (
            "partially expired",
            gone,
            f"its first {gone} of {batch.batch_size} records are past the stream's retention",
        )
    if last != end or len(records) != batch.batch_size:
        return (
            "inconsistent",
            max(batch.batch_size - len(records), 0),
            f"the stream holds {len(records)} records from {first} to {last}, "
            f"the message says {batch.batch_size} to {end}",
        )
    return None


def recover(
    sqs: Any,
    kinesis: Any,
    ledger: RecoveredRanges,
    queue_url: str,
    *,
    execute: bool,
    accept_loss: bool = False,
    max_messages: int = 1000,
) -> RecoveryReport:
    report = RecoveryReport()
    seen: set[str] = set()
    held: list[str] = []  # receipt handles to give back when not deleted
    while len(seen) < max_messages:
        received = sqs.receive_message(
            QueueUrl=queue_url, MaxNumberOfMessages=10, VisibilityTimeout=HOLD_MESSAGES_S, WaitTimeSeconds=0
        ).get("Messages", [])
        fresh = [m for m in received if m["MessageId"] not in seen]
        if not fresh:
            break
        room = max_messages - len(seen)
        held += [m["ReceiptHandle"] for m in fresh[room:]]  # past --max-messages: left for the next run
        for message in fresh[:room]:
            seen.add(message["MessageId"])
            try:
                outcome = _recover_one(kinesis, ledger, message, execute=execute, accept_loss=accept_loss)
            except (ClientError, BotoCoreError) as exc:
                # Refused or unreachable for this message (access, throttling, a missing bucket):
                # the next one may fare better; this one stays for the next run.
                outcome = BatchRecovery(message["MessageId"], "error", f"{error_code(exc)}: {exc}")
            report.batches.append(outcome)
            if outcome.kept:
                held.append(message["ReceiptHandle"])
            else:
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
    for handle in held:  # visible again at once, for the next run (or an operator)
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return report


def _recover_one(
    kinesis: Any, ledger: RecoveredRanges, message: dict[str, Any], *, execute: bool, accept_loss: bool
) -> BatchRecovery:
    message_id = message["MessageId"]
    try:
        batch = checked(DiscardedBatch.from_message(message["Body"]))
    except NotABatchInfoError as exc:
        return BatchRecovery(message_id, "unreadable", str(exc))
    done = ledger.overlapping(batch)
    if ledger.covers(batch):
        by = "; ".join(sorted({r.describe() for r in done}))
        return BatchRecovery(message_id, "already recovered", f"covered by {by}", batch, kept=not execute)
    try:
        records, expired = fetch_range(kinesis, batch), ""
    except RecordsExpiredError as exc:
        records, expired = [], f" ({exc})"
    status, missing, why = _missing(records, batch) or ("recovered", 0, "")
    if status != "recovered" and (status not in LOST or not accept_loss):
        hint = " (--accept-loss puts back what is left and deletes it)" if status in LOST else ""
        return BatchRecovery(message_id, status, f"{why}{expired}; message kept{hint}", batch, missing=missing)
    fresh = [r for r in records if not any(d.holds(int(r["SequenceNumber"])) for d in done)]
    again = f"; {len(records) - len(fresh)} already put back" if len(fresh) < len(records) else ""
    lost = f"; {why}, loss accepted" if missing else ""
    if not execute:
        ledger.plan(batch, message_id)
        status = "would recover" if status == "recovered" else status
        detail = f"would put back {len(fresh)} records{again}{lost}"
        return BatchRecovery(message_id, status, detail, batch, len(fresh), missing)
    producer = KinesisProducer(kinesis, batch.stream_name)
    delivery = producer.put([StreamRecord(bytes(r["Data"]), r["PartitionKey"]) for r in fresh], Deadline.after(120))
    if not delivery.ok:
        return _partly_sent(ledger, batch, message_id, fresh, delivery.failed, missing=missing)
    if fresh:  # a range of which nothing was left needs no record: nothing of it can be put back twice
        try:
            ledger.record(batch, message_id, len(fresh), missing)
        except (ClientError, BotoCoreError) as exc:
            detail = f"{len(fresh)} records put back, but not recorded as such ({error_code(exc)}: {exc}); message kept"
            return BatchRecovery(message_id, "error", detail, batch, len(fresh), missing)
    detail = f"{len(fresh)} records put back on {batch.stream_name}{again}{lost}"
    return BatchRecovery(message_id, status, detail, batch, len(fresh), missing, kept=False)


def _partly_sent(
    ledger: RecoveredRanges,
    batch: DiscardedBatch,
    message_id: str,
    fresh: list[dict[str, Any]],
    failed: dict[int, str],
    *,
    missing: int,
) -> BatchRecovery:
    """Some records went back, some did not: the message stays for a rerun, and the runs of
    records that did go back are recorded, so the rerun puts back only the rest (the lake is not
    keyed on event_id: a record put back twice is two lake lines)."""
    errors = sorted(set(failed.values()))[:3]
    delivered = len(fresh) - len(failed)
    detail = f"{len(failed)} of {len(fresh)} records not put back: {errors}; message kept"
    try:
        for run in delivered_runs(fresh, failed):
            part = (run[0]["SequenceNumber"], run[-1]["SequenceNumber"])
            ledger.record(batch, message_id, len(run), missing, part=part)
    except (ClientError, BotoCoreError) as exc:
        detail += (
            f"; the {delivered} put back are not recorded ({error_code(exc)}: {exc}): a rerun puts them back again"
        )
    else:
        if delivered:
            detail += f", a rerun puts back only those {len(failed)}"
    return BatchRecovery(message_id, "not sent", detail, batch, delivered, missing)


def delivered_runs(fresh: list[dict[str, Any]], failed: Container[int]) -> list[list[dict[str, Any]]]:
    """The runs of records put back, each unbroken by one that was not. ``fresh`` is in shard
    order, and every record of the shard between two of its records is one of them or already
    recorded, so the range from a run's first to its last record marks nothing that is not back."""
    runs: list[list[dict[str, Any]]] = [[]]
    for index, record in enumerate(fresh):
        if index in failed:
            runs.append([])
        else:
            runs[-1].append(record)
    return [run for run in runs if run]
