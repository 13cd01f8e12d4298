"""Nothing is lost when a batch runs out of retries: an outage longer than the retry budget sends
Lambda's metadata to the on-failure queue (as the local runtime writes it, in AWS's shape), and
`sluice failed recover` brings the records back from the stream once the cause is fixed, so the
warehouse ends with every event exactly once. Against moto in server mode and a real PostgreSQL."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys
import time

from sluice_tools.local.esm import KinesisPoller, KinesisSettings, in_process
from sluice_tools.traffic.generator import TrafficConfig, generate
from sqlalchemy import text
from support.apigateway import body_of, http_api_event
from support.aws import REGION, aws_client, notify_queue, read_stream, sqs_event, stream_arn
from support.fault_proxy import Rule, fault_proxy
from support.stages import ingest_service, loader, processor

from sluice.runtime.deadline import Deadline
from sluice.warehouse.tables import FACT_TABLE

PUT_RECORD_BATCH = "Firehose_20150804.PutRecordBatch"


def sluice(aws: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", *args, "--endpoint-url", aws, "--region", REGION],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env={**os.environ, **(env or {})},
    )


def _drain(poller: KinesisPoller, rounds: int = 60) -> None:
    for _ in range(rounds):
        if poller.poll_once() == 0 and poller.poll_once() == 0:
            return


def test_an_outage_longer_than_the_retries_then_recover_gives_every_event_once(aws, pipeline, warehouse):
    sqs = aws_client("sqs", aws)
    on_failure = sqs.create_queue(QueueName="sluice-processor-on-failure")["QueueUrl"]
    lake_notices = notify_queue(aws, pipeline.lake_bucket)
    # GIVEN players' events accepted onto the raw stream
    start = int(time.time() * 1000) - 10 * 60_000
    events = [json.loads(g.body) for g in generate(TrafficConfig(sessions=2, seed=41, start_ms=start))][:12]
    response = ingest_service(aws, pipeline).handle(http_api_event(json.dumps(events)), Deadline.after(20))
    assert body_of(response)["accepted"] == len(events)

    # WHEN the lake's Firehose refuses the processor (its access broken) for longer than the retries
    with fault_proxy(aws) as proxy:
        proxy.add(Rule(PUT_RECORD_BATCH, "throttle", calls=100_000, error_code="AccessDeniedException"))
        broken = processor(aws, pipeline, firehose_endpoint=proxy.url)
        mapping = KinesisPoller(
            aws_client("kinesis", aws),
            pipeline.raw_stream,
            in_process(lambda event, context: broken.handle(event, Deadline.after(5))),
            KinesisSettings(batch_size=100, maximum_retry_attempts=2),
            on_failure=lambda message: sqs.send_message(QueueUrl=on_failure, MessageBody=json.dumps(message)),
            name="sluice-processor",
        )
        _drain(mapping)
    # THEN nothing reached the lake, and the on-failure queue holds Lambda's records of the batches
    assert sqs_event(aws, lake_notices, max_messages=100)["Records"][1:] == []
    recover = ("failed", "recover", "--queue", "sluice-processor-on-failure", "--bucket", pipeline.lake_bucket)
    dry = sluice(aws, *recover, "--format", "json")
    assert dry.returncode == 0, dry.stderr
    listed = json.loads(dry.stdout)["batches"]
    assert {b["status"] for b in listed} == {"would recover"}
    assert sum(b["records"] for b in listed) == len(events)
    assert {b["condition"] for b in listed} == {"RetryAttemptsExhausted"}

    # WHEN the access is fixed and the batches are recovered (twice: the second finds nothing)
    recovered = sluice(aws, *recover, "--execute")
    assert recovered.returncode == 0, recovered.stderr
    assert f"put back {len(events)} records" in recovered.stdout
    again = sluice(aws, *recover, "--execute")
    assert again.returncode == 0 and "no discarded batches" in again.stdout
    healthy = processor(aws, pipeline)
    mapping.invoke = in_process(lambda event, context: healthy.handle(event, Deadline.after(30)))
    _drain(mapping)
    notices = sqs_event(aws, lake_notices, max_messages=100)
    assert loader(aws, pipeline, warehouse).handle(notices, Deadline.after(60)) == {"batchItemFailures": []}

    # THEN the warehouse holds every event exactly once
    with warehouse.connect() as connection:
        rows = [r[0] for r in connection.execute(text(f"SELECT event_id FROM {FACT_TABLE}"))]
    assert sorted(rows) == sorted(e["event_id"] for e in events)


def test_recover_keeps_a_message_whose_records_the_stream_no_longer_holds(aws, pipeline):
    sqs = aws_client("sqs", aws)
    queue = sqs.create_queue(QueueName="sluice-indexer-on-failure")["QueueUrl"]
    kinesis = aws_client("kinesis", aws)
    shard = kinesis.list_shards(StreamName=pipeline.clean_stream)["Shards"][0]["ShardId"]
    stream_arn = kinesis.describe_stream_summary(StreamName=pipeline.clean_stream)["StreamDescriptionSummary"][
        "StreamARN"
    ]
    message = {
        "requestContext": {
            "requestId": "r",
            "functionArn": "arn:aws:lambda:eu-west-1:123456789012:function:sluice-indexer",
            "condition": "RecordAgeExceeded",
            "approximateInvokeCount": 4,
        },
        "responseContext": {"statusCode": 200, "executedVersion": "$LATEST"},
        "version": "1.0",
        "timestamp": "2026-11-26T08:00:00.000Z",
        "KinesisBatchInfo": {
            "shardId": shard,
            "startSequenceNumber": "49590338271490256608559692538361571095921575989136588801",
            "endSequenceNumber": "49590338271490256608559692538361571095921575989136588802",
            "approximateArrivalOfFirstRecord": "2026-11-20T08:00:00.000Z",
            "approximateArrivalOfLastRecord": "2026-11-20T08:00:01.000Z",
            "batchSize": 2,
            "streamArn": stream_arn,
        },
    }
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(message))
    sqs.send_message(QueueUrl=queue, MessageBody="not json at all")
    result = sluice(
        aws, "failed", "recover", "--queue", queue, "--bucket", pipeline.lake_bucket, "--execute", "--format", "json"
    )
    assert result.returncode == 1
    batches = json.loads(result.stdout)["batches"]
    statuses = sorted(b["status"] for b in batches)
    assert statuses == ["expired", "unreadable"]
    # both stay on the queue for an operator
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "2"
    assert {b["message"] for b in batches} == {"kept"}


# --- what came back against what the message says; a range put back once; a bad message among good ones


def put_on_shard(aws: str, stream: str, count: int, tag: str) -> list[str]:
    """``count`` records on the stream's first shard (all hashed to 0); their sequence numbers."""
    kinesis = aws_client("kinesis", aws)
    entries = [
        {"Data": f"{tag}-{i}".encode(), "PartitionKey": f"{tag}-{i}", "ExplicitHashKey": "0"} for i in range(count)
    ]
    return [r["SequenceNumber"] for r in kinesis.put_records(StreamName=stream, Records=entries)["Records"]]


def on_failure_message(stream: str, first: str, last: str, batch_size: int, shard: str = "shardId-000000000000") -> str:
    """What Lambda sends a Kinesis mapping's on-failure destination (KinesisBatchInfo, metadata only)."""
    return json.dumps(
        {
            "requestContext": {
                "requestId": "c0ffee00-0000-4000-8000-000000000000",
                "functionArn": f"arn:aws:lambda:{REGION}:123456789012:function:sluice-processor",
                "condition": "RetryAttemptsExhausted",
                "approximateInvokeCount": 3,
            },
            "responseContext": {"statusCode": 200, "executedVersion": "$LATEST", "functionError": "Unhandled"},
            "version": "1.0",
            "timestamp": "2026-11-26T08:00:00.000Z",
            "KinesisBatchInfo": {
                "shardId": shard,
                "startSequenceNumber": first,
                "endSequenceNumber": last,
                "approximateArrivalOfFirstRecord": "2026-11-26T07:59:00.000Z",
                "approximateArrivalOfLastRecord": "2026-11-26T07:59:01.000Z",
                "batchSize": batch_size,
                "streamArn": stream_arn(stream),
            },
        }
    )


def stream_data(aws: str, stream: str) -> list[bytes]:
    return sorted(base64.b64decode(r["kinesis"]["data"]) for r in read_stream(aws, stream))


def queued(aws: str, queue: str) -> list[str]:
    """The bodies left on the queue (read without hiding them from the next reader)."""
    messages = aws_client("sqs", aws).receive_message(
        QueueUrl=queue, MaxNumberOfMessages=10, VisibilityTimeout=0, WaitTimeSeconds=0
    )
    return sorted(m["Body"] for m in messages.get("Messages", []))


def test_a_range_whose_first_records_are_past_retention_is_not_reported_recovered(aws, pipeline):
    sqs = aws_client("sqs", aws)
    queue = sqs.create_queue(QueueName="sluice-processor-on-failure")["QueueUrl"]
    recover = ("failed", "recover", "--queue", queue, "--bucket", pipeline.lake_bucket, "--execute")
    # GIVEN a shard whose oldest record is the third of a discarded batch of four: retention has
    # trimmed the batch's head (its first sequence number is before the shard's first record)
    sequences = put_on_shard(aws, pipeline.raw_stream, 6, "kept")
    trimmed_head = str(int(sequences[0]) - 1)
    body = on_failure_message(pipeline.raw_stream, trimmed_head, sequences[2], batch_size=4)
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    before = stream_data(aws, pipeline.raw_stream)

    # WHEN the batch is recovered
    result = sluice(aws, *recover, "--format", "json")

    # THEN it is reported partially expired, nothing is put back, the message stays, exit 1
    assert result.returncode == 1, result.stderr
    [batch] = json.loads(result.stdout)["batches"]
    assert (batch["status"], batch["records"], batch["missing"], batch["message"]) == (
        "partially expired",
        0,
        1,
        "kept",
    )
    assert stream_data(aws, pipeline.raw_stream) == before
    assert queued(aws, queue) == [body]
    table = sluice(aws, *recover)
    assert table.returncode == 1
    assert "recovered" not in table.stdout and "partially expired" in table.stdout
    assert "1 messages need an operator" in table.stdout

    # WHEN the operator accepts the loss: what is left goes back, the message goes, exit 0
    accepted = sluice(aws, *recover, "--accept-loss", "--format", "json")
    assert accepted.returncode == 0, accepted.stdout + accepted.stderr
    [batch] = json.loads(accepted.stdout)["batches"]
    assert (batch["status"], batch["records"], batch["missing"], batch["message"]) == (
        "partially expired",
        3,
        1,
        "deleted",
    )
    assert stream_data(aws, pipeline.raw_stream) == sorted([*before, b"kept-0", b"kept-1", b"kept-2"])
    assert queued(aws, queue) == []


def test_the_same_on_failure_message_twice_and_a_second_run_put_the_records_back_once(aws, pipeline):
    sqs = aws_client("sqs", aws)
    queue = sqs.create_queue(QueueName="sluice-processor-on-failure")["QueueUrl"]
    recover = ("failed", "recover", "--queue", queue, "--bucket", pipeline.lake_bucket, "--execute")
    # GIVEN a discarded batch of four whose on-failure message arrived twice (at-least-once delivery)
    sequences = put_on_shard(aws, pipeline.raw_stream, 4, "batch")
    body = on_failure_message(pipeline.raw_stream, sequences[0], sequences[-1], batch_size=4)
    for _ in range(2):
        sqs.send_message(QueueUrl=queue, MessageBody=body)
    originals = stream_data(aws, pipeline.raw_stream)

    # WHEN both are recovered in one run
    first = sluice(aws, *recover, "--format", "json")

    # THEN the records are back once, and both messages are gone
    assert first.returncode == 0, first.stdout + first.stderr
    statuses = sorted((b["status"], b["records"]) for b in json.loads(first.stdout)["batches"])
    assert statuses == [("already recovered", 0), ("recovered", 4)]
    assert stream_data(aws, pipeline.raw_stream) == sorted(originals * 2)
    assert queued(aws, queue) == []

    # WHEN a third copy arrives after the run, and a second run reads it (a dry run first)
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    dry = sluice(aws, *recover[:-1])
    assert dry.returncode == 0 and "dry run: 0 records of 0 batches" in dry.stdout, dry.stdout
    second = sluice(aws, *recover)

    # THEN nothing more is put back, and the copy is gone
    assert second.returncode == 0, second.stdout + second.stderr
    assert "already recovered" in second.stdout and "put back 0 records" in second.stdout
    assert stream_data(aws, pipeline.raw_stream) == sorted(originals * 2)
    assert queued(aws, queue) == []


def test_a_malformed_message_is_left_queued_and_the_good_ones_around_it_recovered(aws, pipeline):
    sqs = aws_client("sqs", aws)
    queue = sqs.create_queue(QueueName="sluice-processor-on-failure")["QueueUrl"]
    # GIVEN two discarded batches, and before them a message whose sequence number is not one
    sequences = put_on_shard(aws, pipeline.raw_stream, 4, "good")
    malformed = on_failure_message(pipeline.raw_stream, "not-a-number", sequences[1], batch_size=2)
    sqs.send_message(QueueUrl=queue, MessageBody=malformed)
    for first, last in ((sequences[0], sequences[1]), (sequences[2], sequences[3])):
        sqs.send_message(QueueUrl=queue, MessageBody=on_failure_message(pipeline.raw_stream, first, last, 2))
    originals = stream_data(aws, pipeline.raw_stream)

    # WHEN they are recovered
    result = sluice(
        aws, "failed", "recover", "--queue", queue, "--bucket", pipeline.lake_bucket, "--execute", "--format", "json"
    )

    # THEN the good ones are back, the bad one is reported and stays on the queue, exit 1
    assert result.returncode == 1, result.stderr
    batches = json.loads(result.stdout)["batches"]
    assert sorted((b["status"], b["records"], b["message"]) for b in batches) == [
        ("recovered", 2, "deleted"),
        ("recovered", 2, "deleted"),
        ("unreadable", 0, "kept"),
    ]
    [bad] = [b for b in batches if b["status"] == "unreadable"]
    assert "startSequenceNumber 'not-a-number'" in bad["detail"]
    assert stream_data(aws, pipeline.raw_stream) == sorted(originals * 2)
    assert queued(aws, queue) == [malformed]


def test_a_range_overlapping_one_put_back_in_an_earlier_run_puts_back_only_the_rest(aws, pipeline):
    sqs = aws_client("sqs", aws)
    queue = sqs.create_queue(QueueName="sluice-processor-on-failure")["QueueUrl"]
    recover = ("failed", "recover", "--queue", queue, "--bucket", pipeline.lake_bucket, "--execute")
    # GIVEN the first two records of a shard recovered by one run
    sequences = put_on_shard(aws, pipeline.raw_stream, 4, "grown")
    sqs.send_message(QueueUrl=queue, MessageBody=on_failure_message(pipeline.raw_stream, *sequences[:2], 2))
    assert sluice(aws, *recover).returncode == 0
    # WHEN a later message describes a batch of all four (a retried batch that grew) and is recovered
    sqs.send_message(QueueUrl=queue, MessageBody=on_failure_message(pipeline.raw_stream, sequences[0], sequences[3], 4))
    result = sluice(aws, *recover, "--format", "json")
    # THEN only the two not yet put back go back
    assert result.returncode == 0, result.stdout + result.stderr
    [batch] = json.loads(result.stdout)["batches"]
    assert (batch["status"], batch["records"]) == ("recovered", 2)
    assert "2 already put back" in batch["detail"]
    assert stream_data(aws, pipeline.raw_stream) == sorted([f"grown-{i}".encode() for i in range(4)] * 2)
    assert queued(aws, queue) == []


PUT_RECORDS = "Kinesis_20131202.PutRecords"


def test_a_put_that_went_partly_through_is_put_back_only_for_the_rest_on_the_next_run(aws, pipeline):
    sqs = aws_client("sqs", aws)
    queue = sqs.create_queue(QueueName="sluice-processor-on-failure")["QueueUrl"]
    recover = ("failed", "recover", "--queue", queue, "--bucket", pipeline.lake_bucket, "--execute", "--format", "json")
    # GIVEN a discarded batch of four on the raw stream, and its on-failure message
    sequences = put_on_shard(aws, pipeline.raw_stream, 4, "partial")
    body = on_failure_message(pipeline.raw_stream, sequences[0], sequences[-1], batch_size=4)
    sqs.send_message(QueueUrl=queue, MessageBody=body)
    originals = stream_data(aws, pipeline.raw_stream)

    # WHEN the recover's PutRecords stores the first two and fails the last two, then the stream
    # refuses the CLI (its access revoked mid-run: no retry in the run can mend it)
    with fault_proxy(aws) as proxy:
        last_two = base64.b64encode(b"partial-2").decode(), base64.b64encode(b"partial-3").decode()
        proxy.add(Rule(PUT_RECORDS, "fail_entries", select=lambda i, entry: entry["Data"] in last_two))
        proxy.add(Rule(PUT_RECORDS, "throttle", error_code="AccessDeniedException"))
        first = sluice(aws, *recover, env={"AWS_ENDPOINT_URL_KINESIS": proxy.url})

    # THEN two are back, the run says the other two were not, and the message stays, exit 1
    assert first.returncode == 1, first.stdout + first.stderr
    [batch] = json.loads(first.stdout)["batches"]
    assert (batch["status"], batch["records"], batch["message"]) == ("not sent", 2, "kept")
    assert "2 of 4 records not put back" in batch["detail"]
    assert stream_data(aws, pipeline.raw_stream) == sorted([*originals, b"partial-0", b"partial-1"])
    assert queued(aws, queue) == [body]

    # WHEN the access is fixed and the run is repeated
    second = sluice(aws, *recover)

    # THEN only the two not yet back go back: every record is on the stream once more, not twice
    assert second.returncode == 0, second.stdout + second.stderr
    [batch] = json.loads(second.stdout)["batches"]
    assert (batch["status"], batch["records"], batch["message"]) == ("recovered", 2, "deleted")
    assert "2 already put back" in batch["detail"]
    assert stream_data(aws, pipeline.raw_stream) == sorted(originals * 2)
    assert queued(aws, queue) == []
