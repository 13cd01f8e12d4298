"""The local event-source-mapping runtime: what Lambda's Kinesis and SQS integrations do, for
stages invoked in-process or inside their images.

Kinesis (per shard): batches up to ``batch_size`` after at most ``batching_window_seconds``;
a partial batch response checkpoints at the lowest failed sequence number and retries from there;
a raised error bisects the batch; a record that exhausts ``maximum_retry_attempts`` or is older
than ``maximum_record_age_seconds`` goes to the on-failure destination and is skipped; tumbling
windows chain ``state`` and end with a final invocation. SQS: messages not in
``batchItemFailures`` are deleted; the others come back after their visibility timeout.
"""

from __future__ import annotations

import base64
import json
import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sluice.runtime.errors import SluiceError
from sluice_tools.failures.destination import batch_info_message
from sluice_tools.tumbling import iso, state_too_large, window_of

__all__ = [
    "INVOCATION_ERROR",
    "InvocationFailed",
    "Invoke",
    "KinesisPoller",
    "KinesisSettings",
    "PollingLoop",
    "Schedule",
    "ShardState",
    "SqsPoller",
    "in_container",
    "in_process",
    "lambda_record",
]

log = logging.getLogger("sluice_tools.local.esm")
INVOCATION_ERROR = "the invocation failed"
Invoke = Callable[[dict[str, Any]], Any]


class InvocationFailed(SluiceError):
    """The function raised (in-process) or answered with an error (in a container)."""


@dataclass
class KinesisSettings:
    batch_size: int = 100
    batching_window_seconds: float = 1.0
    starting_position: str = "TRIM_HORIZON"
    maximum_retry_attempts: int = 10
    maximum_record_age_seconds: int = 86_400
    tumbling_window_seconds: int | None = None


@dataclass
class ShardState:
    shard_id: str
    iterator: str | None
    retries: dict[str, int] = field(default_factory=dict)
    window_start: float | None = None
    window_state: dict[str, Any] = field(default_factory=dict)
    # Where the mapping stands (what a drain reports as still in flight): GetRecords'
    # MillisBehindLatest (Lambda's IteratorAge), whether the last read found nothing newer, and
    # how many records it has handed to the function (a retried record counts again).
    behind_ms: int = 0
    at_tip: bool = False
    delivered: int = 0


def lambda_record(record: dict[str, Any], shard_id: str, stream_arn: str, region: str) -> dict[str, Any]:
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": record["PartitionKey"],
            "sequenceNumber": record["SequenceNumber"],
            "data": base64.b64encode(record["Data"]).decode("ascii"),
            "approximateArrivalTimestamp": record["ApproximateArrivalTimestamp"].timestamp(),
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard_id}:{record['SequenceNumber']}",
        "eventName": "aws:kinesis:record",
        "awsRegion": region,
        "eventSourceARN": stream_arn,
    }


class KinesisPoller:
    def __init__(
        self,
        kinesis: Any,
        stream: str,
        invoke: Invoke,
        settings: KinesisSettings,
        *,
        on_failure: Callable[[dict[str, Any]], None] | None = None,
        name: str = "",
        function_arn: str | None = None,
    ) -> None:
        self.kinesis = kinesis
        self.stream = stream
        self.invoke = invoke
        self.settings = settings
        self.on_failure = on_failure or (lambda info: log.error("record dropped after retries", extra=info))
        self.name = name or stream
        description = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        self.stream_arn = description["StreamARN"]
        self.region = self.stream_arn.split(":")[3]
        account = self.stream_arn.split(":")[4]
        self.function_arn = function_arn or f"arn:aws:lambda:{self.region}:{account}:function:{self.name}"
        self.shards: list[ShardState] = []
        for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
            iterator = kinesis.get_shard_iterator(
                StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType=settings.starting_position
            )["ShardIterator"]
            self.shards.append(ShardState(shard["ShardId"], iterator))
        self.invocations = 0
        self.idle = True
        # The polling thread and a caller closing windows early must not interleave.
        self.lock = threading.Lock()

    # -- one polling round over every shard ----------------------------------------------------
    def poll_once(self) -> int:
        handled = 0
        with self.lock:
            for shard in self.shards:
                handled += self._poll_shard(shard)
        self.idle = handled == 0 and not any(s.window_state for s in self.shards)
        return handled

    def _poll_shard(self, shard: ShardState) -> int:
        if shard.iterator is None:
            return 0
        page = self.kinesis.get_records(ShardIterator=shard.iterator, Limit=self.settings.batch_size)
        records = page.get("Records", [])
        next_iterator = page.get("NextShardIterator")
        shard.behind_ms, shard.at_tip = int(page.get("MillisBehindLatest", 0)), not records
        shard.delivered += len(records)
        if self.settings.tumbling_window_seconds:
            self._close_window_if_over(shard, records)
        if not records:
            shard.iterator = next_iterator
            return 0
        batch = [lambda_record(r, shard.shard_id, self.stream_arn, self.region) for r in records]
        outcome = self._deliver(shard, batch)
        if outcome is None:
            shard.iterator = next_iterator
        else:
            # Checkpoint at the lowest failed sequence number (or just past a record given up on):
            # the next round starts there.
            kind, sequence = outcome
            iterator_type = "AT_SEQUENCE_NUMBER" if kind == "resume" else "AFTER_SEQUENCE_NUMBER"
            shard.iterator = self.kinesis.get_shard_iterator(
                StreamName=self.stream,
                ShardId=shard.shard_id,
                ShardIteratorType=iterator_type,
                StartingSequenceNumber=sequence,
            )["ShardIterator"]
        return len(records)

    def _deliver(self, shard: ShardState, batch: list[dict[str, Any]]) -> tuple[str, str] | None:
        """Invoke with the batch (bisecting on errors); None when the whole batch is done, else
        ("resume", sequence) to retry from it or ("skip", sequence) to go past it."""
        try:
            response = self._invoke(shard, batch)
        except InvocationFailed as exc:
            if len(batch) > 1:
                middle = len(batch) // 2
                first = self._deliver(shard, batch[:middle])
                return first if first is not None else self._deliver(shard, batch[middle:])
            log.warning("invocation failed", extra={"stage": self.name, "error": str(exc)[:300]})
            return self._retry_or_give_up(shard, batch[0], INVOCATION_ERROR)
        failures = [f.get("itemIdentifier") for f in (response or {}).get("batchItemFailures", [])]
        if not failures:
            return None
        if any(not f for f in failures):
            # An empty or null identifier: Lambda treats it as a failure of the whole batch.
            return self._retry_or_give_up(shard, batch[0], "empty itemIdentifier in batchItemFailures")
        lowest = min(failures, key=lambda s: (len(s), s))
        record = next((r for r in batch if r["kinesis"]["sequenceNumber"] == lowest), batch[0])
        return self._retry_or_give_up(shard, record, "reported in batchItemFailures")

    def _retry_or_give_up(self, shard: ShardState, record: dict[str, Any], reason: str) -> tuple[str, str]:
        sequence = record["kinesis"]["sequenceNumber"]
        attempts = shard.retries.get(sequence, 0) + 1
        shard.retries[sequence] = attempts
        age = time.time() - record["kinesis"]["approximateArrivalTimestamp"]
        too_old = age > self.settings.maximum_record_age_seconds
        if attempts > self.settings.maximum_retry_attempts or too_old:
            # Lambda's own record of a discarded batch, so that what reads it locally (sluice
            # failed recover) reads it on AWS alike.
            self.on_failure(
                batch_info_message(
                    function_arn=self.function_arn,
                    condition="RecordAgeExceeded" if too_old else "RetryAttemptsExhausted",
                    invoke_count=attempts,
                    records=[record],
                    stream_arn=self.stream_arn,
                    function_error="Unhandled" if reason == INVOCATION_ERROR else None,
                )
            )
            log.error("batch given up after retries", extra={"stage": self.name, "reason": reason})
            shard.retries.pop(sequence, None)
            return ("skip", sequence)
        time.sleep(min(0.05 * 2**attempts, 1.0))
        return ("resume", sequence)

    def _invoke(self, shard: ShardState, batch: list[dict[str, Any]]) -> Any:
        self.invocations += 1
        if not self.settings.tumbling_window_seconds:
            return self.invoke({"Records": batch})
        arrival = batch[0]["kinesis"]["approximateArrivalTimestamp"]
        start = window_of(arrival, self.settings.tumbling_window_seconds)
        if shard.window_start is not None and start != shard.window_start:
            self._final(shard)
        shard.window_start = start
        response = self.invoke(self._window_event(shard, batch, final=False))
        shard.window_state = (response or {}).get("state") or {}
        if state_too_large(shard.window_state):
            self._end_early(shard)
        return response

    def _end_early(self, shard: ShardState) -> None:
        """Lambda's answer to a state over 1 MB: the window ends early with that state, and goes
        on with fresh state (``isWindowTerminatedEarly``)."""
        self.invocations += 1
        self.invoke(self._window_event(shard, [], final=True, early=True))
        shard.window_state = {}

    def _window_event(
        self, shard: ShardState, batch: list[dict[str, Any]], *, final: bool, early: bool = False
    ) -> dict[str, Any]:
        assert shard.window_start is not None and self.settings.tumbling_window_seconds
        return {
            "Records": batch,
            "window": {
                "start": iso(shard.window_start),
                "end": iso(shard.window_start + self.settings.tumbling_window_seconds),
            },
            "state": shard.window_state,
            "shardId": shard.shard_id,
            "eventSourceARN": self.stream_arn,
            "isFinalInvokeForWindow": final,
            "isWindowTerminatedEarly": early,
        }

    def _close_window_if_over(self, shard: ShardState, records: list[dict[str, Any]]) -> None:
        if shard.window_start is None or not self.settings.tumbling_window_seconds:
            return
        if time.time() >= shard.window_start + self.settings.tumbling_window_seconds and not records:
            self._final(shard)

    def _final(self, shard: ShardState) -> None:
        self.invocations += 1
        self.invoke(self._window_event(shard, [], final=True))
        shard.window_start, shard.window_state = None, {}

    def flush_windows(self) -> None:
        """Close every open window now (shutting down, or a demo that cannot wait a window)."""
        with self.lock:
            for shard in self.shards:
                if shard.window_start is not None:
                    self._final(shard)


class SqsPoller:
    def __init__(self, sqs: Any, queue_url: str, invoke: Invoke, *, batch_size: int = 10, name: str = "") -> None:
        self.sqs = sqs
        self.queue_url = queue_url
        self.invoke = invoke
        self.batch_size = batch_size
        self.name = name or queue_url
        self.arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
        self.invocations = 0
        self.idle = True

    def poll_once(self) -> int:
        received = self.sqs.receive_message(
            QueueUrl=self.queue_url,
            MaxNumberOfMessages=min(10, self.batch_size),
            WaitTimeSeconds=0,
            VisibilityTimeout=5,
            AttributeNames=["All"],
        )
        messages = received.get("Messages", [])
        self.idle = not messages
        if not messages:
            # Messages in flight (a failed batch waiting out its visibility timeout) are not done.
            attributes = self.sqs.get_queue_attributes(
                QueueUrl=self.queue_url, AttributeNames=["ApproximateNumberOfMessagesNotVisible"]
            )["Attributes"]
            return 1 if int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0)) else 0
        event = {
            "Records": [
                {
                    "messageId": m["MessageId"],
                    "receiptHandle": m["ReceiptHandle"],
                    "body": m["Body"],
                    "attributes": m.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": m["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": self.arn,
                    "awsRegion": self.arn.split(":")[3],
                }
                for m in messages
            ]
        }
        self.invocations += 1
        try:
            response = self.invoke(event)
            failed = {f["itemIdentifier"] for f in (response or {}).get("batchItemFailures", [])}
        except InvocationFailed:
            failed = {m["MessageId"] for m in messages}
        for message in messages:
            if message["MessageId"] not in failed:
                self.sqs.delete_message(QueueUrl=self.queue_url, ReceiptHandle=message["ReceiptHandle"])
        return len(messages)


class Schedule:
    """An EventBridge Scheduler ``rate()`` schedule, locally: the target is invoked every
    ``every_s`` seconds with the scheduled time in its input, as the Terraform schedule passes
    ``<aws.scheduler.scheduled-time>``. It never keeps the polling loop busy."""

    def __init__(self, invoke: Invoke, every_s: float, *, name: str) -> None:
        self.invoke = invoke
        self.every_s = every_s
        self.name = name
        self.next_at = time.time() + every_s
        self.lock = threading.Lock()

    def poll_once(self) -> int:
        if time.time() >= self.next_at:
            self.fire(time.time())
            self.next_at = time.time() + self.every_s
        return 0

    def fire(self, at: float) -> Any:
        from sluice_tools.tumbling import iso

        with self.lock:
            return self.invoke({"scheduled_time": iso(at)})


class PollingLoop:
    """Runs pollers on a thread until stopped; ``drained`` says when a full round found nothing."""

    def __init__(self, pollers: list[Any], interval_s: float = 0.2) -> None:
        self.pollers = pollers
        self.interval_s = interval_s
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="sluice-esm", daemon=True)
        self.quiet_rounds = 0
        self.errors: list[str] = []

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._stop.set()
        self._thread.join(timeout=30)

    def _run(self) -> None:
        while not self._stop.is_set():
            busy = 0
            for poller in self.pollers:
                try:
                    busy += poller.poll_once()
                except Exception as exc:
                    self.errors.append(f"{poller.name}: {exc!r}")
                    log.exception("poller failed", extra={"poller": poller.name})
            self.quiet_rounds = 0 if busy else self.quiet_rounds + 1
            if not busy:
                self._stop.wait(self.interval_s)

    def wait_drained(self, timeout_s: float = 120.0, quiet_rounds: int = 5) -> bool:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            if self.quiet_rounds >= quiet_rounds:
                return True
            time.sleep(self.interval_s)
        return False


def in_process(handler: Callable[[dict[str, Any], Any], Any], timeout_s: float = 60.0) -> Invoke:
    """Invoke a handler function directly, with a Lambda-like context."""
    import uuid

    class Context:
        def __init__(self) -> None:
            self.aws_request_id = str(uuid.uuid4())
            self._ends = time.monotonic() + timeout_s

        def get_remaining_time_in_millis(self) -> int:
            return max(0, int((self._ends - time.monotonic()) * 1000))

    def invoke(event: dict[str, Any]) -> Any:
        try:
            return handler(event, Context())
        except Exception as exc:
            raise InvocationFailed(f"{type(exc).__name__}: {exc}") from exc

    return invoke


def in_container(container: Any, timeout_s: float = 60.0) -> Invoke:
    from sluice_tools.local.runtime_api import InvocationError

    def invoke(event: dict[str, Any]) -> Any:
        try:
            return container.invoke(json.loads(json.dumps(event)), timeout_s)
        except InvocationError as exc:
            raise InvocationFailed(str(exc)) from exc

    return invoke
