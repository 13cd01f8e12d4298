"""The cost model's inputs, measured: generated (or a user's own) events are sent through the real
ingest and processor code, with AWS clients that record what they are handed instead of sending
it, and every byte count comes from what those clients saw.

Nothing here is an estimate of a size: bytes on the wire, per Avro record, per KPL aggregate, per
lake line and per bulk document are the sizes the stages produce for these events. How many events
a request carries is the source's own delivery rule (:mod:`sluice_tools.cost.sources`: the SDK's
batching replayed over each session, a CMCD report or a CDN log line each).
"""

from __future__ import annotations

import contextlib
import gzip
import io
import json
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sluice_tools.cost.sources import requests_for
from sluice_tools.sdk.delivery import DEFAULT, DeliveryPolicy
from sluice_tools.traffic.generator import TrafficConfig, generate

__all__ = [
    "BUDGET_SEED",
    "BUDGET_SESSIONS",
    "REQUEST_HEADERS",
    "Profile",
    "RecordingClient",
    "generated_events",
    "measure",
    "read_traffic",
]

# The sample the committed budget is measured on: a fixed seed, so the bytes are the same each run.
BUDGET_SESSIONS = 300
BUDGET_SEED = 14


class RecordingClient:
    """Kinesis and Firehose that accept every entry at once and keep what they were sent."""

    def __init__(self) -> None:
        self.kinesis: list[tuple[bytes, str]] = []  # (data, partition key)
        self.firehose: list[bytes] = []

    def put_records(self, StreamName: str, Records: list[Any]) -> dict[str, Any]:
        self.kinesis += [(r["Data"], r["PartitionKey"]) for r in Records]
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "shardId-0"}] * len(Records)}

    def put_record_batch(self, DeliveryStreamName: str, Records: list[Any]) -> dict[str, Any]:
        self.firehose += [r["Data"] for r in Records]
        return {"FailedPutCount": 0, "RequestResponses": [{"RecordId": "1"}] * len(Records)}


@dataclass(frozen=True)
class Profile:
    """Per-event sizes of one sample of traffic, as the stages produce them."""

    events: int
    requests: int
    wire_bytes: int  # request bodies, as players send them
    raw_records_kpl: int  # what ingest writes with KPL aggregation (one or more per request)
    raw_bytes_kpl: int  # data + partition key, as Kinesis counts a record's size
    raw_bytes_plain: int  # one record per event
    raw_put_units_plain: int  # 25 KB PUT payload units, one record per event
    raw_put_units_kpl: int
    clean_events: int  # events that reach the clean stream (the rest are failed or dropped)
    clean_bytes: int  # data + partition key
    lake_events: int
    lake_bytes: int  # JSON lines, uncompressed
    partition_share: dict[str, float] = field(default_factory=dict)  # lake partition -> share of lines
    partition_line_bytes: dict[str, float] = field(default_factory=dict)  # mean line bytes per partition
    bulk_bytes: int = 0  # action + document lines of every clean event
    monitor_window_bytes: int = 0  # one shard-window of health counters as stored (compressed)
    monitor_window_events: int = 0  # the events in that window
    lake_gzip_bytes: int = 0  # the lake lines gzipped, as Firehose stores them

    @property
    def lake_gzip_ratio(self) -> float:
        return self.lake_gzip_bytes / self.lake_bytes

    @property
    def events_per_request(self) -> float:
        return self.events / self.requests

    def per_event(self, total: int) -> float:
        return total / self.events


def generated_events(
    sessions: int = BUDGET_SESSIONS, seed: int = BUDGET_SEED, now_ms: int | None = None
) -> list[dict[str, Any]]:
    """Good generated traffic from the start of the last hour before ``now_ms`` (within the
    processor's lateness bounds, inside one lake hour)."""
    now_ms = int(time.time() * 1000) if now_ms is None else now_ms
    start = (now_ms - 30 * 60_000) // 3_600_000 * 3_600_000
    config = TrafficConfig(sessions=sessions, seed=seed, start_ms=start, spread_ms=10 * 60_000)
    return [json.loads(e.body) for e in generate(config)]


def read_traffic(lines: Iterable[str]) -> list[dict[str, Any]]:
    """A user's own events, one JSON event per line (as `sluice generate` writes them)."""
    events = []
    for number, line in enumerate(lines, 1):
        if line.strip():
            try:
                event = json.loads(line)
            except json.JSONDecodeError as exc:
                raise ValueError(f"line {number}: not JSON ({exc.msg})") from None
            if not isinstance(event, dict):
                raise ValueError(f"line {number}: not a JSON object")
            events.append(event)
    if not events:
        raise ValueError("no events in the traffic file")
    return events


# A desktop browser's request, as the web SDK sends it through CloudFront: ingest stamps the user
# agent and the country on every event, so they count in every byte downstream.
REQUEST_HEADERS = {
    "content-type": "application/json",
    "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
    "cloudfront-viewer-country": "GB",
}


def _api_request(batch: list[dict[str, Any]]) -> dict[str, Any]:
    from sluice_tools.local.api import api_gateway_request_id

    return {
        "version": "2.0",
        "rawPath": "/events",
        "headers": dict(REQUEST_HEADERS),
        "requestContext": {
            "requestId": api_gateway_request_id(),
            "http": {"method": "POST", "path": "/events", "sourceIp": "198.51.100.7"},
        },
        "body": json.dumps(batch, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def _put_units(size: int) -> int:
    return -(-size // (25 * 1024))


def measure(events: Sequence[dict[str, Any]], source: str = "sdk", delivery: DeliveryPolicy = DEFAULT) -> Profile:
    """Send ``events`` through ingest (plain and KPL), in the requests ``source`` sends them in
    (the SDK's under ``delivery``), and the processor, and the clean records through the
    indexer's document builder and the monitor's window, counting every byte."""
    # The stages print their metrics (EMF) to stdout, as Lambda wants: not here.
    with contextlib.redirect_stdout(io.StringIO()):
        return _measure(events, requests_for(source, events, delivery))


def _measure(events: Sequence[dict[str, Any]], batches: list[list[dict[str, Any]]]) -> Profile:
    from sluice.events.codec import Codec
    from sluice.ingest.config import IngestConfig
    from sluice.ingest.service import IngestService
    from sluice.processor.config import ProcessorConfig
    from sluice.processor.lake import lake_line
    from sluice.processor.service import Processor
    from sluice.producers.firehose import FirehoseProducer
    from sluice.producers.kinesis import KinesisProducer
    from sluice.runtime.deadline import Deadline

    requests = [_api_request(b) for b in batches]
    quiet = _quiet_metrics()
    streams = {}
    for mode in ("none", "kpl"):
        recorder = RecordingClient()
        ingest = IngestService(
            IngestConfig(raw_stream="raw", aggregate=mode), KinesisProducer(recorder, "raw"), quiet("ingest")
        )
        for request in requests:
            ingest.handle(request, Deadline.after(60))
        streams[mode] = recorder.kinesis
    plain, kpl = streams["none"], streams["kpl"]
    if not plain:
        raise ValueError("ingest accepted none of the events: check them with `sluice events validate`")

    now_ms = int(time.time() * 1000)
    lake, clean = RecordingClient(), RecordingClient()
    processor = Processor(
        # One clean record per event: the profile counts events; the cost model prices the
        # processor's KPL aggregation per shard itself (Deployment.clean_kpl_aggregation).
        ProcessorConfig("lake", "clean", "failed", clean_aggregate=False),
        FirehoseProducer(lake, "lake"),
        KinesisProducer(clean, "clean"),
        FirehoseProducer(RecordingClient(), "failed"),
        quiet("processor"),
    )
    processor.handle(
        {"Records": [_kinesis_record(data, key, i, now_ms) for i, (data, key) in enumerate(plain)]}, Deadline.after(600)
    )

    codec = Codec()
    shares: Counter[str] = Counter()
    line_bytes: Counter[str] = Counter()
    lake_bytes = bulk_bytes = 0
    all_lines = bytearray()
    for data, _ in clean.kinesis:
        datum = codec.decode(data)
        (event_type, _, _), line = lake_line(datum)
        shares[event_type] += 1
        line_bytes[event_type] += len(line)
        lake_bytes += len(line)
        all_lines += line
        bulk_bytes += _bulk_document_bytes(datum)
    lines = sum(shares.values())
    window_bytes = _monitor_window_bytes([data for data, _ in clean.kinesis], now_ms)
    return Profile(
        events=len(events),
        requests=len(requests),
        wire_bytes=sum(len(r["body"]) for r in requests),
        raw_records_kpl=len(kpl),
        raw_bytes_kpl=sum(len(d) + len(k) for d, k in kpl),
        raw_bytes_plain=sum(len(d) + len(k) for d, k in plain),
        raw_put_units_plain=sum(_put_units(len(d) + len(k)) for d, k in plain),
        raw_put_units_kpl=sum(_put_units(len(d) + len(k)) for d, k in kpl),
        clean_events=len(clean.kinesis),
        clean_bytes=sum(len(d) + len(k) for d, k in clean.kinesis),
        lake_events=lines,
        lake_bytes=lake_bytes,
        partition_share={t: n / lines for t, n in sorted(shares.items())},
        partition_line_bytes={t: line_bytes[t] / n for t, n in sorted(shares.items())},
        bulk_bytes=bulk_bytes,
        monitor_window_bytes=window_bytes,
        monitor_window_events=len(clean.kinesis),
        lake_gzip_bytes=len(gzip.compress(bytes(all_lines), 6)),
    )


def _kinesis_record(data: bytes, key: str, index: int, now_ms: int) -> dict[str, Any]:
    import base64

    return {
        "kinesis": {
            "sequenceNumber": str(10**20 + index),
            "partitionKey": key,
            "data": base64.b64encode(data).decode(),
            "approximateArrivalTimestamp": now_ms / 1000,
        },
        "eventID": f"shardId-000000000000:{index}",
        "eventSourceARN": "arn:aws:kinesis:eu-west-1:123456789012:stream/raw",
    }


def _bulk_document_bytes(datum: dict[str, Any]) -> int:
    from sluice.artifacts.columns import compact_row
    from sluice.indexer.service import daily_index
    from sluice.sinks.opensearch.bulk import Document, action_lines

    row = compact_row(datum)
    return len(action_lines(Document(daily_index("sluice-events", row["client_time"]), row["event_id"], row)))


def _monitor_window_bytes(clean: list[bytes], now_ms: int) -> int:
    """The stored size of one shard-window's counters over these events (the monitor's own code)."""
    from sluice.monitor.config import MonitorConfig
    from sluice.monitor.service import Monitor
    from sluice.monitor.store import MemoryHealthStore, pack
    from sluice.producers.firehose import FirehoseProducer
    from sluice.runtime.deadline import Deadline

    class Keeping(MemoryHealthStore):
        stored = 0

        def put_shard_window(self, where: Any, aggregates: Any) -> None:
            self.stored = sum(len(p) for p in pack(aggregates))

    store = Keeping()
    monitor = Monitor(
        MonitorConfig("table", "failed", allowed_lateness_s=86_400),
        store=store,
        failed=FirehoseProducer(RecordingClient(), "failed"),
        emf_stream=_Discard(),
    )
    window = {"start": "2026-11-26T08:00:00Z", "end": "2026-11-26T08:01:00Z"}
    records = [_kinesis_record(data, "p", i, now_ms) for i, data in enumerate(clean)]
    state = monitor.handle(
        {"Records": records, "window": window, "state": {}, "shardId": "shardId-0"}, Deadline.after(600)
    )["state"]
    monitor.handle(
        {"Records": [], "window": window, "state": state, "shardId": "shardId-0", "isFinalInvokeForWindow": True},
        Deadline.after(600),
    )
    return store.stored


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None


def _quiet_metrics() -> Any:
    from sluice.runtime.metrics import Metrics

    return lambda stage: Metrics(dimensions={"Stage": stage}, stream=_Discard())  # type: ignore[arg-type]
