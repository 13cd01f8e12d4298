"""The processor stage: every raw record ends routed, quarantined as a failed event, dropped as a
duplicate within its batch (counted), or reported back to Lambda for retry. Bots and test players
are routed like any event, flagged in their enrichment (counted). Its second input, the CDN's
real-time log lines (``sluice.processor.cdn_input``), takes the same path once a line is an event."""

from __future__ import annotations

import logging
import time
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sluice.batch.aggregating_producer import AggregatingProducer
from sluice.batch.kinesis import BatchOutcome, KinesisRecord, PartialBatchResponse, process_batch
from sluice.events.bounds import RecordBounds
from sluice.events.codec import Codec, read_header
from sluice.events.errors import SchemaViolationError
from sluice.events.validation import check_client_time, check_payload
from sluice.failures.writer import FailedEventWriter
from sluice.processor.cdn_input import CdnLogInput
from sluice.processor.cleaning import flag_traffic, normalise
from sluice.processor.config import ProcessorConfig
from sluice.processor.enrichment import enrich
from sluice.processor.lake import lake_line, pack
from sluice.producers.batching import Delivery
from sluice.producers.firehose import FirehoseProducer
from sluice.producers.kinesis import KinesisProducer, RecordStream, StreamRecord
from sluice.runtime.alarms import configuration_error
from sluice.runtime.deadline import Deadline, bind_deadline
from sluice.runtime.errors import PoisonRecordError, RetryableError, SinkRejectedError
from sluice.runtime.metrics import Metrics

__all__ = ["STAGE", "WRITE_RESERVE_S", "Outputs", "Processor"]

log = logging.getLogger("sluice.processor")
STAGE = "processor"
# Records are not started in the last seconds (or the last half of a short invocation): their
# outputs could not be written anyway.
WRITE_RESERVE_S = 3.0


@dataclass
class Outputs:
    """What one batch will write, each item tagged with the Kinesis record it came from."""

    lake: list[tuple[tuple[str, str, str], bytes, str]] = field(default_factory=list)
    clean: list[tuple[StreamRecord, KinesisRecord]] = field(default_factory=list)
    seen_event_ids: set[str] = field(default_factory=set)
    duplicates: int = 0
    flagged: Counter[str] = field(default_factory=Counter)
    lag_ms: list[int] = field(default_factory=list)
    cdn_not_media: int = 0


class Processor:
    def __init__(
        self,
        config: ProcessorConfig,
        lake: FirehoseProducer,
        clean: KinesisProducer,
        failed: FirehoseProducer,
        metrics: Metrics | None = None,
    ) -> None:
        self.config = config
        self.lake = lake
        # Packed per shard, a clean record holds the batch's events for that shard, billed by
        # the KB instead of a KB each (SLUICE_CLEAN_AGGREGATE=none: one event per record).
        self.clean: RecordStream = AggregatingProducer.of(clean) if config.clean_aggregate else clean
        self.failed = FailedEventWriter(failed)
        self.codec = Codec()
        # Enrichment is the schema's last field: the clean record can be the raw bytes plus it.
        self.enrichment_last = self.codec.writer.schema["fields"][-1]["name"] == "enrichment"
        self.bounds = RecordBounds()
        self.metrics = metrics or Metrics(dimensions={"Stage": STAGE})
        self.cdn = CdnLogInput.from_config(config)

    @classmethod
    def from_env(cls) -> Processor:
        from sluice.aws.clients import client

        config = ProcessorConfig.from_env()
        firehose = client("firehose")
        return cls(
            config,
            FirehoseProducer(firehose, config.lake_firehose),
            KinesisProducer(client("kinesis"), config.clean_stream),
            FirehoseProducer(firehose, config.failed_firehose),
        )

    def handle(self, event: dict[str, Any], deadline: Deadline) -> PartialBatchResponse:
        bind_deadline(deadline)  # every AWS call below ends before it
        now_ms = int(time.time() * 1000)
        outputs = Outputs()
        reserve = min(WRITE_RESERVE_S, deadline.remaining() / 2)
        outcome = process_batch(
            event,
            lambda record: self._process(record, outputs, now_ms),
            stage=STAGE,
            time_left=lambda: deadline.remaining() > reserve,
        )
        self._write(outputs, outcome, deadline)
        self._record_metrics(outputs, outcome)
        return outcome.response()

    def _process(self, record: KinesisRecord, outputs: Outputs, now_ms: int) -> None:
        if self.cdn is not None and self.cdn.reads(record):
            cdn_datum = self.cdn.record_of(record, now_ms)
            if cdn_datum is None:  # not a media request: counted (CdnLinesNotMedia), not stored
                outputs.cdn_not_media += 1
                return
            datum, as_written = cdn_datum, False
        else:
            datum = self.codec.decode(record.data)
            # As ingest wrote it (this schema, no enrichment yet): then unless cleaning changes a
            # field, the clean record is these bytes with the enrichment filled in, not a re-encode.
            as_written = (
                self.enrichment_last
                and datum.get("enrichment") is None
                and read_header(record.data) == self.codec.fingerprint
            )
        try:
            check_payload(datum)
            # Ingest enforces the same bounds; this catches a replay or an older writer, so that
            # no record past this point can break a key, a column or a sum downstream.
            problems = self.bounds.problems(datum)
            if problems:
                raise SchemaViolationError(problems)
            check_client_time(
                datum,
                now_ms,
                max_future_skew_ms=self.config.max_future_skew_ms,
                max_lateness_ms=self.config.max_lateness_ms,
            )
            cleaned = normalise(datum)
            enrich(datum, now_ms)
        except PoisonRecordError as exc:
            exc.event_id, exc.event_type = datum["event_id"], datum["event_type"]  # type: ignore[attr-defined]
            raise
        event_id = datum["event_id"]
        if event_id in outputs.seen_event_ids:
            outputs.duplicates += 1
            return
        outputs.seen_event_ids.add(event_id)
        traffic = flag_traffic(datum, self.config.bot_pattern, self.config.test_players)
        if traffic is not None:
            outputs.flagged[traffic] += 1
        outputs.lag_ms.append(datum["enrichment"]["process_lag_ms"])
        event_type = datum["event_type"]
        if self.config.lake_event_types is None or event_type in self.config.lake_event_types:
            partition, line = lake_line(datum)
            outputs.lake.append((partition, line, record.sequence_number))
        if self.config.clean_event_types is None or event_type in self.config.clean_event_types:
            if as_written and not cleaned:
                data = self.codec.with_last_field(record.data, datum["enrichment"])
            else:
                data = self.codec.encode(datum)
            outputs.clean.append((StreamRecord(data, datum["session_id"]), record))

    def _write(self, outputs: Outputs, outcome: BatchOutcome, deadline: Deadline) -> None:
        """Delivers every output; a record whose output did not land is retried by Lambda."""
        packed = pack(outputs.lake, self.config.lake_record_bytes)
        # Each output retries inside its share of the time, leaving the later ones theirs: a lake
        # that keeps failing must not starve the clean stream and the failed events.
        lake = self.lake.put([bytes(p.data) for p in packed], deadline.share(1 / 3))
        self._retry(outcome, "lake Firehose", lake, [packed[i].owners for i in lake.failed])
        clean = self.clean.put([r for r, _ in outputs.clean], deadline.share(1 / 2))
        for i in clean.rejected:  # the stream refuses the record itself: quarantine, never loop
            source = outputs.clean[i][1]
            rejection = SinkRejectedError(f"clean stream refused the record: {clean.failed[i]}")
            outcome.failed_events.append(source.failed_event(rejection, stage=STAGE))
        self._retry(outcome, "clean stream", clean, [{outputs.clean[i][1].sequence_number} for i in clean.retryable])
        failed = self.failed.write(outcome.failed_events, deadline)
        self._retry(
            outcome,
            "failed-events Firehose",
            failed,
            [{outcome.failed_events[i].sequence_number or ""} for i in failed.failed],
        )

    def _retry(self, outcome: BatchOutcome, output: str, delivery: Delivery, owners: list[set[str]]) -> None:
        if delivery.configuration_error is not None:
            configuration_error(self.metrics, output, delivery.configuration_error)
        if not owners:
            return
        error = RetryableError(
            f"{output} did not accept {len(owners)} records: {sorted(set(delivery.failed.values()))[:3]}"
        )
        log.warning(str(error))
        outcome.retry_parents((seq for group in owners for seq in group), error)

    def _record_metrics(self, outputs: Outputs, outcome: BatchOutcome) -> None:
        m = self.metrics
        m.add("RecordsProcessed", outcome.done)
        m.add("LakeEvents", len(outputs.lake))
        m.add("CleanEvents", len(outputs.clean))
        m.add("DuplicatesRemoved", outputs.duplicates)
        m.add("RecordsRetried", len(outcome.retry))
        if self.cdn is not None:
            m.add("CdnLinesNotMedia", outputs.cdn_not_media)
        for traffic, count in outputs.flagged.items():
            m.add(f"Flagged.{traffic}", count)
        for failure_type, count in Counter(f.failure_type for f in outcome.failed_events).items():
            m.add(f"FailedEvents.{failure_type}", count)
        if outputs.lag_ms:
            m.add("MaxProcessLagMs", max(outputs.lag_ms), "Milliseconds")
        m.flush()
