"""The local AWS API emulator under concurrent writers: what ingest's Lambdas do on AWS (many
PutRecords at once into one shard) must keep every record, as Kinesis does."""

from __future__ import annotations

import threading

import boto3
from support.services import REGION

WRITERS = 16
BATCHES_PER_WRITER = 20
RECORDS_PER_BATCH = 40  # 16 x 20 x 40 = 12,800 records, as in the reproduction


def _kinesis(url: str):
    return boto3.client("kinesis", endpoint_url=url, region_name=REGION)


def _read_all(kinesis, stream: str) -> list[dict]:
    iterator = kinesis.get_shard_iterator(
        StreamName=stream, ShardId="shardId-000000000000", ShardIteratorType="TRIM_HORIZON"
    )["ShardIterator"]
    records: list[dict] = []
    while True:
        page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
        records += page["Records"]
        if not page["Records"]:
            return records
        iterator = page["NextShardIterator"]


def test_concurrent_put_records_into_one_shard_keep_every_record(aws):
    # GIVEN a one-shard stream and 16 writers started together
    kinesis = _kinesis(aws)
    kinesis.create_stream(StreamName="race", ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName="race")
    start = threading.Barrier(WRITERS)
    answered: list[str] = []
    refused: list[dict] = []

    def writer(number: int) -> None:
        client = _kinesis(aws)
        start.wait()
        for batch in range(BATCHES_PER_WRITER):
            entries = [
                {"Data": f"{number}-{batch}-{i}".encode(), "PartitionKey": f"{number}"}
                for i in range(RECORDS_PER_BATCH)
            ]
            response = client.put_records(StreamName="race", Records=entries)
            for entry, result in zip(entries, response["Records"], strict=True):
                if "SequenceNumber" in result:
                    answered.append(entry["Data"].decode())
                else:
                    refused.append(result)

    # WHEN they all write at once
    threads = [threading.Thread(target=writer, args=(n,)) for n in range(WRITERS)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    # THEN every record answered as written is on the stream, each with its own sequence number
    total = WRITERS * BATCHES_PER_WRITER * RECORDS_PER_BATCH
    assert refused == [] and len(answered) == total
    records = _read_all(kinesis, "race")
    assert len({r["SequenceNumber"] for r in records}) == total
    assert sorted(r["Data"].decode() for r in records) == sorted(answered)
