"""Telling "still in flight" from "lost": where the local pipeline still holds events, and a
bounded wait, with progress, until it holds none.

An event the players were told was accepted is, until it is a warehouse row or a failed event,
in one of these places: a stream past its mapping's position (the raw stream before the
processor, the clean stream before the indexer and the monitor), the loader's queue (an object
in the lake not yet loaded, or a batch waiting out its visibility timeout), or an invocation
under way. Firehose holds nothing locally: the emulator writes each PutRecordBatch to S3 at once
and the bucket notifies the loader's queue in the same call. An accounting run before all of
these are empty counts what is late as missing; one run after is a verdict.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sluice_tools.local.esm import KinesisPoller, PollingLoop, SqsPoller

__all__ = [
    "DRAIN_CAP_S",
    "PROGRESS_EVERY_S",
    "Backlog",
    "backlogs",
    "in_flight",
    "kinesis_backlog",
    "sqs_backlog",
    "wait_drained",
]

# A busy 2-core machine has held the processor 222 s behind the newest raw record and caught
# up later: the cap is far past that, and only bounds a pipeline that is stuck.
DRAIN_CAP_S = 15 * 60.0
PROGRESS_EVERY_S = 10.0


@dataclass(frozen=True)
class Backlog:
    """One place that may still hold events: ``where`` (stream -> mapping, or the queue), what it
    holds in words, and whether it is empty."""

    where: str
    holds: str
    empty: bool

    def line(self) -> str:
        return f"{self.where}: {self.holds}"


def kinesis_backlog(poller: KinesisPoller) -> Backlog:
    behind_s = max((s.behind_ms for s in poller.shards), default=0) / 1000
    delivered = sum(s.delivered for s in poller.shards)
    empty = behind_s == 0 and all(s.at_tip for s in poller.shards)
    holds = "nothing newer" if empty else f"{behind_s:,.1f} s behind the newest record"
    return Backlog(f"{poller.stream} -> {poller.name}", f"{holds}; {delivered:,} records delivered", empty)


def sqs_backlog(poller: SqsPoller) -> Backlog:
    attributes = poller.sqs.get_queue_attributes(
        QueueUrl=poller.queue_url,
        AttributeNames=["ApproximateNumberOfMessages", "ApproximateNumberOfMessagesNotVisible"],
    )["Attributes"]
    waiting = int(attributes.get("ApproximateNumberOfMessages", 0))
    invisible = int(attributes.get("ApproximateNumberOfMessagesNotVisible", 0))
    return Backlog(
        f"{poller.name} queue",
        f"{waiting:,} lake objects waiting, {invisible:,} being loaded or retried",
        waiting == 0 and invisible == 0,
    )


def backlogs(loop: PollingLoop) -> list[Backlog]:
    found: list[Backlog] = []
    for poller in loop.pollers:
        if isinstance(poller, KinesisPoller):
            found.append(kinesis_backlog(poller))
        elif isinstance(poller, SqsPoller):
            found.append(sqs_backlog(poller))
    return found


def in_flight(found: Sequence[Backlog]) -> list[Backlog]:
    return [b for b in found if not b.empty]


def wait_drained(
    loop: PollingLoop,
    timeout_s: float = DRAIN_CAP_S,
    *,
    progress: Callable[[float, list[Backlog]], Any] | None = None,
    every_s: float = PROGRESS_EVERY_S,
) -> bool:
    """Until every mapping found nothing for several rounds in a row, or ``timeout_s``; every
    ``every_s`` seconds, ``progress(elapsed, what is still in flight)``."""
    started = time.monotonic()
    deadline = started + timeout_s
    while True:
        left = deadline - time.monotonic()
        if loop.wait_drained(max(0.0, min(every_s, left))):
            return True
        if time.monotonic() >= deadline:
            return False
        if progress is not None:
            progress(time.monotonic() - started, in_flight(backlogs(loop)))
