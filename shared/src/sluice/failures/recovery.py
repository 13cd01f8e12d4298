"""``sluice failed recover``: the records of batches Lambda gave up on, put back on their stream.

Lambda sends only metadata to a Kinesis mapping's on-failure destination (see
``sluice.failures.destination``); the records stay on the stream until its retention passes. So
each message is read, its shard and sequence range fetched back with GetShardIterator
(AT_SEQUENCE_NUMBER) and GetRecords, and the records put back on the same stream with their own
partition keys, for the stage to process again once the cause is fixed. A message is deleted only
after every one of its records is back: running the command twice puts nothing back twice, and
every sink is idempotent on event_id should a run stop between the put and the delete.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sluice.failures.destination import DiscardedBatch, NotABatchInfoError
from sluice.producers.kinesis import KinesisProducer, StreamRecord
from sluice.producers.retry import Deadline, error_code

# While a run works on a message, no other reader sees it (SQS visibility timeout, seconds).
HOLD_MESSAGES_S = 120


@dataclass
class BatchRecovery:
    message_id: str
    status: str  # would recover, recovered, expired, unreadable, not sent
    detail: str
    batch: DiscardedBatch | None = None
    records: int = 0

    def to_dict(self) -> dict[str, Any]:
        batch = self.batch
        return {
            "message_id": self.message_id,
            "status": self.status,
            "records": self.records,
            "function": batch.function_arn if batch else None,
            "condition": batch.condition if batch else None,
            "stream": batch.stream_name if batch else None,
            "shard": batch.shard_id if batch else None,
            "start_sequence": batch.start_sequence if batch else None,
            "end_sequence": batch.end_sequence if batch else None,
            "detail": self.detail,
        }


@dataclass
class RecoveryReport:
    batches: list[BatchRecovery] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(b.status in ("would recover", "recovered") for b in self.batches)


class RecordsExpiredError(Exception):
    """The stream no longer holds (all) the records of the range."""


def fetch_range(kinesis: Any, batch: DiscardedBatch) -> list[dict[str, Any]]:
    """The records from the batch's first to its last sequence number, from its shard."""
    start, end = int(batch.start_sequence), int(batch.end_sequence)
    try:
        iterator = kinesis.get_shard_iterator(
            StreamName=batch.stream_name,
            ShardId=batch.shard_id,
            ShardIteratorType="AT_SEQUENCE_NUMBER",
            StartingSequenceNumber=batch.start_sequence,
        )["ShardIterator"]
    except Exception as exc:
        if error_code(exc) in ("InvalidArgumentException", "ResourceNotFoundException"):
            raise RecordsExpiredError(f"{error_code(exc)}: {exc}") from exc
        raise
    records: list[dict[str, Any]] = []
    while iterator:
        page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
        for record in page.get("Records", []):
            sequence = int(record["SequenceNumber"])
            if sequence > end:
                return records
            records.append(record)
        if not page.get("Records") and not page.get("MillisBehindLatest"):
            break  # at the tip of the shard
        iterator = page.get("NextShardIterator")
    if not records or int(records[0]["SequenceNumber"]) != start:
        raise RecordsExpiredError("the first record of the range is past the stream's retention")
    return records


def recover(sqs: Any, kinesis: Any, queue_url: str, *, execute: bool, max_messages: int = 1000) -> RecoveryReport:
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
        for message in fresh:
            seen.add(message["MessageId"])
            outcome = _recover_one(kinesis, message, execute=execute)
            report.batches.append(outcome)
            if outcome.status == "recovered":
                sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
            else:
                held.append(message["ReceiptHandle"])
    for handle in held:  # visible again at once, for the next run (or an operator)
        sqs.change_message_visibility(QueueUrl=queue_url, ReceiptHandle=handle, VisibilityTimeout=0)
    return report


def _recover_one(kinesis: Any, message: dict[str, Any], *, execute: bool) -> BatchRecovery:
    message_id = message["MessageId"]
    try:
        batch = DiscardedBatch.from_message(message["Body"])
    except NotABatchInfoError as exc:
        return BatchRecovery(message_id, "unreadable", str(exc))
    try:
        records = fetch_range(kinesis, batch)
    except RecordsExpiredError as exc:
        return BatchRecovery(message_id, "expired", f"records no longer on the stream: {exc}", batch)
    if not execute:
        return BatchRecovery(message_id, "would recover", f"{len(records)} records", batch, len(records))
    producer = KinesisProducer(kinesis, batch.stream_name)
    delivery = producer.put([StreamRecord(bytes(r["Data"]), r["PartitionKey"]) for r in records], Deadline.after(120))
    if not delivery.ok:
        errors = sorted(set(delivery.failed.values()))[:3]
        return BatchRecovery(
            message_id, "not sent", f"{len(delivery.failed)} records not put back: {errors}", batch, len(records)
        )
    return BatchRecovery(
        message_id, "recovered", f"{len(records)} records put back on {batch.stream_name}", batch, len(records)
    )
