"""`sluice failed list --show`: each failed event, which event it was and why it failed, as a table
or as JSON Lines, beside the summary the operator already had."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time

from support.factories import avro_record, kinesis_event
from support.services import AWS_ENV
from support.stages import processor

from sluice.events.codec import Codec
from sluice.runtime.deadline import Deadline

DAY_MS = 86_400_000


def sluice(aws: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, **AWS_ENV, "AWS_ENDPOINT_URL": aws}
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", *args], capture_output=True, text=True, env=env, timeout=120, check=False
    )


def _fail_one_late_event_and_one_poison_record(aws: str, pipeline) -> dict:  # type: ignore[no-untyped-def]
    now = int(time.time() * 1000)
    late = avro_record(server_time=now - 9 * DAY_MS, client_time=now - 9 * DAY_MS - 500)
    processor(aws, pipeline).handle(kinesis_event([Codec().encode(late), b"not avro at all"]), Deadline.after(30))
    return late


def test_show_lists_each_failed_event_with_its_id_type_and_reason(aws, pipeline):
    # GIVEN a late event and a record that is not Avro, both failed by the processor
    late = _fail_one_late_event_and_one_poison_record(aws, pipeline)

    # WHEN the operator asks to see them
    result = sluice(aws, "failed", "list", "--bucket", pipeline.lake_bucket, "--show")

    # THEN one row each names the event, what failed and why, then the summary follows
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0].split() == ["failed", "at", "type", "stage", "error", "event", "type", "event", "id", "reason"]
    rows = {line.split()[1]: line.split(maxsplit=6) for line in lines[1:3]}
    failed_at, _, stage, code, event_type, event_id, reason = rows["late"]
    assert (stage, code, event_type, event_id) == ("processor", "LateEventError", late["event_type"], late["event_id"])
    assert failed_at.endswith("Z") and "late" in reason.lower()
    failed_at, _, stage, code, event_type, event_id, reason = rows["format"]
    assert (stage, code, event_type, event_id) == ("processor", "BadMagicError", "-", "-")
    assert reason
    assert lines[3] == ""
    assert lines[4].startswith("2 failed events from ")


def test_show_as_json_is_one_object_per_failed_event(aws, pipeline):
    late = _fail_one_late_event_and_one_poison_record(aws, pipeline)

    result = sluice(aws, "failed", "list", "--bucket", pipeline.lake_bucket, "--show", "--format", "json")

    assert result.returncode == 0, result.stderr
    shown = {event["failure_type"]: event for event in map(json.loads, result.stdout.splitlines())}
    assert set(shown) == {"late", "format"}
    assert {k: shown["late"][k] for k in ("event_id", "event_type", "stage", "error_code")} == {
        "event_id": late["event_id"],
        "event_type": late["event_type"],
        "stage": "processor",
        "error_code": "LateEventError",
    }
    assert shown["format"]["event_id"] is None and shown["format"]["error_code"] == "BadMagicError"
    for event in shown.values():
        assert event["error"] and event["failed_time"].endswith("Z") and event["key"].startswith("failed/")
        assert event["replayable"] is True


def test_show_as_json_reports_an_unreadable_line_on_stderr_and_exit_status_1(aws, pipeline):
    from support.aws import aws_client

    _fail_one_late_event_and_one_poison_record(aws, pipeline)
    aws_client("s3", aws).put_object(
        Bucket=pipeline.lake_bucket, Key="failed/2026/11/26/08/garbage", Body=b"%%% not base64\n"
    )

    result = sluice(aws, "failed", "list", "--bucket", pipeline.lake_bucket, "--show", "--format", "json")

    assert result.returncode == 1
    assert len([json.loads(line) for line in result.stdout.splitlines()]) == 2
    assert result.stderr.startswith("sluice: unreadable: failed/2026/11/26/08/garbage line 1: ")
