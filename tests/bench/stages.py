"""Ingest and processor throughput on one core, beside raw fastavro decode + encode of the same
records (the ceiling any Avro pipeline stage works under).

The AWS clients here accept every entry at once without a network: the figures are the stages'
own work, from the trigger event to the PutRecords / PutRecordBatch entries being ready.
"""

from __future__ import annotations

import base64
import json
import random
import time
from dataclasses import dataclass
from io import BytesIO
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from sluice_tools.traffic.generator import TrafficConfig, generate

from bench.timing import Result, best_rate, best_seconds
from sluice.batch.kinesis import iter_records
from sluice.events.codec import HEADER_SIZE, Codec
from sluice.ingest.config import IngestConfig
from sluice.ingest.service import IngestService
from sluice.monitor.aggregate import (
    ALL,
    DIMENSIONS,
    PAIR_SEPARATOR,
    PAIRS,
    Aggregate,
    WindowAggregates,
    pair_dimension,
    pair_value,
)
from sluice.monitor.config import MonitorConfig
from sluice.monitor.evaluator import EvaluationSettings, judge
from sluice.monitor.service import Monitor
from sluice.monitor.store import MemoryHealthStore
from sluice.processor.config import ProcessorConfig
from sluice.processor.service import Processor
from sluice.producers.firehose import FirehoseProducer
from sluice.producers.kinesis import KinesisProducer
from sluice.runtime.deadline import Deadline
from sluice.runtime.metrics import Metrics

BATCH = 100


class AcceptingClient:
    """Kinesis and Firehose answering "all stored" without a network round trip."""

    def put_records(self, StreamName: str, Records: list[Any]) -> dict[str, Any]:
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "shardId-0"}] * len(Records)}

    def put_record_batch(self, DeliveryStreamName: str, Records: list[Any]) -> dict[str, Any]:
        return {"FailedPutCount": 0, "RequestResponses": [{"RecordId": "1"}] * len(Records)}

    def list_shards(self, **params: Any) -> dict[str, Any]:
        # One shard holding every key (the processor packs its clean records per shard).
        whole = {"StartingHashKey": "0", "EndingHashKey": str(2**128 - 1)}
        return {"Shards": [{"ShardId": "shardId-0", "HashKeyRange": whole, "SequenceNumberRange": {}}]}


class RecordingClient(AcceptingClient):
    def __init__(self) -> None:
        self.data: list[bytes] = []

    def put_records(self, StreamName: str, Records: list[Any]) -> dict[str, Any]:
        self.data += [r["Data"] for r in Records]
        return super().put_records(StreamName, Records)


class _Discard:
    def write(self, text: str) -> int:
        return len(text)

    def flush(self) -> None:
        return None


def _metrics(stage: str) -> Metrics:
    return Metrics(dimensions={"Stage": stage}, stream=_Discard())  # type: ignore[arg-type]


def kinesis_events(records: list[bytes], stream: str, now_ms: int) -> list[dict[str, Any]]:
    """``records`` as Lambda's Kinesis trigger hands them over from ``stream``, ``BATCH`` to an
    invocation, in order (sequence numbers rising on one shard)."""
    return [
        {
            "Records": [
                {
                    "kinesis": {
                        "sequenceNumber": str(10**20 + i + j),
                        "partitionKey": "p",
                        "data": base64.b64encode(data).decode(),
                        "approximateArrivalTimestamp": now_ms / 1000,
                    },
                    "eventID": f"shardId-000000000000:{i + j}",
                    "eventSourceARN": f"arn:aws:kinesis:eu-west-1:1:stream/{stream}",
                }
                for j, data in enumerate(records[i : i + BATCH])
            ]
        }
        for i in range(0, len(records), BATCH)
    ]


def processor_of(config: ProcessorConfig, client: AcceptingClient, clean: AcceptingClient | None = None) -> Processor:
    """A processor writing to ``client`` (lake, failed) and ``clean`` (the clean stream, else ``client``)."""
    return Processor(
        config,
        FirehoseProducer(client, "lake"),
        KinesisProducer(clean or client, "clean"),
        FirehoseProducer(client, "failed"),
        _metrics("processor"),
    )


def _raw_ceiling(encoded: list[bytes]) -> float:
    schema = Codec().writer.parsed
    bodies = [e[HEADER_SIZE:] for e in encoded]

    def decode_encode() -> None:
        for body in bodies:
            record = schemaless_reader(
                BytesIO(body), schema, None, return_record_name=True, return_record_name_override=True
            )
            out = BytesIO()
            schemaless_writer(out, schema, record)

    return best_rate(decode_encode, len(bodies))


def run(sessions: int = 150) -> list[Result]:
    now = int(time.time() * 1000)
    generated = [
        json.loads(e.body) for e in generate(TrafficConfig(sessions=sessions, seed=8, start_ms=now - 20 * 60_000))
    ]
    requests = [
        {
            "version": "2.0",
            "headers": {
                "content-type": "application/json",
                "user-agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
                "cloudfront-viewer-country": "US",
            },
            "rawPath": "/events",
            "requestContext": {"requestId": f"r-{i}", "http": {"method": "POST", "sourceIp": "198.51.100.7"}},
            "body": json.dumps(generated[i : i + BATCH]),
            "isBase64Encoded": False,
        }
        for i in range(0, len(generated), BATCH)
    ]
    client = AcceptingClient()
    ingest = IngestService(IngestConfig(raw_stream="raw"), KinesisProducer(client, "raw"), _metrics("ingest"))

    def run_ingest() -> None:
        for request in requests:
            ingest.handle(request, Deadline.after(60))

    # The processor's input: exactly what ingest writes.
    recorder = RecordingClient()
    everything = {**requests[0], "body": json.dumps(generated)}
    IngestService(
        IngestConfig(raw_stream="raw", max_events_per_request=len(generated), max_body_bytes=len(everything["body"])),
        KinesisProducer(recorder, "raw"),
        _metrics("ingest"),
    ).handle(everything, Deadline.after(60))
    encoded = recorder.data
    assert len(encoded) == len(generated), "every generated event reaches the raw stream"
    events = kinesis_events(encoded, "raw", now)
    processor = processor_of(ProcessorConfig("lake", "clean", "failed"), client)

    def run_processor() -> None:
        for event in events:
            response = processor.handle(event, Deadline.after(60))
            assert not response["batchItemFailures"]

    # The monitor's input: the processor's clean records (enriched), aggregated window by window.
    clean = RecordingClient()
    processor_of(ProcessorConfig("lake", "clean", "failed"), client, clean=clean).handle(
        {"Records": [r for e in events for r in e["Records"]]}, Deadline.after(60)
    )
    window = {"start": "2026-11-26T08:00:00Z", "end": "2026-11-26T08:01:00Z"}
    clean_events = kinesis_events(clean.data, "clean", now)
    monitor = Monitor(
        MonitorConfig("table", "failed", allowed_lateness_s=86_400),
        store=MemoryHealthStore(),
        failed=FirehoseProducer(client, "failed"),
    )

    def run_monitor() -> None:
        state: dict[str, Any] = {}
        for event in clean_events:
            state = monitor.handle(
                {**event, "window": window, "state": state, "shardId": "shardId-0"}, Deadline.after(60)
            )["state"]

    ceiling = _raw_ceiling(encoded)
    return [
        Result(
            "ingest (API GW -> PutRecords)",
            best_rate(run_ingest, len(generated), rounds=3),
            "raw fastavro decode+encode",
            ceiling,
            0.5,
        ),
        processor_result := Result(
            "processor (Kinesis -> outputs)",
            best_rate(run_processor, len(encoded), rounds=3),
            "raw fastavro decode+encode",
            ceiling,
            0.7,
        ),
        # Beside the processor's figure of the same run: the two consumers of one stream.
        monitor_result := Result(
            "monitor (Kinesis -> window)",
            # per event: the clean records are KPL-aggregated, many events each
            best_rate(run_monitor, sum(1 for e in clean_events for _ in iter_records(e)), rounds=3),
            "processor, same run",
            processor_result.rate,
        ),
        evaluation_cost(monitor_result.rate),
    ]


@dataclass(frozen=True)
class WindowCost:
    """The health evaluation's cost per window, beside the monitor's cost per record."""

    values: int
    seconds: float
    monitor_rate: float

    def line(self) -> str:
        return (
            f"{'health evaluation, 1 window':<32} {self.seconds * 1000:>10,.1f} ms    "
            f"{f'for {self.values:,} dimension values':<32} monitor {1e6 / self.monitor_rate:,.1f} us/record, same run"
        )


def evaluation_cost(monitor_rate: float, values: int = 10_000) -> WindowCost:
    """One window judged (every rule on every value and pair, isolation, incidents) over
    ``values`` dimension values, against a baseline of ten windows of the same values."""
    rng = random.Random(7)
    current, baseline = WindowAggregates(), WindowAggregates()
    per_dimension = values // (len(DIMENSIONS) + len(PAIRS))
    dimensions = list(DIMENSIONS) + [pair_dimension(a, b) for a, b in PAIRS]
    for dimension in ["all", *dimensions]:
        names = [ALL] if dimension == "all" else [f"v{i}" for i in range(per_dimension)]
        if PAIR_SEPARATOR in dimension:
            names = [pair_value(f"a{i}", f"b{i}") for i in range(per_dimension)]
        for name in names:
            for target, windows in ((current, 1), (baseline, 10)):
                aggregate = Aggregate()
                attempts = rng.randint(20, 200) * windows * (100 if dimension == "all" else 1)
                aggregate.counts.update(
                    attempts=attempts,
                    video_start_failures=attempts // 50,
                    exits_before_video_start=attempts // 30,
                    fatal_errors=attempts // 40,
                    heartbeats=attempts * 10,
                    stalled_heartbeats=attempts // 3,
                    watch_ms=attempts * 90_000,
                    rebuffer_ms=attempts * 900,
                )
                for _ in range(30):
                    aggregate.startup.add(rng.lognormvariate(6.9, 0.45))
                target.by_dimension.setdefault(dimension, {})[name] = aggregate
    seconds = best_seconds(
        lambda: judge(
            current=current, baseline=baseline, incidents=[], start="t", end="t", settings=EvaluationSettings()
        )
    )
    return WindowCost(values, seconds, monitor_rate)
