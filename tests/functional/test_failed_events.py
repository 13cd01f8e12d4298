"""Failed events at rest: `sluice failed list` summarises them, `sluice failed replay` puts the
originals back on the raw stream, and they come round to the lake once the cause is fixed."""

from __future__ import annotations

import base64
import hashlib
import json
import os
import subprocess
import sys
import time

from support.aws import bucket_lines, kinesis_events_by_shard, read_stream
from support.factories import avro_record, kinesis_event
from support.services import AWS_ENV
from support.stages import processor

from sluice.events.codec import Codec
from sluice.events.failed import FailedEvent
from sluice.runtime.deadline import Deadline

DAY_MS = 86_400_000


def sluice(aws: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **AWS_ENV, "AWS_ENDPOINT_URL": aws}
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def _records(now: int, *, late: int, fresh: int) -> list[bytes]:
    codec = Codec()
    old = [
        codec.encode(avro_record(server_time=now - 9 * DAY_MS, client_time=now - 9 * DAY_MS - 500)) for _ in range(late)
    ]
    new = [codec.encode(avro_record(server_time=now - 1000, client_time=now - 1500)) for _ in range(fresh)]
    return old + new + [b"not avro at all"]


def test_list_replay_and_round_trip_to_the_lake(aws, pipeline):
    now = int(time.time() * 1000)
    # GIVEN a batch with 4 events older than the 7-day late limit, 3 fresh ones and a poison record
    processor(aws, pipeline).handle(kinesis_event(_records(now, late=4, fresh=3)), Deadline.after(30))
    assert len(bucket_lines(aws, pipeline.lake_bucket, "events/")) == 3

    # WHEN an operator lists the failures
    listed = sluice(aws, "failed", "list", "--bucket", pipeline.lake_bucket)
    assert listed.returncode == 0, listed.stderr
    assert "5 failed events from" in listed.stdout
    assert "late            processor   LateEventError" in listed.stdout
    assert "format          processor   BadMagicError" in listed.stdout
    only_late = sluice(aws, "failed", "list", "--bucket", pipeline.lake_bucket, "--type", "late")
    assert "4 failed events" in only_late.stdout

    # ... and replays the late ones: a dry run first, which sends nothing
    dry = sluice(
        aws, "failed", "replay", "--bucket", pipeline.lake_bucket, "--stream", pipeline.raw_stream, "--type", "late"
    )
    assert dry.returncode == 0
    assert "dry run: 4 records would go to sluice-raw" in dry.stdout
    assert read_stream(aws, pipeline.raw_stream) == []
    sent = sluice(
        aws,
        "failed",
        "replay",
        "--bucket",
        pipeline.lake_bucket,
        "--stream",
        pipeline.raw_stream,
        "--type",
        "late",
        "--execute",
    )
    assert sent.returncode == 0, sent.stderr
    assert "sent 4 of 4 records to sluice-raw" in sent.stdout

    # THEN with the late limit raised, the replayed events come round to the lake
    relaxed = processor(aws, pipeline, max_lateness_ms=30 * DAY_MS)
    for event in kinesis_events_by_shard(read_stream(aws, pipeline.raw_stream)):
        assert relaxed.handle(event, Deadline.after(30)) == {"batchItemFailures": []}
    assert len(bucket_lines(aws, pipeline.lake_bucket, "events/")) == 7


def test_list_filters_by_time_and_reports_unreadable_lines(aws, pipeline):
    now = int(time.time() * 1000)
    processor(aws, pipeline).handle(kinesis_event(_records(now, late=1, fresh=0)), Deadline.after(30))
    future = sluice(aws, "failed", "list", "--bucket", pipeline.lake_bucket, "--since", "2999-01-01T00:00:00Z")
    assert future.stdout.strip() == "no failed events"
    from support.aws import aws_client

    aws_client("s3", aws).put_object(
        Bucket=pipeline.lake_bucket, Key="failed/2026/11/26/08/garbage", Body=b"%%% not base64\n"
    )
    result = sluice(aws, "failed", "list", "--bucket", pipeline.lake_bucket)
    assert result.returncode == 1
    assert "unreadable: failed/2026/11/26/08/garbage line 1" in result.stdout
    assert "2 failed events" in result.stdout
    bad_time = sluice(aws, "failed", "list", "--bucket", pipeline.lake_bucket, "--since", "tuesday")
    assert (bad_time.returncode, bad_time.stderr.strip()) == (
        2,
        "sluice: error: --since 'tuesday' is not an ISO-8601 time",
    )


def test_a_missing_bucket_is_one_line_and_exit_status_2(aws):
    result = sluice(aws, "failed", "list", "--bucket", "no-such-bucket")
    assert result.returncode == 2, result.stderr
    assert result.stderr.startswith("sluice: error: ") and "NoSuchBucket" in result.stderr
    assert "Traceback" not in result.stderr and len(result.stderr.strip().splitlines()) == 1


def test_failed_list_as_json(aws, pipeline):
    result = sluice(aws, "failed", "list", "--bucket", pipeline.lake_bucket, "--format", "json")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout) == {
        "total": 0,
        "unreadable": 0,
        "first": None,
        "last": None,
        "groups": [],
        "truncated": [],
    }


def test_a_1000_kib_undecodable_record_ends_truncated_listed_and_refused_by_replay(aws, pipeline):
    now = int(time.time() * 1000)
    # GIVEN a raw batch with an undecodable record of 1,000 KiB (its failed event's base64 line
    # would be ~1.3 MiB, over Firehose's 1,000 KiB record) and one late event
    huge = b"\x00" + os.urandom(1000 * 1024 - 1)
    batch = [huge, *_records(now, late=1, fresh=0)[:1]]
    # WHEN the processor handles it THEN nothing is left for retry
    assert processor(aws, pipeline).handle(kinesis_event(batch), Deadline.after(30)) == {"batchItemFailures": []}
    # THEN the failed event is in S3, its original cut to fit, with the whole one's size and digest
    codec = Codec("failed_event")
    stored = [
        FailedEvent.from_record(codec.decode(base64.b64decode(line)))
        for line in bucket_lines(aws, pipeline.lake_bucket, "failed/")
    ]
    (cut,) = [f for f in stored if f.original_truncated]
    assert cut.failure_type == "format" and cut.original_size == len(huge)
    assert cut.original_sha256 == hashlib.sha256(huge).hexdigest()
    assert 700 * 1024 < len(cut.original) < len(huge) and huge.startswith(cut.original)
    (late,) = [f for f in stored if not f.original_truncated]
    assert late.original_size == len(late.original)

    # ... `sluice failed list` names it as truncated
    listed = sluice(aws, "failed", "list", "--bucket", pipeline.lake_bucket)
    assert listed.returncode == 0, listed.stderr
    assert "1 truncated (cannot be replayed; the whole record is at its source):" in listed.stdout
    assert (
        f"{cut.failure_id} (" in listed.stdout
        and f"original truncated from {len(huge)} to {len(cut.original)} bytes" in listed.stdout
    )
    as_json = json.loads(sluice(aws, "failed", "list", "--bucket", pipeline.lake_bucket, "--format", "json").stdout)
    assert [t["failure_id"] for t in as_json["truncated"]] == [cut.failure_id]

    # ... and `sluice failed replay` refuses it, saying why, and replays the rest
    sent = sluice(
        aws, "failed", "replay", "--bucket", pipeline.lake_bucket, "--stream", pipeline.raw_stream, "--execute"
    )
    assert sent.returncode == 1
    assert f"cannot replay {cut.failure_id} (" in sent.stdout
    assert "sent 1 of 1 records to sluice-raw; 1 truncated not replayable" in sent.stdout
    assert [base64.b64decode(r["kinesis"]["data"]) for r in read_stream(aws, pipeline.raw_stream)] == [late.original]
