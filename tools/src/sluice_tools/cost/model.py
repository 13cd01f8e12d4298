"""The monthly bill of one deployment for a traffic, per AWS service, and the API usage behind it.

Two steps: :func:`usage` turns a number of events, their measured :class:`Profile` and how the
event source mappings batch them into the calls, records and bytes each stage sends (the part a
test counts against a running pipeline), and :func:`monthly` prices a month of that usage plus
the hourly and fixed items (shards, nodes, keys, alarms) from a :class:`PriceBook`.
"""

from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sluice_tools.cost.prices import PriceBook
from sluice_tools.cost.stage_cpu import StageCpu
from sluice_tools.cost.traffic import Profile

__all__ = [
    "FULL_VCPU_MB",
    "HOURS_PER_MONTH",
    "KB",
    "KINESIS_SHARD_WRITE_BYTES",
    "KINESIS_SHARD_WRITE_RECORDS",
    "ON_DEMAND_INITIAL_SHARDS",
    "PUT_RECORDS_MAX",
    "PUT_RECORDS_MAX_BYTES",
    "PUT_RECORD_BATCH_MAX",
    "PUT_RECORD_BATCH_MAX_BYTES",
    "SECONDS_PER_MONTH",
    "Assumptions",
    "Deployment",
    "Estimate",
    "Line",
    "Trigger",
    "Usage",
    "lake_records_per_batch",
    "monthly",
    "records_per_invocation",
    "usage",
]

HOURS_PER_MONTH = 730
SECONDS_PER_MONTH = HOURS_PER_MONTH * 3600
KB = 1024
# Lambda gives a function one full vCPU at 1,769 MB; below it, CPU time stretches in proportion.
FULL_VCPU_MB = 1769
# Service limits that decide how many calls a batch takes.
PUT_RECORDS_MAX = 500
PUT_RECORDS_MAX_BYTES = 5 * KB * KB
PUT_RECORD_BATCH_MAX = 500
PUT_RECORD_BATCH_MAX_BYTES = 4 * KB * KB
KINESIS_SHARD_WRITE_BYTES = 1_000_000
KINESIS_SHARD_WRITE_RECORDS = 1000
ON_DEMAND_INITIAL_SHARDS = 4  # an on-demand stream starts with 4 MB/s of write capacity


@dataclass(frozen=True)
class Trigger:
    batch_size: int
    batching_window_seconds: float
    parallelization_factor: int = 1


@dataclass(frozen=True)
class Assumptions:
    """What no benchmark here can measure: round trips to managed services and the size of logs.
    Each is a plain number a user can change (``--assume key=value``)."""

    aws_call_ms: float = 25.0  # one PutRecords / PutRecordBatch / PutItem round trip in-region
    bulk_request_ms: float = 80.0  # one OpenSearch _bulk of up to 5 MB
    warehouse_load_ms: float = 3000.0  # one Redshift COPY + MERGE of a loader batch
    invocation_overhead_ms: float = 2.0  # the runtime's own work per invocation
    # Lambda's own lines (START/REPORT: the earlier allowance, ~740 B, not measurable here) and the
    # stage's: 434 B measured, the mean of one clean invocation of ingest, processor, indexer and
    # loader under Powertools (330/523/454/429 B: one EMF line; 463 B with the hand writer).
    log_bytes_per_invocation: int = 1170
    custom_metrics: int = 40  # EMF metric x dimension combinations the stages publish
    alarms: int = 27  # CloudWatch alarms in terraform/modules (stage_function x 5, monitoring, warehouse)
    kms_keys: int = 5  # raw and clean streams, lake, monitoring, warehouse
    secrets: int = 3  # write keys, loader credentials, CloudFront origin token
    incidents_per_month: int = 30  # alert messages (SNS publishes and emails)


@dataclass(frozen=True)
class Deployment:
    """The settings the model prices: by default, what terraform/modules/pipeline deploys."""

    streams: str = "on-demand"  # or "provisioned" (with raw_shards / clean_shards)
    raw_shards: int = ON_DEMAND_INITIAL_SHARDS
    clean_shards: int = ON_DEMAND_INITIAL_SHARDS
    retention_hours: int = 48
    kpl_aggregation: bool = True
    lake_record_bytes: int = 256 * KB  # the processor packs lake lines into records this big
    processor: Trigger = Trigger(500, 1, 2)
    indexer: Trigger = Trigger(1000, 5, 1)
    monitor: Trigger = Trigger(1000, 5, 1)
    loader: Trigger = Trigger(10, 5)
    memory_mb: dict[str, int] = field(
        default_factory=lambda: {
            "ingest": 512,
            "processor": 512,
            "indexer": 512,
            "loader": 512,
            "monitor": 512,
            "evaluator": 512,
        }
    )
    lake_buffer_mb: int = 128
    lake_buffer_seconds: int = 60
    health_window_seconds: int = 60
    transition_to_ia_days: int = 30
    expire_events_days: int = 730
    edge: bool = True  # CloudFront + WAF in front of the API
    waf_rules: int = 1
    search_instance_type: str = "r6g.large.search"
    search_instances: int = 2
    search_master_type: str | None = "m6g.large.search"
    search_masters: int = 3
    search_volume_gb: int = 100
    warehouse_node_type: str = "ra3.xlplus"
    warehouse_nodes: int = 2

    def naive(self) -> Deployment:
        """One event per Kinesis record and per Firehose record: the design Sluice avoids."""
        return replace(self, kpl_aggregation=False, lake_record_bytes=1)


@dataclass
class Usage:
    """Calls, records and bytes over one period, per API as the stages send them."""

    events: float = 0
    requests: float = 0  # API Gateway requests = ingest invocations
    wire_bytes: float = 0
    raw_put_calls: float = 0
    raw_records: float = 0
    raw_bytes: float = 0
    raw_put_units: float = 0
    raw_billed_kb: float = 0  # on-demand: each record rounded up to 1 KB
    processor_invocations: float = 0
    clean_put_calls: float = 0
    clean_records: float = 0
    clean_bytes: float = 0
    clean_put_units: float = 0
    clean_billed_kb: float = 0
    lake_put_calls: float = 0
    lake_records: float = 0
    lake_bytes: float = 0
    lake_billed_bytes: float = 0  # each Firehose record rounded up to 5 KB
    indexer_invocations: float = 0
    bulk_requests: float = 0
    bulk_bytes: float = 0
    monitor_invocations: float = 0
    health_puts: float = 0  # shard-window items
    health_put_kb: float = 0  # write request units


def _batch_calls(records: float, size: float, max_entries: int, max_bytes: int) -> float:
    """Calls for one batch of ``records`` entries of ``size`` bytes each."""
    if records <= 0:
        return 0
    return max(math.ceil(records / max_entries), math.ceil(records * size / max_bytes))


def lake_records_per_batch(profile: Profile, lines: float, target_bytes: int) -> float:
    """Firehose records the processor packs ``lines`` lake lines into: one per lake partition
    present (event type; the sample's date and hour are one), more when a partition's lines
    outgrow ``target_bytes``. Partition presence is the chance a type appears among the lines."""
    total = 0.0
    for event_type, share in profile.partition_share.items():
        expected = lines * share
        present = 1 - (1 - share) ** lines if lines >= 1 else expected
        bytes_ = expected * profile.partition_line_bytes[event_type]
        # A record holds at least one line: never more records than lines (1 byte: one each).
        total += max(present, min(expected, bytes_ / target_bytes))
    return total


def usage(
    events: float,
    profile: Profile,
    deployment: Deployment,
    *,
    processor_batch: float,
    indexer_batch: float,
    monitor_batch: float,
    monitor_windows: float,
) -> Usage:
    """The API usage of ``events`` when the processor is invoked with ``processor_batch`` raw
    records at a time, the indexer with ``indexer_batch`` and the monitor with ``monitor_batch``
    clean records, and the monitor closes ``monitor_windows`` shard-windows."""
    p, d = profile, deployment
    u = Usage(events=events)
    u.requests = events / p.events_per_request
    u.wire_bytes = events * p.per_event(p.wire_bytes)
    if d.kpl_aggregation:
        u.raw_records = u.requests * p.raw_records_kpl / p.requests
        u.raw_bytes = events * p.per_event(p.raw_bytes_kpl)
        u.raw_put_units = u.requests * p.raw_put_units_kpl / p.requests
    else:
        u.raw_records = events
        u.raw_bytes = events * p.per_event(p.raw_bytes_plain)
        u.raw_put_units = events * p.per_event(p.raw_put_units_plain)
    raw_record_bytes = u.raw_bytes / u.raw_records
    u.raw_billed_kb = u.raw_records * math.ceil(raw_record_bytes / KB)
    # One PutRecords per request (ingest answers each request by itself).
    u.raw_put_calls = u.requests * _batch_calls(
        u.raw_records / u.requests, raw_record_bytes, PUT_RECORDS_MAX, PUT_RECORDS_MAX_BYTES
    )

    u.processor_invocations = u.raw_records / processor_batch
    events_per_invocation = events / u.processor_invocations
    clean_share = p.clean_events / p.events
    u.clean_records = events * clean_share
    u.clean_bytes = events * p.per_event(p.clean_bytes)
    clean_size = p.clean_bytes / p.clean_events
    u.clean_put_units = u.clean_records * math.ceil(clean_size / (25 * KB))
    u.clean_billed_kb = u.clean_records * math.ceil(clean_size / KB)
    clean_per_invocation = events_per_invocation * clean_share
    u.clean_put_calls = u.processor_invocations * _batch_calls(
        clean_per_invocation, clean_size, PUT_RECORDS_MAX, PUT_RECORDS_MAX_BYTES
    )
    lines_per_invocation = events_per_invocation * p.lake_events / p.events
    lake_per_invocation = lake_records_per_batch(p, lines_per_invocation, d.lake_record_bytes)
    u.lake_records = u.processor_invocations * lake_per_invocation
    u.lake_bytes = events * p.per_event(p.lake_bytes)
    lake_size = u.lake_bytes / u.lake_records
    u.lake_billed_bytes = u.lake_records * math.ceil(lake_size / (5 * KB)) * 5 * KB
    u.lake_put_calls = u.processor_invocations * _batch_calls(
        lake_per_invocation, lake_size, PUT_RECORD_BATCH_MAX, PUT_RECORD_BATCH_MAX_BYTES
    )

    u.indexer_invocations = u.clean_records / indexer_batch
    u.bulk_bytes = events * p.per_event(p.bulk_bytes)
    docs_per_invocation = indexer_batch
    doc_size = p.bulk_bytes / p.clean_events
    u.bulk_requests = u.indexer_invocations * _batch_calls(docs_per_invocation, doc_size, 1000, 5 * KB * KB)
    u.monitor_invocations = u.clean_records / monitor_batch + monitor_windows
    parts = max(1, math.ceil(p.monitor_window_bytes / (350 * KB)))
    u.health_puts = monitor_windows * parts
    u.health_put_kb = monitor_windows * max(1, math.ceil(p.monitor_window_bytes / KB))
    return u


# --- a month on AWS ---------------------------------------------------------------------------


def records_per_invocation(rate_per_s: float, slots: int, trigger: Trigger) -> float:
    """Records an event source mapping hands each invocation at a steady ``rate_per_s`` over
    ``slots`` (shards x parallelization): a full batch, or what arrives in one batching window."""
    per_slot = rate_per_s / slots
    return max(1.0, min(trigger.batch_size, per_slot * max(trigger.batching_window_seconds, 0.1)))


@dataclass
class Line:
    service: str
    item: str
    quantity: float
    unit: str
    usd: float


@dataclass
class Estimate:
    events_per_day: float
    region: str
    prices_as_of: str
    deployment: Deployment
    usage: Usage
    lines: list[Line]
    notes: list[str] = field(default_factory=list)
    # The CDN path (sluice_tools.cost.cdn_path), when priced: its lines a day and its items (also in ``lines``).
    cdn_log_lines_per_day: float = 0.0
    cdn_items: list[Line] = field(default_factory=list)

    @property
    def events_per_month(self) -> float:
        return self.events_per_day * HOURS_PER_MONTH / 24

    @property
    def total(self) -> float:
        return sum(line.usd for line in self.lines)

    def by_service(self) -> dict[str, float]:
        totals: dict[str, float] = {}
        for line in self.lines:
            totals[line.service] = totals.get(line.service, 0.0) + line.usd
        return totals

    def per_million(self, usd: float) -> float:
        return usd / (self.events_per_month / 1e6)

    def to_dict(self) -> dict[str, Any]:
        return {
            "events_per_day": self.events_per_day,
            "events_per_month": self.events_per_month,
            "region": self.region,
            "prices_as_of": self.prices_as_of,
            "monthly_usd": round(self.total, 2),
            "usd_per_million_events": round(self.per_million(self.total), 4),
            "services": {
                s: {"monthly_usd": round(v, 2), "usd_per_million_events": round(self.per_million(v), 4)}
                for s, v in sorted(self.by_service().items(), key=lambda kv: -kv[1])
            },
            "lines": [asdict(line) for line in self.lines],
            "notes": self.notes,
            **({"cdn_path": self.cdn_path_dict()} if self.cdn_items else {}),
        }

    @property
    def cdn_total(self) -> float:
        return sum(line.usd for line in self.cdn_items)

    def cdn_per_million_lines(self, usd: float) -> float:
        return usd / (self.cdn_log_lines_per_day * HOURS_PER_MONTH / 24 / 1e6)

    def cdn_path_dict(self) -> dict[str, Any]:
        return {
            "log_lines_per_day": self.cdn_log_lines_per_day,
            "monthly_usd": round(self.cdn_total, 2),
            "usd_per_million_lines": round(self.cdn_per_million_lines(self.cdn_total), 4),
            "lines": [asdict(line) for line in self.cdn_items],
        }


def monthly(
    events_per_day: float,
    profile: Profile,
    cpu: StageCpu,
    prices: PriceBook,
    *,
    deployment: Deployment | None = None,
    assumptions: Assumptions | None = None,
) -> Estimate:
    d = deployment or Deployment()
    a = assumptions or Assumptions()
    rate = events_per_day / 86_400  # events per second, averaged over the day
    month_events = events_per_day * HOURS_PER_MONTH / 24
    p = profile
    raw_rate = rate / (p.events / p.raw_records_kpl if d.kpl_aggregation else 1)
    clean_rate = rate * p.clean_events / p.events
    processor_batch = records_per_invocation(raw_rate, d.raw_shards * d.processor.parallelization_factor, d.processor)
    indexer_batch = records_per_invocation(clean_rate, d.clean_shards * d.indexer.parallelization_factor, d.indexer)
    monitor_batch = records_per_invocation(clean_rate, d.clean_shards * d.monitor.parallelization_factor, d.monitor)
    windows = d.clean_shards * SECONDS_PER_MONTH / d.health_window_seconds
    u = usage(
        month_events,
        p,
        d,
        processor_batch=processor_batch,
        indexer_batch=indexer_batch,
        monitor_batch=monitor_batch,
        monitor_windows=windows,
    )
    lines: list[Line] = []

    def add(service: str, item: str, quantity: float, unit: str, price_key: str) -> None:
        lines.append(Line(service, item, quantity, unit, quantity * prices[price_key]))

    # Edge and API
    if d.edge:
        add("CloudFront", "HTTPS requests", u.requests, "requests", "cloudfront.https_request")
        add("CloudFront", "request bodies to the origin", u.wire_bytes / 1e9, "GB", "cloudfront.transfer_to_origin_gb")
        add("WAF", "web ACL", 1, "web ACL-months", "waf.web_acl_month")
        add("WAF", "rules", d.waf_rules, "rule-months", "waf.rule_month")
        add("WAF", "requests inspected", u.requests, "requests", "waf.request")
    body_units = math.ceil(p.wire_bytes / p.requests / (512 * KB))
    add("API Gateway", "HTTP API requests", u.requests * body_units, "requests", "apigateway.http_request")

    # Kinesis
    for name, units, billed_kb, shards, readers in (
        ("raw", u.raw_put_units, u.raw_billed_kb, d.raw_shards, 1),
        ("clean", u.clean_put_units, u.clean_billed_kb, d.clean_shards, 2),
    ):
        if d.streams == "provisioned":
            add("Kinesis", f"{name} stream shard-hours", shards * HOURS_PER_MONTH, "shard-hours", "kinesis.shard_hour")
            add("Kinesis", f"{name} stream PUT payload units", units, "units", "kinesis.put_payload_unit")
            if d.retention_hours > 24:
                add(
                    "Kinesis",
                    f"{name} stream retention past 24 h",
                    shards * HOURS_PER_MONTH,
                    "shard-hours",
                    "kinesis.extended_retention_shard_hour",
                )
        else:
            add(
                "Kinesis",
                f"{name} stream (on-demand)",
                HOURS_PER_MONTH,
                "stream-hours",
                "kinesis.on_demand_stream_hour",
            )
            add("Kinesis", f"{name} stream data in", billed_kb * KB / 1e9, "GB", "kinesis.on_demand_in_gb")
            add(
                "Kinesis",
                f"{name} stream data out ({readers} reader{'s' if readers > 1 else ''})",
                readers * billed_kb * KB / 1e9,
                "GB",
                "kinesis.on_demand_out_gb",
            )

    # Lambda: requests and GB-seconds from measured CPU per record and the configured memory.
    objects = _lake_objects(p, d, rate)
    loader_batch = records_per_invocation(objects, 1, d.loader)
    loader_invocations = objects * SECONDS_PER_MONTH / loader_batch
    evaluations = SECONDS_PER_MONTH / d.health_window_seconds
    call = a.aws_call_ms
    # Per stage: invocations, CPU milliseconds (measured per record), milliseconds waiting on calls.
    stages = {
        "ingest": (u.requests, month_events * cpu.us("ingest") / 1000, u.raw_put_calls * call),
        "processor": (
            u.processor_invocations,
            month_events * cpu.us("processor") / 1000,
            (u.clean_put_calls + u.lake_put_calls) * call,
        ),
        "indexer": (
            u.indexer_invocations,
            u.clean_records * cpu.us("indexer") / 1000,
            u.bulk_requests * a.bulk_request_ms,
        ),
        "monitor": (u.monitor_invocations, u.clean_records * cpu.us("monitor") / 1000, u.health_puts * call),
        "loader": (loader_invocations, 0.0, loader_invocations * a.warehouse_load_ms),
        "evaluator": (evaluations, evaluations * cpu.evaluation_ms, evaluations * (d.clean_shards + 12) * call),
    }
    log_bytes = 0.0
    for stage, (invocations, cpu_ms, wait_ms) in stages.items():
        memory = d.memory_mb[stage]
        # CPU time stretches below one vCPU; waiting on the network does not.
        stretch = max(1.0, FULL_VCPU_MB / memory)
        duration_s = (invocations * a.invocation_overhead_ms + cpu_ms * stretch + wait_ms) / 1000
        add("Lambda", f"{stage} requests", invocations, "requests", "lambda.request")
        add("Lambda", f"{stage} compute ({memory} MB)", duration_s * memory / 1024, "GB-seconds", "lambda.gb_second")
        log_bytes += invocations * a.log_bytes_per_invocation

    # Firehose, S3, the loader's queue
    add(
        "Firehose", "lake ingestion (5 KB rounding per record)", u.lake_billed_bytes / 1e9, "GB", "firehose.ingested_gb"
    )
    add("Firehose", "dynamic partitioning", u.lake_bytes / 1e9, "GB", "firehose.dynamic_partitioning_gb")
    add(
        "Firehose",
        "partitioned objects delivered",
        objects * SECONDS_PER_MONTH,
        "objects",
        "firehose.dynamic_partitioning_object",
    )
    add("Firehose", "JQ processing", HOURS_PER_MONTH, "hours", "firehose.jq_hour")
    stored_gb_day = u.lake_bytes / (HOURS_PER_MONTH / 24) * p.lake_gzip_ratio / 1e9
    standard_days = min(d.transition_to_ia_days, d.expire_events_days)
    add(
        "S3",
        "lake storage, Standard (steady state)",
        stored_gb_day * standard_days,
        "GB-months",
        "s3.standard_gb_month",
    )
    add(
        "S3",
        "lake storage, Standard-IA (steady state)",
        stored_gb_day * max(0, d.expire_events_days - standard_days),
        "GB-months",
        "s3.standard_ia_gb_month",
    )
    add("S3", "PUTs from Firehose", objects * SECONDS_PER_MONTH, "requests", "s3.put_request")
    add("S3", "GETs by the loader (Redshift COPY)", objects * SECONDS_PER_MONTH, "requests", "s3.get_request")
    sqs_requests = (
        objects * SECONDS_PER_MONTH * 2 + 5 * 3 * 60 * HOURS_PER_MONTH
    )  # send + delete; 5 pollers long-polling
    add("SQS", "loader queue requests", sqs_requests, "requests", "sqs.request")

    # The monitor's health store, the evaluation, alerts
    add("DynamoDB", "shard-window counters written", u.health_put_kb, "write units", "dynamodb.write_request_unit")
    fleet_kb = math.ceil(p.monitor_window_bytes / KB)
    add(
        "DynamoDB",
        "evaluation writes (fleet window, state)",
        evaluations * (fleet_kb + 1),
        "write units",
        "dynamodb.write_request_unit",
    )
    add(
        "DynamoDB",
        "evaluation reads (shards, 10-window baseline)",
        evaluations * (d.clean_shards + 10) * math.ceil(fleet_kb / 4),
        "read units",
        "dynamodb.read_request_unit",
    )
    add("EventBridge Scheduler", "evaluation schedule", evaluations, "invocations", "scheduler.invocation")
    add("SNS", "alert messages", a.incidents_per_month * 3, "publishes", "sns.publish")

    # Keys, secrets, observability
    add("KMS", "customer managed keys", a.kms_keys, "key-months", "kms.key_month")
    # Kinesis, SQS and DynamoDB reuse a data key for 5 minutes per shard or caller.
    kms_requests = (d.raw_shards * 2 + d.clean_shards * 3 + 4) * 12 * HOURS_PER_MONTH + objects * SECONDS_PER_MONTH
    add("KMS", "requests (data keys)", kms_requests, "requests", "kms.request")
    add("Secrets Manager", "secrets", a.secrets, "secret-months", "secretsmanager.secret_month")
    ingest_ms = (stages["ingest"][1] + stages["ingest"][2]) / max(1, u.requests)
    warm_ingest = max(1.0, u.requests / SECONDS_PER_MONTH * ingest_ms / 1000)  # concurrency, by Little's law
    add(
        "Secrets Manager",
        "write-key reads (60 s cache per warm ingest)",
        warm_ingest * 60 * HOURS_PER_MONTH,
        "requests",
        "secretsmanager.request",
    )
    add("CloudWatch", "Lambda logs ingested", log_bytes / 1e9, "GB", "cloudwatch.logs_ingested_gb")
    add("CloudWatch", "custom metrics", a.custom_metrics, "metric-months", "cloudwatch.metric_month")
    add("CloudWatch", "alarms", a.alarms, "alarm-months", "cloudwatch.alarm_month")

    # Fixed: the configured clusters
    add(
        "OpenSearch",
        f"{d.search_instances} x {d.search_instance_type}",
        d.search_instances * HOURS_PER_MONTH,
        "instance-hours",
        f"opensearch.instance_hour.{d.search_instance_type}",
    )
    if d.search_master_type:
        add(
            "OpenSearch",
            f"{d.search_masters} x {d.search_master_type} (masters)",
            d.search_masters * HOURS_PER_MONTH,
            "instance-hours",
            f"opensearch.instance_hour.{d.search_master_type}",
        )
    add("OpenSearch", "gp3 storage", d.search_instances * d.search_volume_gb, "GB-months", "opensearch.gp3_gb_month")
    add(
        "Redshift",
        f"{d.warehouse_nodes} x {d.warehouse_node_type}",
        d.warehouse_nodes * HOURS_PER_MONTH,
        "node-hours",
        f"redshift.node_hour.{d.warehouse_node_type}",
    )
    notes = [
        f"processor invoked with {processor_batch:.0f} raw records ({'KPL aggregates' if d.kpl_aggregation else 'one event each'}) on average; indexer with {indexer_batch:.0f} clean records",
        f"lake: {objects * 60:.1f} S3 objects a minute (one per event type per {d.lake_buffer_seconds} s buffer); gzip keeps {p.lake_gzip_ratio:.0%} of the JSON lines",
        "not priced: data transfer inside the region (free), NAT gateways and VPC endpoints (yours), Redshift managed storage and OpenSearch growth beyond the configured volumes",
    ]
    return Estimate(events_per_day, prices.region, prices.as_of, d, u, lines, notes)


def _lake_objects(p: Profile, d: Deployment, rate: float) -> float:
    """S3 objects per second from the lake Firehose: each event type is its own partition and
    buffer, flushed at the buffer interval or when it fills, whichever comes first."""
    total = 0.0
    for event_type, share in p.partition_share.items():
        bytes_per_s = rate * p.lake_events / p.events * share * p.partition_line_bytes[event_type]
        total += max(1 / d.lake_buffer_seconds, bytes_per_s / (d.lake_buffer_mb * KB * KB)) if bytes_per_s > 0 else 0
    return total
