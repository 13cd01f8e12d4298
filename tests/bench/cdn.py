"""The CDN-log path on one core: lines from the generator (``sluice_tools.traffic.cdn_logs``, the local
stand-in's field order) read by ``read_line`` alone, and by the processor's second input end to
end (line -> ``cdn_request`` event -> checks, enrichment, lake and clean stream entries ready), and
the monitor over the requests it wrote (one event per clean record, 100 to an invocation, one
window: its state handed back between invocations as Lambda does)."""

from __future__ import annotations

import time

from sluice_tools.traffic.cdn_logs import cdn_log_lines

from bench.stages import AcceptingClient, RecordingClient, kinesis_events, processor_of
from bench.timing import Result, best_rate
from sluice.cdn.config import local_fields
from sluice.cdn.requests import LineCounts, read_line
from sluice.monitor.config import MonitorConfig
from sluice.monitor.service import Monitor
from sluice.monitor.store import MemoryHealthStore
from sluice.processor.config import ProcessorConfig
from sluice.producers.firehose import FirehoseProducer
from sluice.runtime.deadline import Deadline

LOG_STREAM = "cdn-logs"


def run(sessions: int = 40) -> list[Result]:
    now = int(time.time() * 1000)
    lines = [
        line.encode()
        for _, line in cdn_log_lines(sessions=sessions, duration_s=300, seed=8, start_ms=now - 10 * 60_000)
    ]
    order = local_fields()
    started = time.perf_counter()
    list(cdn_log_lines(sessions=sessions, duration_s=300, seed=8, start_ms=now - 10 * 60_000))
    generated_per_s = len(lines) / (time.perf_counter() - started)

    def read() -> None:
        counts = LineCounts()
        for line in lines:
            read_line(line, order, counts)

    events = kinesis_events(lines, LOG_STREAM, now)
    processor = processor_of(
        ProcessorConfig("lake", "clean", "failed", cdn_log_stream=LOG_STREAM, cdn_log_fields=tuple(order)),
        AcceptingClient(),
    )

    def process() -> None:
        for event in events:
            response = processor.handle(event, Deadline.after(60))
            assert not response["batchItemFailures"]

    # The monitor's input: the processor's clean records of the same lines, one event each.
    clean = RecordingClient()
    writer = processor_of(
        ProcessorConfig(
            "lake", "clean", "failed", cdn_log_stream=LOG_STREAM, cdn_log_fields=tuple(order), clean_aggregate=False
        ),
        AcceptingClient(),
        clean=clean,
    )
    for event in events:
        writer.handle(event, Deadline.after(60))
    clean_events = kinesis_events(clean.data, "clean", now)
    monitor = Monitor(
        MonitorConfig("table", "failed", allowed_lateness_s=86_400),
        store=MemoryHealthStore(),
        failed=FirehoseProducer(AcceptingClient(), "failed"),
    )
    window = {"start": "2026-11-26T08:00:00Z", "end": "2026-11-26T08:01:00Z"}

    def watch() -> None:
        state: dict[str, object] = {}
        for event in clean_events:
            state = monitor.handle(
                {**event, "window": window, "state": state, "shardId": "shardId-0"}, Deadline.after(60)
            )["state"]

    read_rate = best_rate(read, len(lines))
    process_rate = best_rate(process, len(lines))
    return [
        Result("cdn read_line", read_rate, "cdn lines generated", generated_per_s, unit="line/s"),
        Result("processor, CDN log lines", process_rate, "cdn read_line", read_rate, unit="line/s"),
        Result("monitor, CDN requests", best_rate(watch, len(clean.data)), "processor, CDN log lines", process_rate),
    ]
