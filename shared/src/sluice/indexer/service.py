"""The indexer stage: every clean record ends stored in its day's index, a failed event (a
document the cluster rejects for good), or reported back to Lambda for retry.

The clean stream is KPL-aggregated (``sluice.batch.aggregating_producer``): one Kinesis record
holds many events. ``process_batch`` opens each; a document that is not stored in time reports its
parent's sequence number (Lambda knows no other), and a record that cannot be read or is refused
becomes a failed event naming its parent and its place in it (sub_sequence_number). This stays
ours, not Powertools' ``BatchProcessor``: that runs a handler per Kinesis record, cannot open an
aggregate, and would report a poison record for retry; the _bulk request is written once for the
whole batch, so what failed is known per document only after every record was read.
"""

from __future__ import annotations

import logging
from typing import Any

from sluice.artifacts.columns import compact_row
from sluice.batch.kinesis import KinesisRecord, PartialBatchResponse, process_batch
from sluice.events.codec import Codec
from sluice.events.failed import FailedEvent
from sluice.failures.writer import FailedEventWriter
from sluice.indexer.config import IndexerConfig
from sluice.producers.firehose import FirehoseProducer
from sluice.runtime.alarms import configuration_error
from sluice.runtime.deadline import Deadline, bind_deadline
from sluice.runtime.errors import RetryableError
from sluice.runtime.metrics import Metrics
from sluice.sinks.opensearch.bulk import BulkIndexer, Document

__all__ = ["FAILED_WRITE_RESERVE_S", "STAGE", "Indexer", "daily_index"]

log = logging.getLogger("sluice.indexer")
STAGE = "indexer"
FAILED_WRITE_RESERVE_S = 1.0


def daily_index(prefix: str, client_time: str) -> str:
    """``<prefix>-YYYY.MM.DD`` of the event's own time, so a replay lands in the same index."""
    return f"{prefix}-{client_time[:4]}.{client_time[5:7]}.{client_time[8:10]}"


class Indexer:
    def __init__(
        self, config: IndexerConfig, bulk: BulkIndexer, failed: FirehoseProducer, metrics: Metrics | None = None
    ) -> None:
        self.config = config
        self.bulk = bulk
        self.failed = FailedEventWriter(failed)
        self.codec = Codec()
        self.metrics = metrics or Metrics(dimensions={"Stage": STAGE})

    @classmethod
    def from_env(cls) -> Indexer:
        from sluice.aws.clients import client
        from sluice.sinks.opensearch.client import ClusterConfig
        from sluice.sinks.opensearch.http import BulkClient

        config = IndexerConfig.from_env()
        cluster = ClusterConfig.from_env()
        bulk = BulkIndexer(
            BulkClient(cluster),
            max_bytes=config.max_bulk_bytes,
            max_docs=config.max_bulk_docs,
            max_request_timeout_s=cluster.timeout_s,
        )
        return cls(config, bulk, FirehoseProducer(client("firehose"), config.failed_firehose))

    def handle(self, event: dict[str, Any], deadline: Deadline) -> PartialBatchResponse:
        bind_deadline(deadline)  # every AWS call below ends before it
        documents: list[Document] = []
        sources: list[KinesisRecord] = []

        def prepare(record: KinesisRecord) -> None:
            row = compact_row(self.codec.decode(record.data))
            documents.append(Document(daily_index(self.config.index_prefix, row["client_time"]), row["event_id"], row))
            sources.append(record)

        outcome = process_batch(event, prepare, stage=STAGE, time_left=deadline.has_time)
        # The cluster gets the time left but what writing the failed events takes.
        reserve = min(FAILED_WRITE_RESERVE_S, deadline.remaining() / 2)
        result = self.bulk.index(documents, deadline.reserving(reserve))
        for position, reason in sorted(result.rejected.items()):
            record, document = sources[position], documents[position]
            rejection = FailedEvent(
                failure_type="sink_rejection",
                stage=STAGE,
                error_code="OpenSearchRejected",
                error=f"{document.index}: {reason}",
                original=record.data,
                event_id=document.id,
                event_type=document.source.get("event_type"),
                source=record.source_arn,
                shard_id=record.shard_id,
                sequence_number=record.sequence_number,
                sub_sequence_number=record.sub_sequence_number,
            )
            outcome.failed_events.append(rejection)
        if result.configuration_error is not None:
            configuration_error(self.metrics, "OpenSearch", result.configuration_error)
        if result.unfinished:
            error = RetryableError(
                f"OpenSearch did not store {len(result.unfinished)} documents in time: {sorted(set(result.unfinished.values()))[:3]}"
            )
            log.warning(str(error))
            outcome.retry_parents((sources[p].sequence_number for p in result.unfinished), error)
        written = self.failed.write(outcome.failed_events, deadline)
        if written.failed:
            error = RetryableError(f"failed-events Firehose did not accept {len(written.failed)} records")
            outcome.retry_parents((outcome.failed_events[i].sequence_number or "" for i in written.failed), error)
        m = self.metrics
        m.add("DocumentsIndexed", result.stored)
        m.add("DocumentsRejected", len(result.rejected))
        m.add("DocumentsRetried", len(result.unfinished))
        m.add("BulkRequests", result.requests)
        m.add("BulkBytes", result.bytes_sent, "Bytes")
        m.flush()
        return outcome.response()
