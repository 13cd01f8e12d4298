"""`sluice failed replay` warns when the originals it replays are older than the processor's
late-arrival limit: the processor judges `late` by `server_time`, which a replay keeps, so such
originals come round only as new `late` failed events unless the limit is raised for the replay."""

from __future__ import annotations

import os
import subprocess
import sys
import time

from support.aws import bucket_lines, kinesis_events_by_shard, read_stream
from support.factories import avro_record, kinesis_event
from support.services import AWS_ENV
from support.stages import processor

from sluice.events.codec import Codec
from sluice.runtime.deadline import Deadline

DAY_MS = 86_400_000
HOUR_MS = 3_600_000


def sluice(aws: str, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if k != "SLUICE_MAX_LATENESS_HOURS"}
    environ |= {**AWS_ENV, "AWS_ENDPOINT_URL": aws, **(env or {})}
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", *args],
        capture_output=True,
        text=True,
        env=environ,
        timeout=120,
        check=False,
    )


def test_replaying_originals_older_than_the_lateness_limit_warns_with_their_count(aws, pipeline):
    now = int(time.time() * 1000)
    codec = Codec()
    # GIVEN failed events: four received nine days ago (late), one stamped an hour ahead (future)
    # and one that is not an event at all (format)
    late = [codec.encode(avro_record(server_time=now - 9 * DAY_MS, client_time=now - 9 * DAY_MS)) for _ in range(4)]
    ahead = codec.encode(avro_record(server_time=now + HOUR_MS, client_time=now + HOUR_MS))
    processor(aws, pipeline).handle(kinesis_event([*late, ahead, b"not avro at all"]), Deadline.after(30))
    replay = ("failed", "replay", "--bucket", pipeline.lake_bucket, "--stream", pipeline.raw_stream)

    # WHEN an operator replays them all with the processor's default limit (a dry run)
    dry = sluice(aws, *replay)

    # THEN the run says how many the processor would fail as late again, and what to raise
    assert dry.returncode == 0, dry.stderr
    assert "dry run: 6 records would go to sluice-raw" in dry.stdout
    [warning] = dry.stderr.splitlines()
    assert warning.startswith("sluice: warning: 4 of 6 originals were received (server_time) more than 168 h ago")
    assert "raise SLUICE_MAX_LATENESS_HOURS on the processor to at least 218" in warning

    # WHEN the limit the processor runs with is given, by its variable or the flag (which wins)
    raised = sluice(aws, *replay, env={"SLUICE_MAX_LATENESS_HOURS": "240"})
    flagged = sluice(aws, *replay, "--max-lateness-hours", "200", env={"SLUICE_MAX_LATENESS_HOURS": "240"})
    bad = sluice(aws, *replay, env={"SLUICE_MAX_LATENESS_HOURS": "a week"})

    # THEN only a limit the originals are past warns; a limit that is not a number is a usage error
    assert (raised.returncode, raised.stderr) == (0, "")
    assert "4 of 6 originals were received (server_time) more than 200 h ago" in flagged.stderr
    assert bad.returncode == 2 and "SLUICE_MAX_LATENESS_HOURS='a week' is not an integer" in bad.stderr

    # WHEN they are sent, and the processor runs with the limit the warning names
    sent = sluice(aws, *replay, "--type", "late", "--execute")
    assert sent.returncode == 0, sent.stderr
    assert "sent 4 of 4 records" in sent.stdout and "4 of 4 originals" in sent.stderr
    relaxed = processor(aws, pipeline, max_lateness_ms=218 * HOUR_MS)
    for event in kinesis_events_by_shard(read_stream(aws, pipeline.raw_stream)):
        assert relaxed.handle(event, Deadline.after(30)) == {"batchItemFailures": []}

    # THEN they reach the lake
    assert len(bucket_lines(aws, pipeline.lake_bucket, "events/")) == 4
