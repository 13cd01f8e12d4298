"""Resources and reads against the emulator: what the tests set up and what they look at."""

from __future__ import annotations

import base64
import gzip
import os
import subprocess
import sys
import time
from dataclasses import dataclass
from typing import Any

import boto3
from botocore.config import Config
from sluice_tools.local.esm import lambda_record

from sluice.batch.kinesis import iter_records
from sluice.events.codec import Codec
from sluice.events.failed import FailedEvent
from support.services import AWS_ENV, REGION

ACCOUNT = "123456789012"
CDN_LOG_STREAM = "sluice-cdn-logs"  # the functional tests' CDN log stream (fixture log_stream)


def sluice_cli(endpoint: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The ``sluice`` CLI as a user runs it (a process of its own) against the emulator at ``endpoint``."""
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", *args],
        capture_output=True,
        text=True,
        env={**os.environ, **AWS_ENV, "AWS_ENDPOINT_URL": endpoint},
        timeout=120,
        check=False,
    )


def aws_client(service: str, endpoint: str) -> Any:
    return boto3.client(
        service,
        endpoint_url=endpoint,
        region_name=REGION,
        config=Config(retries={"mode": "standard", "max_attempts": 1}, connect_timeout=2, read_timeout=10),
    )


def stage_client(service: str, endpoint: str) -> Any:
    """A client as the stages build theirs: every call bounded by the invocation's deadline."""
    from sluice.aws.clients import BoundedClient

    return BoundedClient(service, endpoint_url=endpoint, region=REGION)


@dataclass(frozen=True)
class Pipeline:
    """The names of the resources one test's pipeline uses."""

    raw_stream: str = "sluice-raw"
    clean_stream: str = "sluice-clean"
    lake_bucket: str = "sluice-lake"
    lake_firehose: str = "sluice-lake"
    failed_firehose: str = "sluice-failed"


def create_pipeline(endpoint: str, pipeline: Pipeline = Pipeline(), shards: int = 2) -> Pipeline:
    kinesis = aws_client("kinesis", endpoint)
    s3 = aws_client("s3", endpoint)
    firehose = aws_client("firehose", endpoint)
    for stream in (pipeline.raw_stream, pipeline.clean_stream):
        kinesis.create_stream(StreamName=stream, ShardCount=shards)
    s3.create_bucket(Bucket=pipeline.lake_bucket, CreateBucketConfiguration={"LocationConstraint": REGION})
    role = f"arn:aws:iam::{ACCOUNT}:role/sluice-firehose"
    for name, prefix in ((pipeline.lake_firehose, "events/"), (pipeline.failed_firehose, "failed/")):
        firehose.create_delivery_stream(
            DeliveryStreamName=name,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": role,
                "BucketARN": f"arn:aws:s3:::{pipeline.lake_bucket}",
                "Prefix": prefix,
            },
        )
    return pipeline


def stream_arn(stream: str) -> str:
    return f"arn:aws:kinesis:{REGION}:{ACCOUNT}:stream/{stream}"


def read_stream(endpoint: str, stream: str) -> list[dict[str, Any]]:
    """Every record on every shard, shaped as Lambda's Kinesis event source mapping delivers them
    (the real GetRecords output, base64 data, eventID ``shardId:sequence``)."""
    kinesis = aws_client("kinesis", endpoint)
    records = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            records += [lambda_record(r, shard["ShardId"], stream_arn(stream), REGION) for r in page["Records"]]
            # The stream is not written while it is read: an empty page is its end.
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return records


def kinesis_events_by_shard(records: list[dict[str, Any]], batch_size: int = 100) -> list[dict[str, Any]]:
    """Lambda events as the mapping sends them: one shard per batch, in order, ``batch_size`` at most."""
    by_shard: dict[str, list[dict[str, Any]]] = {}
    for record in records:
        by_shard.setdefault(record["eventID"].split(":")[0], []).append(record)
    return [
        {"Records": shard[i : i + batch_size]} for shard in by_shard.values() for i in range(0, len(shard), batch_size)
    ]


def bucket_lines(endpoint: str, bucket: str, prefix: str) -> list[bytes]:
    s3 = aws_client("s3", endpoint)
    lines: list[bytes] = []
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            if body[:2] == b"\x1f\x8b":
                body = gzip.decompress(body)
            lines += [line for line in body.splitlines() if line.strip()]
    return lines


def stream_events(endpoint: str, stream: str) -> list[dict[str, Any]]:
    """Every event on the stream, decoded (KPL aggregates opened) as a stage would read them."""
    codec = Codec()
    return [codec.decode(r.data) for r in iter_records({"Records": read_stream(endpoint, stream)})]


def failed_events(endpoint: str, bucket: str) -> list[FailedEvent]:
    """Every failed event the stages wrote to the lake (under ``failed/``, as Firehose delivers them)."""
    codec = Codec("failed_event")
    return [
        FailedEvent.from_record(codec.decode(base64.b64decode(line)))
        for line in bucket_lines(endpoint, bucket, "failed/")
    ]


class FakeContext:
    """The two attributes of Lambda's context object the stages use."""

    def __init__(self, remaining_ms: int = 60_000, request_id: str = "test-request") -> None:
        self._ends = time.monotonic() + remaining_ms / 1000
        self.aws_request_id = request_id

    def get_remaining_time_in_millis(self) -> int:
        return max(0, int((self._ends - time.monotonic()) * 1000))


def notify_queue(endpoint: str, bucket: str, queue: str = "sluice-loader") -> str:
    """S3 → SQS notifications for new objects, as the warehouse module wires them; the queue URL."""
    sqs = aws_client("sqs", endpoint)
    url = sqs.create_queue(QueueName=queue)["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    aws_client("s3", endpoint).put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "events/"}]}},
                }
            ]
        },
    )
    return url


def sqs_event(endpoint: str, queue_url: str, max_messages: int = 10) -> dict[str, Any]:
    """Messages received from the queue, shaped as Lambda's SQS event source delivers them."""
    sqs = aws_client("sqs", endpoint)
    records = []
    while len(records) < max_messages:
        received = sqs.receive_message(
            QueueUrl=queue_url,
            MaxNumberOfMessages=min(10, max_messages - len(records)),
            WaitTimeSeconds=0,
            AttributeNames=["All"],
        )
        messages = received.get("Messages", [])
        if not messages:
            break
        for message in messages:
            records.append(
                {
                    "messageId": message["MessageId"],
                    "receiptHandle": message["ReceiptHandle"],
                    "body": message["Body"],
                    "attributes": message.get("Attributes", {}),
                    "messageAttributes": {},
                    "md5OfBody": message["MD5OfBody"],
                    "eventSource": "aws:sqs",
                    "eventSourceARN": f"arn:aws:sqs:{REGION}:{ACCOUNT}:{queue_url.rsplit('/', 1)[-1]}",
                    "awsRegion": REGION,
                }
            )
    return {"Records": records}


@dataclass(frozen=True)
class Monitoring:
    topic_arn: str
    alerts_queue: str
    health_table: str


def create_monitoring(endpoint: str, table: str = "sluice-health") -> Monitoring:
    """The alert topic with a queue subscribed (to read alerts as an operator's tooling would),
    and the monitor's DynamoDB table."""
    sns = aws_client("sns", endpoint)
    sqs = aws_client("sqs", endpoint)
    topic = sns.create_topic(Name="sluice-alerts")["TopicArn"]
    queue = sqs.create_queue(QueueName="sluice-alerts-inbox")["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    sns.subscribe(TopicArn=topic, Protocol="sqs", Endpoint=queue_arn)
    aws_client("dynamodb", endpoint).create_table(
        TableName=table,
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )
    return Monitoring(topic, queue, table)


def received_alerts(endpoint: str, queue_url: str) -> list[dict[str, Any]]:
    """Alert messages delivered to the subscribed queue (SNS envelopes unwrapped)."""
    import json

    sqs = aws_client("sqs", endpoint)
    alerts = []
    while True:
        messages = sqs.receive_message(QueueUrl=queue_url, MaxNumberOfMessages=10, WaitTimeSeconds=0).get(
            "Messages", []
        )
        if not messages:
            return alerts
        for message in messages:
            envelope = json.loads(message["Body"])
            alerts.append({"subject": envelope.get("Subject"), **json.loads(envelope["Message"])})
            sqs.delete_message(QueueUrl=queue_url, ReceiptHandle=message["ReceiptHandle"])
