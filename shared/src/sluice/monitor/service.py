"""The monitor stage, per shard: clean events aggregated over Lambda tumbling windows; on the
final invocation of each window, the shard's counters for the evaluator (``evaluator.py``, which
alerts on all shards combined), metrics and rollups.

Clean records come KPL-aggregated, packed per shard so that a session's events stay on its shard;
``process_batch`` opens them (``sluice.batch.kinesis``, which says why that stays ours beside
Powertools). An unreadable sub-record is a failed event naming its parent and place, counted
unreadable; its siblings are counted as any event."""

from __future__ import annotations

import logging
import sys
from datetime import datetime
from typing import Any

from sluice.batch.kinesis import process_batch
from sluice.events.codec import Codec
from sluice.failures.writer import FailedEventWriter
from sluice.monitor.aggregate import SINGLE_DIMENSIONS, Aggregate, WindowAggregates
from sluice.monitor.config import MonitorConfig
from sluice.monitor.outputs import emf_documents, rollup_documents, write_emf
from sluice.monitor.store import DynamoHealthStore, HealthStore, WindowPart
from sluice.producers.firehose import FirehoseProducer, RecordSink
from sluice.runtime.alarms import configuration_error
from sluice.runtime.deadline import Deadline, bind_deadline
from sluice.runtime.errors import RetryableError
from sluice.runtime.metrics import Metrics
from sluice.sinks.opensearch.bulk import BulkIndexer

__all__ = ["KEPT_STATES", "PART", "STAGE", "Monitor", "not_viewing", "window_part"]

log = logging.getLogger("sluice.monitor")
STAGE = "monitor"
PART = "part"  # the window state's key naming which part of its window it counts
# Shards whose last window state this instance keeps parsed (``Monitor._aggregates``): a shard's
# next invocation hands that state back, and parsing it again (every value's counters and
# sketches) was half of an invocation's cost. Bounded: a state at Lambda's 1 MB is about 23 MB
# parsed (21 dimensions of 100 values, 50,000 event ids), so four take under a fifth of the
# monitor's 512 MB.
KEPT_STATES = 4


def window_part(state: dict[str, Any], records: list[dict[str, Any]]) -> str:
    """Which part of its window a state belongs to: the sequence number of the first record it
    counted, carried in the state. A retried invocation gets the same state, so the same part;
    the fresh state after an early end starts the next part at its own first record."""
    if state.get(PART):
        return str(state[PART])
    if records:
        return str(records[0]["kinesis"]["sequenceNumber"])
    return "0"  # a part that counted nothing


def _epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def not_viewing(event: dict[str, Any]) -> bool:
    """Bots and test players, flagged by the processor (``enrichment.traffic_class``): kept in the
    lake, the index and the warehouse, counted there (processor ``Flagged.*``), never in player health.
    The one test of it: ``sluice health simulate`` leaves out what this leaves out."""
    return bool((event.get("enrichment") or {}).get("traffic_class"))


class Monitor:
    def __init__(
        self,
        config: MonitorConfig,
        *,
        store: HealthStore,
        failed: RecordSink,
        rollups: BulkIndexer | None = None,
        emf_stream: Any = None,
    ) -> None:
        self.config = config
        self.store = store
        self.failed = FailedEventWriter(failed)
        self.rollups = rollups
        self.emf_stream = emf_stream
        self.codec = Codec()
        # The stage's own counters (alarms); the player-health metrics are written by write_emf.
        self.metrics = Metrics(dimensions={"Stage": "monitor"})
        # shard -> (the window state last returned for it, the aggregates it was made of)
        self._kept: dict[str, tuple[dict[str, Any], WindowAggregates]] = {}

    @classmethod
    def from_env(cls) -> Monitor:
        from sluice.aws.clients import client

        config = MonitorConfig.from_env()
        rollups = None
        if config.opensearch_url:
            from sluice.sinks.opensearch.client import ClusterConfig
            from sluice.sinks.opensearch.http import BulkClient

            rollups = BulkIndexer(BulkClient(ClusterConfig.from_env()))
        return cls(
            config,
            store=DynamoHealthStore(client("dynamodb"), config.health_table),
            failed=FirehoseProducer(client("firehose"), config.failed_firehose),
            rollups=rollups,
        )

    def handle(self, event: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        bind_deadline(deadline)  # every AWS call below ends before it
        window = event.get("window")
        if not window:
            raise ValueError(
                "the monitor needs a tumbling window: set TumblingWindowInSeconds on its event source mapping"
            )
        state = event.get("state") or {}
        shard = event.get("shardId", "shard")
        aggregates = self._aggregates(shard, state)
        part = window_part(state, event.get("Records") or [])
        oldest_ms = _epoch_ms(window["start"]) - self.config.allowed_lateness_s * 1000

        def add(record: Any) -> None:
            decoded = self.codec.decode(record.data)
            if not_viewing(decoded):
                return
            # Lateness by the time ingest received the event: a player's clock minutes slow (a TV,
            # a set-top box) says nothing about when its events happened to the CDN.
            if decoded["server_time"] < oldest_ms:
                # Arrived too late to describe this window: counted, not mixed in.
                aggregates.late_events += 1
                return
            if not aggregates.event_ids.first_time(decoded["event_id"]):
                aggregates.duplicates += 1  # a retried batch: counted once (monitor/dedupe.py)
                return
            aggregates.add_event(decoded)

        outcome = process_batch({"Records": event.get("Records", [])}, add, stage=STAGE, time_left=deadline.has_time)
        aggregates.unreadable += len(outcome.failed_events)
        written = self.failed.write(outcome.failed_events, deadline)
        if written.failed:
            raise RetryableError(f"failed-events Firehose did not accept {len(written.failed)} records")
        if outcome.retry:
            # Window state is only kept when the whole batch is taken: let Lambda retry it.
            raise RetryableError(f"{len(outcome.retry)} records not aggregated before the deadline")
        if event.get("isFinalInvokeForWindow") or event.get("isWindowTerminatedEarly"):
            # A window Lambda ends early goes on with fresh state: this part is stored on its own,
            # beside the parts before and after it, and the evaluator adds them up.
            self._finish(aggregates, WindowPart(window["start"], window["end"], shard, part), deadline)
            return {"state": {}, "batchItemFailures": []}
        returned = {**aggregates.fit_state(), PART: part}
        if len(self._kept) >= KEPT_STATES:
            del self._kept[next(iter(self._kept))]  # the shard kept longest ago
        self._kept[shard] = (dict(returned), aggregates)  # a copy: the caller may change its own
        return {"state": returned, "batchItemFailures": []}

    def _aggregates(self, shard: str, state: dict[str, Any]) -> WindowAggregates:
        """The window's aggregates so far: those kept when ``state`` is exactly the state this
        instance returned for the shard last (Lambda hands it back, JSON-encoded and decoded),
        else read from it (a retry of a failed invocation, another instance's state). Taken out
        of the kept ones either way: this invocation changes them, and if it fails, Lambda
        retries with the state before it."""
        kept = self._kept.pop(shard, None)
        if kept is not None and kept[0] == state:
            return kept[1]
        return WindowAggregates.from_state(state, self.config.max_values)

    def _finish(self, aggregates: WindowAggregates, where: WindowPart, deadline: Deadline) -> None:
        start, shard = where.start, where.shard
        rows = self._rows(aggregates)
        if self.rollups is not None:
            result = self.rollups.index(rollup_documents(self.config.health_index_prefix, where, rows), deadline)
            if result.configuration_error is not None:
                configuration_error(self.metrics, "OpenSearch rollups", result.configuration_error)
                self.metrics.flush()
            if result.unfinished or result.rejected:
                raise RetryableError(
                    f"player-health rollups not stored: {len(result.unfinished)} unfinished, {len(result.rejected)} rejected"
                )
        # The evaluator combines every shard's counters for the window (a retry of this part
        # overwrites it; another part of the same window is stored beside it).
        self.store.put_shard_window(where, aggregates)
        # Metrics last: a window retried after a failed write above must not count twice.
        write_emf(emf_documents(start, rows), self.emf_stream or sys.stdout)
        self.metrics.add("DuplicatesIgnored", aggregates.duplicates)
        self.metrics.add("EventsNotDeduplicated", aggregates.event_ids.unchecked)
        # Session facts past the window's room (monitor/signals.py): counted as they came, so a
        # session's attempt or stall may count twice; a shard this busy wants more shards.
        self.metrics.add("SessionFactsNotRecorded", aggregates.facts.unchecked)
        self.metrics.add("WindowValuesFolded", aggregates.folded)
        self.metrics.flush()
        log.info(
            "window closed",
            extra={
                "window": start,
                "shard": shard,
                "part": where.part,
                "values_folded": aggregates.folded,
                "late_events": aggregates.late_events,
                "duplicates_ignored": aggregates.duplicates,
                "events_not_deduplicated": aggregates.event_ids.unchecked,
                "session_facts_not_recorded": aggregates.facts.unchecked,
            },
        )

    def _rows(self, aggregates: WindowAggregates) -> list[tuple[str, str, Aggregate]]:
        """Single dimensions for the metrics and rollups (pairs are for the evaluator)."""
        return [
            (dimension, value, aggregate)
            for dimension in ("all", *SINGLE_DIMENSIONS)
            for value, aggregate in aggregates.top(dimension, self.config.top_n).items()
        ]
