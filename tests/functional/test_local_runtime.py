"""The local event-source-mapping runtime does what Lambda's Kinesis integration does: checkpoint
at the lowest failed sequence number, bisect a batch whose invocation fails, give up after the
retry limit or the record age into the on-failure destination, and chain tumbling-window state."""

from __future__ import annotations

from sluice_tools.local.esm import InvocationFailed, KinesisPoller, KinesisSettings
from support.aws import aws_client


def _stream(aws: str, records: int, name: str = "esm-test") -> None:
    kinesis = aws_client("kinesis", aws)
    kinesis.create_stream(StreamName=name, ShardCount=1)
    for index in range(records):
        kinesis.put_record(StreamName=name, Data=str(index).encode(), PartitionKey="p")


def _values(event) -> list[int]:
    import base64

    return [int(base64.b64decode(r["kinesis"]["data"])) for r in event["Records"]]


def _drain(poller: KinesisPoller, rounds: int = 30) -> None:
    for _ in range(rounds):
        poller.poll_once()


def test_a_partial_batch_response_checkpoints_at_the_lowest_failed_record(aws):
    _stream(aws, 10)
    seen: list[list[int]] = []
    failed_once = set()

    def handler(event):
        values = _values(event)
        seen.append(values)
        bad = [r for r, v in zip(event["Records"], values, strict=True) if v in (4, 7) and v not in failed_once]
        failed_once.update(v for v in values if v in (4, 7))
        return {"batchItemFailures": [{"itemIdentifier": r["kinesis"]["sequenceNumber"]} for r in bad]}

    poller = KinesisPoller(aws_client("kinesis", aws), "esm-test", handler, KinesisSettings(batch_size=10))
    _drain(poller)
    assert seen[0] == list(range(10))
    assert seen[1] == list(range(4, 10))  # resumed at 4, the lowest failed record, 5..9 again


def test_a_failing_invocation_is_bisected_until_the_poison_record_is_alone(aws):
    _stream(aws, 8)
    seen: list[list[int]] = []
    gave_up: list[dict] = []

    def handler(event):
        values = _values(event)
        seen.append(values)
        if 5 in values:
            raise InvocationFailed("record 5 breaks the function")
        return {"batchItemFailures": []}

    poller = KinesisPoller(
        aws_client("kinesis", aws),
        "esm-test",
        handler,
        KinesisSettings(batch_size=8, maximum_retry_attempts=2),
        on_failure=gave_up.append,
    )
    _drain(poller)
    assert seen[:4] == [list(range(8)), [0, 1, 2, 3], [4, 5, 6, 7], [4, 5]]
    assert [5] in seen
    # the first try and two retries, then Lambda's on-failure record of the discarded record
    (message,) = gave_up
    assert message["requestContext"]["condition"] == "RetryAttemptsExhausted"
    assert message["requestContext"]["approximateInvokeCount"] == 3
    assert message["requestContext"]["functionArn"].startswith("arn:aws:lambda:")
    assert message["responseContext"]["functionError"] == "Unhandled"
    assert message["version"] == "1.0"
    info = message["KinesisBatchInfo"]
    assert set(info) == {
        "shardId",
        "startSequenceNumber",
        "endSequenceNumber",
        "approximateArrivalOfFirstRecord",
        "approximateArrivalOfLastRecord",
        "batchSize",
        "streamArn",
    }
    assert info["batchSize"] == 1 and info["startSequenceNumber"] == info["endSequenceNumber"]
    assert info["streamArn"].endswith(":stream/esm-test") and info["shardId"].startswith("shardId-")
    assert any(6 in batch and 5 not in batch for batch in seen)  # processing went on past it


def test_records_older_than_the_maximum_age_go_to_the_on_failure_destination(aws):
    _stream(aws, 3)
    gave_up: list[dict] = []
    poller = KinesisPoller(
        aws_client("kinesis", aws),
        "esm-test",
        lambda event: {"batchItemFailures": [{"itemIdentifier": event["Records"][0]["kinesis"]["sequenceNumber"]}]},
        KinesisSettings(batch_size=3, maximum_record_age_seconds=-1),
        on_failure=gave_up.append,
    )
    _drain(poller, rounds=5)
    assert [g["requestContext"]["condition"] for g in gave_up][:1] == ["RecordAgeExceeded"]


def test_tumbling_windows_chain_state_and_end_with_a_final_invocation(aws):
    _stream(aws, 6)
    calls: list[dict] = []

    def handler(event):
        calls.append(event)
        if event["isFinalInvokeForWindow"]:
            return {"state": {}, "batchItemFailures": []}
        total = event["state"].get("total", 0) + sum(_values(event))
        return {"state": {"total": total}, "batchItemFailures": []}

    poller = KinesisPoller(
        aws_client("kinesis", aws), "esm-test", handler, KinesisSettings(batch_size=2, tumbling_window_seconds=900)
    )
    _drain(poller, rounds=5)
    poller.flush_windows()
    assert [c["isFinalInvokeForWindow"] for c in calls] == [False, False, False, True]
    assert calls[-1]["state"] == {"total": 15}
    assert calls[0]["window"]["start"] == calls[-1]["window"]["start"]
    assert calls[0]["shardId"] == "shardId-000000000000"
