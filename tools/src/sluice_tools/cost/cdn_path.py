"""The CDN path's monthly bill: CloudFront real-time log lines, the Kinesis stream they land on
(terraform/modules/cdn_logs: a customer-managed key, 24 h retention), and the processor's second
input reading them (its invocations, CPU per line and logs).

What a line costs downstream of the processor is what any event costs there: each media line is
one ``cdn_request`` event on the clean stream, in the lake, the index, the warehouse and the
monitor. Those are priced per event by :func:`sluice_tools.cost.model.monthly` (add the kept lines to
its events); this module prices only what the SDK's events do not pay for.

The line size is measured, not assumed: generated lines (``sluice_tools.traffic.cdn_logs``) in the
configuration's field order, as many bytes as CloudFront puts in each Kinesis record (one line a
record, with its newline). The reader's CPU per line is ``make bench``'s (``cdn_processor`` in
``data/stage_cpu.json``: the processor's whole work per line, read, checks, enrichment, the lake
and clean-stream entries).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace

from sluice.cdn.config import local_fields
from sluice.cdn.requests import LineCounts, read_line
from sluice_tools.cost.model import (
    FULL_VCPU_MB,
    HOURS_PER_MONTH,
    KB,
    ON_DEMAND_INITIAL_SHARDS,
    Assumptions,
    Deployment,
    Estimate,
    Line,
    log_bytes_per_invocation,
    records_per_invocation,
    sampled_traces,
)
from sluice_tools.cost.prices import PriceBook
from sluice_tools.cost.stage_cpu import StageCpu
from sluice_tools.traffic.cdn_logs import cdn_log_lines

__all__ = [
    "ON_DEMAND_BILLING_KB",
    "PUT_PAYLOAD_UNIT_BYTES",
    "SAMPLE_DURATION_S",
    "SAMPLE_SEED",
    "SAMPLE_SESSIONS",
    "CdnPath",
    "LineSample",
    "measure",
    "with_cdn_path",
]

# The sample the line size is measured on: fixed, so the bytes are the same each run.
SAMPLE_SESSIONS = 30
SAMPLE_DURATION_S = 300
SAMPLE_SEED = 14
# Kinesis bills an on-demand stream's data per KB of each record, rounded up; a provisioned
# stream's PUTs per 25 KB payload unit (Kinesis Data Streams pricing).
ON_DEMAND_BILLING_KB = 1
PUT_PAYLOAD_UNIT_BYTES = 25 * KB


@dataclass(frozen=True)
class LineSample:
    """Generated lines in one field order, as the stream holds them."""

    lines: int
    record_bytes: int  # every line's bytes and newline: one Kinesis record each
    billed_kb: int  # on-demand: each record rounded up to 1 KB
    put_units: int  # provisioned: 25 KB PUT payload units
    kept: int  # media requests: one event each

    @property
    def mean_bytes(self) -> float:
        return self.record_bytes / self.lines


def measure(order: Sequence[str] | None = None) -> LineSample:
    """The fixed generated sample in ``order`` (default: the local stand-in's)."""
    fields = list(order) if order is not None else local_fields()
    counts = LineCounts()
    sizes = []
    for _, line in cdn_log_lines(
        sessions=SAMPLE_SESSIONS, duration_s=SAMPLE_DURATION_S, seed=SAMPLE_SEED, order=fields
    ):
        read_line(line, fields, counts)
        sizes.append(len(line.encode()) + 1)
    return LineSample(
        lines=len(sizes),
        record_bytes=sum(sizes),
        billed_kb=sum(math.ceil(size / (ON_DEMAND_BILLING_KB * KB)) for size in sizes),
        put_units=sum(math.ceil(size / PUT_PAYLOAD_UNIT_BYTES) for size in sizes),
        kept=counts.kept,
    )


@dataclass(frozen=True)
class CdnPath:
    """What the model prices: lines a day (requests x the sampling rate) and their stream."""

    lines_per_day: float
    sample: LineSample
    streams: str = "on-demand"  # or "provisioned" (with shards)
    shards: int = ON_DEMAND_INITIAL_SHARDS


def with_cdn_path(
    estimate: Estimate,
    cdn: CdnPath,
    cpu: StageCpu,
    prices: PriceBook,
    *,
    assumptions: Assumptions | None = None,
) -> Estimate:
    """``estimate`` with the CDN path's items added (to its lines and to ``cdn_items``)."""
    a = assumptions or Assumptions()
    d: Deployment = estimate.deployment
    s = cdn.sample
    month_lines = cdn.lines_per_day * HOURS_PER_MONTH / 24
    rate = cdn.lines_per_day / 86_400
    items: list[Line] = []

    def add(service: str, item: str, quantity: float, unit: str, price_key: str) -> None:
        items.append(Line(service, item, quantity, unit, quantity * prices[price_key], price_key))

    add("CloudFront", "real-time log lines", month_lines, "lines", "cloudfront.realtime_log_line")
    if cdn.streams == "provisioned":
        add("Kinesis", "cdn log stream shard-hours", cdn.shards * HOURS_PER_MONTH, "shard-hours", "kinesis.shard_hour")
        add(
            "Kinesis",
            "cdn log stream PUT payload units",
            month_lines * s.put_units / s.lines,
            "units",
            "kinesis.put_payload_unit",
        )
    else:
        add("Kinesis", "cdn log stream (on-demand)", HOURS_PER_MONTH, "stream-hours", "kinesis.on_demand_stream_hour")
        billed_gb = month_lines * s.billed_kb / s.lines * KB / 1e9
        add("Kinesis", "cdn log stream data in", billed_gb, "GB", "kinesis.on_demand_in_gb")
        add("Kinesis", "cdn log stream data out (1 reader)", billed_gb, "GB", "kinesis.on_demand_out_gb")
    # 24 h retention (the module's, Kinesis' minimum): no extended-retention hours.
    add("KMS", "cdn log stream key", 1, "key-months", "kms.key_month")
    # CloudFront's writes and the processor's reads each use a data key per shard for 5 minutes.
    add("KMS", "cdn log stream requests (data keys)", cdn.shards * 2 * 12 * HOURS_PER_MONTH, "requests", "kms.request")

    # The processor's second event source mapping has the raw stream's settings.
    trigger = d.processor
    batch = records_per_invocation(rate, cdn.shards * trigger.parallelization_factor, trigger)
    invocations = month_lines / batch
    memory = d.memory_mb["processor"]
    cpu_ms = month_lines * cpu.us("cdn_processor") / 1000
    # Each batch's events go out in one PutRecords (clean) and one PutRecordBatch (lake) call:
    # 500 lines of about 1 KB are far under either call's 500 entries and 4-5 MiB.
    wait_ms = invocations * 2 * a.aws_call_ms
    stretch = max(1.0, FULL_VCPU_MB / memory)
    duration_s = (invocations * a.invocation_overhead_ms + cpu_ms * stretch + wait_ms) / 1000
    add("Lambda", "processor requests (cdn log lines)", invocations, "requests", "lambda.request")
    add(
        "Lambda",
        f"processor compute, cdn log lines ({memory} MB)",
        duration_s * memory / 1024,
        "GB-seconds",
        "lambda.gb_second",
    )
    add(
        "CloudWatch",
        "processor logs (cdn log lines)",
        invocations * log_bytes_per_invocation(a, d) / 1e9,
        "GB",
        "cloudwatch.logs_ingested_gb",
    )
    if d.tracing:
        add(
            "X-Ray",
            "traces recorded (processor, cdn log lines)",
            sampled_traces(invocations, a),
            "traces",
            "xray.trace_recorded",
        )
    kept = cdn.lines_per_day * s.kept / s.lines
    notes = [
        f"CDN path: {cdn.lines_per_day:,.0f} real-time log lines a day of {s.mean_bytes:,.0f} B (measured on "
        f"{s.lines:,} generated lines), read {batch:.0f} a batch at {cpu.us('cdn_processor'):.0f} us CPU a line",
        f"CDN path: its {kept:,.0f} media requests a day become events; their lake, index, warehouse and monitor "
        "costs are per event, as for the SDK's (add them to --events-per-day)",
    ]
    return replace(
        estimate,
        lines=[*estimate.lines, *items],
        notes=[*estimate.notes, *notes],
        cdn_log_lines_per_day=cdn.lines_per_day,
        cdn_items=items,
    )
