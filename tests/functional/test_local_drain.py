"""Draining the local pipeline tells "still in flight" from "lost": a mapping behind its stream
is reported, with where and how far behind, until it has caught up; a cap that runs out leaves
the verdict to the caller instead of calling the late records lost."""

from __future__ import annotations

import time

from sluice_tools.local.drain import backlogs, in_flight, wait_drained
from sluice_tools.local.esm import KinesisPoller, KinesisSettings, PollingLoop
from support.aws import aws_client


def _slow_stream(aws: str, name: str) -> None:
    """Two bursts of records a second and a half apart: a reader of the first is behind."""
    kinesis = aws_client("kinesis", aws)
    kinesis.create_stream(StreamName=name, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=name)
    for burst in range(2):
        kinesis.put_records(
            StreamName=name, Records=[{"Data": f"{burst}-{i}".encode(), "PartitionKey": "p"} for i in range(40)]
        )
        time.sleep(1.5 * (1 - burst))


def test_a_mapping_behind_its_stream_is_in_flight_until_it_catches_up(aws):
    # GIVEN a stage slower than its stream: batches of 5 records, a quarter second each
    _slow_stream(aws, "drain-test")
    handled: list[int] = []

    def slow_stage(event):
        time.sleep(0.25)
        handled.extend(range(len(event["Records"])))
        return {"batchItemFailures": []}

    poller = KinesisPoller(
        aws_client("kinesis", aws),
        "drain-test",
        slow_stage,
        KinesisSettings(batch_size=5, batching_window_seconds=0),
        name="processor",
    )
    loop = PollingLoop([poller], interval_s=0.05)
    loop.start()
    try:
        # WHEN a drain is capped before the stage can catch up
        reported: list[list[str]] = []
        capped = wait_drained(
            loop, 0.8, progress=lambda _s, found: reported.append([b.line() for b in found]), every_s=0.3
        )
        # THEN it is not drained, and what is still in flight says where and how far behind
        assert capped is False
        still = in_flight(backlogs(loop))
        assert [b.where for b in still] == ["drain-test -> processor"]
        assert "behind the newest record" in still[0].holds
        assert reported and reported[0][0].startswith("drain-test -> processor: ")

        # WHEN the drain may wait long enough
        drained = wait_drained(loop, 60, progress=lambda _s, _found: None, every_s=1)
        # THEN every record was handled and nothing is in flight
        assert drained is True
        assert len(handled) == 80
        assert in_flight(backlogs(loop)) == []
    finally:
        loop.stop()
