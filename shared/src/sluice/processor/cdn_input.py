"""The processor's second input: CloudFront real-time log lines, one ``cdn_request`` event each.

The CDN log stream is read by the processor itself, not by a stage of its own, because a line
needs exactly what the processor already does to an event (bounds, dedupe by event id,
enrichment, traffic flags, the lake, the clean stream for the indexer, loader and monitor): a
reader stage would only turn lines into raw records for the processor to read again, one more
Kinesis hop and Lambda invocation per line (at 100 million lines a day about $0.04 per million of
PUT payload units and a second invocation per batch). The two inputs are two event source mappings
on one function; a batch comes from one of them, told apart by its records' ``eventSourceARN``.

Each record holds one line (CloudFront writes one log record per request). A line that cannot be
read becomes a failed event holding the line, its viewer's address truncated and its headers
other than CMCD's left out (``sluice.cdn.redaction``); a request that is not for media is counted
and dropped (``LineCounts``), so the accounting covers every line that reached the stream.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from sluice.batch.kinesis import KinesisRecord
from sluice.cdn.config import FieldOrder, LogConfiguration, deployed_order
from sluice.cdn.redaction import redacted_line
from sluice.cdn.requests import LineCounts, read_line
from sluice.events.json_mapping import EventMapper
from sluice.processor.config import ProcessorConfig
from sluice.runtime.errors import PoisonRecordError

__all__ = ["CdnLogInput", "reads_stream"]


def reads_stream(source_arn: str | None, stream: str) -> bool:
    """Whether a record's ``eventSourceARN`` is ``stream`` (its ARN, or its name)."""
    if not source_arn:
        return False
    return source_arn == stream or source_arn.endswith(f":stream/{stream}")


class CdnLogInput:
    """Lines of the CDN log stream as contract records, ready for the processor's checks."""

    def __init__(
        self, stream: str, configuration: Callable[[], LogConfiguration | Sequence[str]], mapper: EventMapper
    ) -> None:
        self.stream = stream
        self.order = FieldOrder(configuration)
        self.mapper = mapper
        self.counts = LineCounts()

    @classmethod
    def from_config(cls, config: ProcessorConfig) -> CdnLogInput | None:
        """The input ``config`` names (``SLUICE_CDN_LOG_STREAM``), or None. Its mapper, the
        contract's whole schema compiled (about half a processor's construction), is built only
        here: a processor without the CDN input never pays for it."""
        if config.cdn_log_stream is None:
            return None
        mapper = EventMapper()
        if config.cdn_log_fields is not None:
            local = LogConfiguration(config.cdn_log_fields, config.cdn_sampling_rate)
            return cls(config.cdn_log_stream, lambda: local, mapper)
        assert config.cdn_log_config is not None  # ProcessorConfig.from_env requires one of the two
        from sluice.aws.clients import client

        return cls(config.cdn_log_stream, deployed_order(client("cloudfront"), config.cdn_log_config), mapper)

    def reads(self, record: KinesisRecord) -> bool:
        return reads_stream(record.source_arn, self.stream)

    def record_of(self, record: KinesisRecord, now_ms: int) -> dict[str, Any] | None:
        """The contract record of one line (None: not a media request, counted), or the line's
        ``PoisonRecordError`` (a ``LogLineError``, or the contract's ``SchemaViolationError``).

        ``server_time`` is when the line reached the stream (its approximate arrival time), the
        moment Sluice received it, as ingest stamps its own receive time on a player's event."""
        try:
            event = read_line(record.data, self.order, self.counts)
            if event is None:
                return None
            event["payload"]["cdn_sampling_rate"] = self.order.sampling_rate
            received_ms = int(record.arrival_time * 1000) if record.arrival_time else now_ms
            ingest = event.pop("ingest")
            datum = self.mapper.to_record(event, server_time=received_ms)
        except PoisonRecordError:
            # The failed event is made of the record's bytes: what of the line may be kept.
            record.data = redacted_line(record.data, self.order.order())
            raise
        datum["ingest"] = ingest
        return datum
