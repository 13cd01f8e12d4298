"""The monitor keeps the aggregates of the window state it returned, so that a shard's next
invocation does not parse that state again; what it counts is what it counted reading the state
each time: a retry after a failed invocation counts from the state before it, never from what the
failed invocation had added."""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

import pytest
from support.factories import clean_record, kinesis_trigger_record

from sluice.events.codec import Codec
from sluice.monitor.aggregate import WindowAggregates
from sluice.monitor.config import MonitorConfig
from sluice.monitor.service import Monitor
from sluice.monitor.store import MemoryHealthStore
from sluice.producers.batching import Delivery
from sluice.runtime.deadline import Deadline
from sluice.runtime.errors import RetryableError

WINDOW = {"start": "2026-11-26T08:00:00Z", "end": "2026-11-26T08:01:00Z"}


class _Sink:
    """The failed-events Firehose, down until ``up`` is set."""

    def __init__(self) -> None:
        self.up = True

    def put(self, records: Sequence[bytes], deadline: Deadline) -> Delivery:
        if self.up:
            return Delivery(len(records))
        return Delivery(len(records), failed=dict.fromkeys(range(len(records)), "ServiceUnavailable"))


def _records(first: int, events: int, unreadable: bool = False) -> list[dict[str, Any]]:
    codec = Codec()
    data = [codec.encode(clean_record("heartbeat", age_ms=1000)) for _ in range(events)]
    if unreadable:
        data.append(b"not an event")
    return [kinesis_trigger_record(d, str(10**20 + first + i)) for i, d in enumerate(data)]


def _invoke(monitor: Monitor, records: list[dict[str, Any]], state: dict[str, Any]) -> dict[str, Any]:
    event = {"Records": records, "window": WINDOW, "state": state, "shardId": "shardId-0"}
    return monitor.handle(event, Deadline.after(30))["state"]


# Lambda hands the state back JSON-encoded and decoded; the local runtime, as it was returned.
@pytest.mark.parametrize("handed_back", ["as returned", "JSON round trip"])
def test_a_retry_after_a_failed_invocation_counts_from_the_state_before_it(handed_back):
    sink = _Sink()
    monitor = Monitor(
        MonitorConfig("table", "failed", allowed_lateness_s=86_400), store=MemoryHealthStore(), failed=sink
    )
    # GIVEN a window that has counted 5 events
    state = _invoke(monitor, _records(0, 5), {})
    if handed_back == "JSON round trip":
        state = json.loads(json.dumps(state))
    # WHEN the next batch (4 events and an unreadable record) fails, its failed event not stored
    sink.up = False
    with pytest.raises(RetryableError):
        _invoke(monitor, _records(5, 4, unreadable=True), state)
    # AND Lambda retries it with the state before it, the sink back up
    sink.up = True
    retried = _invoke(monitor, _records(5, 4, unreadable=True), state)
    # THEN the window counts 9 events once each, the unreadable record once, no duplicate
    aggregates = WindowAggregates.from_state(retried)
    assert aggregates.everything.counts["events"] == 9
    assert (aggregates.unreadable, aggregates.duplicates) == (1, 0)
    # AND the state it returns reads back as the aggregates it goes on counting in
    after = _invoke(monitor, _records(20, 1), retried)
    assert WindowAggregates.from_state(after).everything.counts["events"] == 10
