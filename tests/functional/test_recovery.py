"""Nothing is lost when a batch runs out of retries: an outage longer than the retry budget sends
Lambda's metadata to the on-failure queue (as the local runtime writes it, in AWS's shape), and
`sluice failed recover` brings the records back from the stream once the cause is fixed, so the
warehouse ends with every event exactly once. Against moto in server mode and a real PostgreSQL."""

from __future__ import annotations

import json
import subprocess
import sys
import time

from sqlalchemy import text
from support.apigateway import body_of, http_api_event
from support.aws import REGION, aws_client, notify_queue, sqs_event
from support.fault_proxy import Rule, fault_proxy
from support.stages import ingest_service, loader, processor

from sluice.local.esm import KinesisPoller, KinesisSettings, in_process
from sluice.producers.retry import Deadline
from sluice.traffic.generator import TrafficConfig, generate
from sluice.warehouse.tables import FACT_TABLE

PUT_RECORD_BATCH = "Firehose_20150804.PutRecordBatch"


def sluice(aws: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sluice", *args, "--endpoint-url", aws, "--region", REGION],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
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
    dry = sluice(aws, "failed", "recover", "--queue", "sluice-processor-on-failure", "--format", "json")
    assert dry.returncode == 0, dry.stderr
    listed = json.loads(dry.stdout)["batches"]
    assert {b["status"] for b in listed} == {"would recover"}
    assert sum(b["records"] for b in listed) == len(events)
    assert {b["condition"] for b in listed} == {"RetryAttemptsExhausted"}

    # WHEN the access is fixed and the batches are recovered (twice: the second finds nothing)
    recovered = sluice(aws, "failed", "recover", "--queue", "sluice-processor-on-failure", "--execute")
    assert recovered.returncode == 0, recovered.stderr
    assert f"put back {len(events)} records" in recovered.stdout
    again = sluice(aws, "failed", "recover", "--queue", "sluice-processor-on-failure", "--execute")
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
    result = sluice(aws, "failed", "recover", "--queue", queue, "--execute", "--format", "json")
    assert result.returncode == 1
    statuses = sorted(b["status"] for b in json.loads(result.stdout)["batches"])
    assert statuses == ["expired", "unreadable"]
    # both stay on the queue for an operator
    attributes = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["ApproximateNumberOfMessages"])
    assert attributes["Attributes"]["ApproximateNumberOfMessages"] == "2"
