"""The monthly bill of one deployment for a traffic, per AWS service, and the API usage behind it.

Two steps: :func:`usage` turns a number of events, their measured :class:`Profile` and how the
event source mappings batch them into the calls, records and bytes each stage sends (the part a
test counts against a running pipeline), and :func:`monthly` prices a month of that usage plus
the hourly and fixed items (shards, nodes, keys, alarms) from a :class:`PriceBook`.

Everything the stacks deploy is priced (a unit test maps each Terraform resource type to a price
line or to "free", :data:`RESOURCE_PRICES`), or is off in the :class:`Deployment` and priced when
on. What no benchmark here can measure is an :class:`Assumptions` field, each overridable by name
from the command line (``sluice cost --assume key=value``, :func:`assume`).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field, fields, replace
from typing import Any

from sluice.runtime.errors import SluiceError
from sluice_tools.cost.prices import PriceBook
from sluice_tools.cost.stage_cpu import StageCpu
from sluice_tools.cost.traffic import Profile

__all__ = [
    "ASSUMPTION_CHOICES",
    "CDN_HEALTH_METRICS",
    "FRACTION_ASSUMPTIONS",
    "FULL_VCPU_MB",
    "HOURS_PER_MONTH",
    "KB",
    "KINESIS_MAX_RECORD_BYTES",
    "KINESIS_SHARD_WRITE_BYTES",
    "KINESIS_SHARD_WRITE_RECORDS",
    "KPL_ENTRY_BYTES",
    "KPL_RECORD_BYTES",
    "ON_DEMAND_INITIAL_SHARDS",
    "OPTION_ASSUMPTIONS",
    "POSITIVE_ASSUMPTIONS",
    "PUT_PAYLOAD_UNIT_BYTES",
    "PUT_RECORDS_MAX",
    "PUT_RECORDS_MAX_BYTES",
    "PUT_RECORD_BATCH_MAX",
    "PUT_RECORD_BATCH_MAX_BYTES",
    "REDSHIFT_MIN_CHARGE_S",
    "RESOURCE_PRICES",
    "SEARCH_MIN_NODES",
    "SEARCH_NODE_MAX_GB",
    "SEARCH_NODE_VCPUS",
    "SEARCH_STORAGE_FACTOR",
    "SECONDS_PER_MONTH",
    "SESSION_KEY_BYTES",
    "STAGE_METRICS",
    "TRAFFIC_CLASSES",
    "ULTRAWARM_MIN_NODES",
    "ULTRAWARM_NODE_MAX_GB",
    "VPC_ENDPOINT_SERVICES",
    "AssumptionError",
    "Assumptions",
    "Deployment",
    "Estimate",
    "Line",
    "MetricSeries",
    "SearchSize",
    "Trigger",
    "Usage",
    "assume",
    "clean_events_per_record",
    "lake_records_per_batch",
    "log_bytes_per_invocation",
    "metric_series",
    "monthly",
    "records_per_invocation",
    "sampled_traces",
    "search_lines",
    "serverless_hours",
    "size_search",
    "usage",
    "warehouse_lines",
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
KINESIS_MAX_RECORD_BYTES = 1024 * KB  # a record's data (Kinesis PutRecords quota; a KPL aggregate's bound)
PUT_PAYLOAD_UNIT_BYTES = 25 * KB  # provisioned streams bill PUTs per 25 KB of each record
# KPL aggregation format: per user record its protobuf framing (tags, lengths, key index), per
# Kinesis record the 4-byte magic and 16-byte MD5; clean records are keyed by session_id (a UUID).
KPL_ENTRY_BYTES = 7
KPL_RECORD_BYTES = 4 + 16
SESSION_KEY_BYTES = 36


@dataclass(frozen=True)
class Trigger:
    batch_size: int
    batching_window_seconds: float
    parallelization_factor: int = 1


@dataclass(frozen=True)
class Assumptions:
    """What no benchmark here can measure: round trips to managed services, what Lambda and the
    user's network add, and how many distinct values the players send. Each is a plain value a
    user can change by name (``--assume key=value``, :func:`assume`)."""

    aws_call_ms: float = 25.0  # one PutRecords / PutRecordBatch / PutItem round trip in-region
    bulk_request_ms: float = 80.0  # one OpenSearch _bulk of up to 5 MB
    warehouse_load_ms: float = 3000.0  # one Redshift COPY + MERGE of a loader batch
    invocation_overhead_ms: float = 2.0  # the runtime's own work per invocation
    # The stage's own lines per invocation, measured: the mean of one clean invocation of ingest,
    # processor, indexer and loader under Powertools (330/523/454/429 B: one EMF line).
    stage_log_bytes_per_invocation: int = 434
    # Lambda's own lines (START, END, REPORT with the X-Ray segment) when its system log level
    # lets them through (INFO or DEBUG; the Deployment's system_log_level): not measurable here.
    # At WARN a clean invocation writes none of them (they are INFO, Lambda's "Log-level filtering").
    platform_log_bytes_per_invocation: int = 736
    # One API Gateway access-log line in terraform/modules/ingest_api's format, typical values.
    access_log_bytes_per_request: int = 180
    # CloudWatch Logs bills stored logs by their compressed size (archived); ~15% of the raw bytes.
    log_storage_ratio: float = 0.15
    # Distinct values of the player-health EMF dimensions (sluice.monitor.outputs.EMF_DIMENSIONS)
    # over a month; each is bounded by the monitor's MAX_VALUES per window (+ "other").
    health_cdn_values: int = 4
    health_player_versions: int = 20
    health_device_classes: int = 6
    # Lambda's X-Ray sampling with active tracing: the first request each second, then 5%.
    xray_reservoir_per_s: float = 1.0
    xray_sampling_rate: float = 0.05
    # How the in-VPC stages (indexer, monitor, loader) reach Firehose and Secrets Manager:
    # "endpoints" (interface endpoints, priced), "nat" (a NAT gateway per zone, priced) or
    # "yours" (the VPC the user gives already has them: not priced here).
    vpc_egress: str = "endpoints"
    vpc_zones: int = 2
    # OpenSearch: documents one vCPU indexes a second (replicas included); not measured here.
    search_docs_per_vcpu_s: float = 1000.0
    peak_factor: float = 4.0  # the peak over the day's average (sizes OpenSearch's CPU)
    # Warehouse: its columnar bytes per byte of gzipped lake line (both compress the same JSON).
    warehouse_bytes_per_gzip_byte: float = 1.0
    warehouse_months: int = 12  # the warehouse's storage is priced after this many months
    analyst_query_hours_per_day: float = 2.0  # Serverless: hours a day queries keep it busy
    alarms: int = 27  # CloudWatch alarms in terraform/modules (stage_function x 5, monitoring, warehouse)
    dashboards: int = 1  # terraform/modules/monitoring
    kms_keys: int = 5  # raw and clean streams, lake, monitoring, warehouse
    secrets: int = 3  # write keys, loader credentials, CloudFront origin token
    incidents_per_month: int = 30  # alert messages (SNS publishes and emails)


# The values a str assumption may take.
ASSUMPTION_CHOICES = {"vpc_egress": ("endpoints", "nat", "yours")}
# What the numbers among the Assumptions may be (assume() refuses the rest; every number is finite
# and at least 0): these divide or scale a rate, so 0 is no answer,
POSITIVE_ASSUMPTIONS = frozenset({"search_docs_per_vcpu_s", "peak_factor", "vpc_zones"})
# and these are fractions, so at most 1.
FRACTION_ASSUMPTIONS = frozenset({"log_storage_ratio", "xray_sampling_rate"})
# Set by an option of the commands' own, never by --assume: one source for each.
OPTION_ASSUMPTIONS = {"peak_factor": "--peak-factor"}


class AssumptionError(SluiceError, ValueError):
    pass


def assume(pairs: Sequence[str], base: Assumptions | None = None) -> Assumptions:
    """``base`` with each ``key=value`` of ``pairs`` applied, typed as the field is."""
    base = base or Assumptions()
    types = {f.name: str(f.type) for f in fields(Assumptions)}
    changes: dict[str, Any] = {}
    for pair in pairs:
        key, sep, text = pair.partition("=")
        key, text = key.strip(), text.strip()
        if not sep or not key:
            raise AssumptionError(f"--assume {pair!r}: expected key=value")
        if key not in types:
            raise AssumptionError(f"--assume {key}: no such assumption; there are: {', '.join(types)}")
        if key in OPTION_ASSUMPTIONS:
            raise AssumptionError(f"--assume {key}: set it with {OPTION_ASSUMPTIONS[key]}")
        if key in changes:
            raise AssumptionError(f"--assume {key}: given twice; give it once")
        changes[key] = _assumed(key, types[key], text)
    return replace(base, **changes)


def _assumed(key: str, kind: str, text: str) -> Any:
    """``text`` as the ``kind`` of assumption ``key``, within what it may be."""
    if kind == "str":
        if key in ASSUMPTION_CHOICES and text not in ASSUMPTION_CHOICES[key]:
            raise AssumptionError(f"--assume {key}={text}: one of {', '.join(ASSUMPTION_CHOICES[key])}")
        return text
    # int() and float() read any script's digits (Arabic-Indic "\u0663" is 3): a number is ASCII.
    if not text.isascii():
        raise AssumptionError(f"--assume {key}={text}: write the number in ASCII digits")
    value: float
    try:
        value = int(text) if kind == "int" else float(text)
    except ValueError:
        raise AssumptionError(f"--assume {key}={text}: not {'an' if kind == 'int' else 'a'} {kind}") from None
    if not math.isfinite(value) or value < 0:
        raise AssumptionError(f"--assume {key}={text}: must be a number of at least 0")
    if key in POSITIVE_ASSUMPTIONS and value == 0:
        raise AssumptionError(f"--assume {key}={text}: must be above 0")
    if key in FRACTION_ASSUMPTIONS and value > 1:
        raise AssumptionError(f"--assume {key}={text}: a fraction, at most 1")
    return value


@dataclass(frozen=True)
class Deployment:
    """The settings the model prices: by default, what terraform/modules/pipeline deploys. The
    levers (:mod:`sluice_tools.cost.levers`) are other values of these fields."""

    streams: str = "on-demand"  # or "provisioned" (with raw_shards / clean_shards)
    raw_shards: int = ON_DEMAND_INITIAL_SHARDS
    clean_shards: int = ON_DEMAND_INITIAL_SHARDS
    retention_hours: int = 48
    kpl_aggregation: bool = True
    clean_kpl_aggregation: bool = True  # the processor packs clean records per shard (SLUICE_CLEAN_AGGREGATE=kpl)
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
    # "http-api" (API Gateway), "function-url" (a Lambda Function URL behind CloudFront), or
    # "none" (no ingest: the CDN's real-time logs are the only source).
    ingest: str = "http-api"
    # Events per request the players send; None: as measured (the traffic's own grouping).
    events_per_request: float | None = None
    edge: bool = True  # CloudFront + WAF in front of the API
    waf_rules: int = 1
    tracing: bool = False  # X-Ray active tracing on every function (the pipeline's enable_tracing)
    # Lambda's own lines (the pipeline's system_log_level): WARN drops START/END/REPORT (INFO).
    system_log_level: str = "WARN"
    api_access_logs: bool = True  # terraform/modules/ingest_api writes one line per request
    log_retention_days: int = 365  # every log group's retention in the modules
    search_hot_days: int = 30  # the index lifecycle deletes (or moves) indices after this many days
    search_warm_days: int = 0  # then UltraWarm keeps them this many days more
    search_replicas: int = 1
    search_instance_type: str = "r6g.large.search"
    search_instances: int | None = None  # None: as many as the hot retention needs
    search_master_type: str | None = "m6g.large.search"
    search_masters: int = 3
    search_volume_gb: int | None = None  # per data node; None: what the hot retention needs
    search_warm_type: str = "ultrawarm1.medium.search"
    warehouse: str = "provisioned"  # or "serverless" (Redshift Serverless, billed per RPU-hour)
    warehouse_node_type: str = "ra3.xlplus"
    warehouse_nodes: int = 2
    warehouse_base_rpu: int = 8  # Serverless: the smallest base capacity AWS allows

    def naive(self) -> Deployment:
        """One event per Kinesis record and per Firehose record: the design Sluice avoids."""
        return replace(self, kpl_aggregation=False, clean_kpl_aggregation=False, lake_record_bytes=1)


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


def clean_events_per_record(events: float, event_bytes: float, deployment: Deployment) -> float:
    """Events in each clean-stream record when the processor writes ``events`` of ``event_bytes``
    from one invocation: one each, or KPL aggregates, one per clean shard the events' keys map to
    (so each shard keeps its sessions), each under Kinesis' 1 MiB record. Both streams are keyed by
    session and split the hash space evenly: a raw shard's sessions fall on the clean shards over
    its range (one when the counts match); the CDN's log lines are keyed at random."""
    d = deployment
    if not d.clean_kpl_aggregation or events <= 1:
        return 1.0
    if d.ingest == "none":
        groups: float = d.clean_shards * (1 - (1 - 1 / d.clean_shards) ** events)  # shards n random keys reach
    else:
        groups = min(events, math.ceil(d.clean_shards / d.raw_shards))
    return events / max(groups, math.ceil(events * event_bytes / KINESIS_MAX_RECORD_BYTES))


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
    u.requests = events / (d.events_per_request or p.events_per_request) if d.ingest != "none" else 0
    u.wire_bytes = events * p.per_event(p.wire_bytes) if d.ingest != "none" else 0
    if d.kpl_aggregation:
        u.raw_records = u.requests * p.raw_records_kpl / p.requests
        u.raw_bytes = events * p.per_event(p.raw_bytes_kpl)
        u.raw_put_units = u.raw_records * p.raw_put_units_kpl / p.raw_records_kpl
    else:
        u.raw_records = events
        u.raw_bytes = events * p.per_event(p.raw_bytes_plain)
        u.raw_put_units = events * p.per_event(p.raw_put_units_plain)
    if d.ingest == "none":
        # The processor reads the CDN's log stream (sluice_tools.cost.cdn_path): no raw stream.
        u.raw_records = u.raw_bytes = u.raw_put_units = 0
        u.processor_invocations = events / processor_batch
        events_per_invocation = processor_batch
    else:
        raw_record_bytes = u.raw_bytes / u.raw_records
        # On-demand: each record rounded up to 1 KB.
        u.raw_billed_kb = u.raw_records * math.ceil(raw_record_bytes / KB)
        # One PutRecords per request (ingest answers each request by itself).
        u.raw_put_calls = u.requests * _batch_calls(
            u.raw_records / u.requests, raw_record_bytes, PUT_RECORDS_MAX, PUT_RECORDS_MAX_BYTES
        )
        u.processor_invocations = u.raw_records / processor_batch
        events_per_invocation = events / u.processor_invocations
    clean_share = p.clean_events / p.events
    clean_event_bytes = p.clean_bytes / p.clean_events
    clean_per_invocation = events_per_invocation * clean_share
    per_record = clean_events_per_record(clean_per_invocation, clean_event_bytes, d)
    u.clean_records = events * clean_share / per_record
    u.clean_bytes = events * p.per_event(p.clean_bytes)
    if per_record > 1:
        # An aggregate keeps each event's data with a few bytes of framing, its partition keys once
        # in a table, plus the magic and an MD5 per record (the KPL aggregation format).
        u.clean_bytes += (
            events * clean_share * (KPL_ENTRY_BYTES - SESSION_KEY_BYTES) + u.clean_records * KPL_RECORD_BYTES
        )
    clean_size = u.clean_bytes / u.clean_records
    u.clean_put_units = u.clean_records * math.ceil(clean_size / PUT_PAYLOAD_UNIT_BYTES)
    u.clean_billed_kb = u.clean_records * math.ceil(clean_size / KB)
    u.clean_put_calls = u.processor_invocations * _batch_calls(
        clean_per_invocation / per_record, clean_size, PUT_RECORDS_MAX, PUT_RECORDS_MAX_BYTES
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
    docs_per_invocation = indexer_batch * per_record
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
    price_key: str = ""


# --- what the stacks deploy, priced ------------------------------------------------------------

# Every resource type terraform/modules creates -> the price keys of its lines, or () for free
# (a unit test fails when a module adds a type that is not here).
RESOURCE_PRICES: dict[str, tuple[str, ...]] = {
    "aws_apigatewayv2_api": ("apigateway.http_request",),
    "aws_apigatewayv2_authorizer": (),  # the write-key authorizer runs inside ingest
    "aws_apigatewayv2_integration": (),
    "aws_apigatewayv2_route": (),
    "aws_apigatewayv2_stage": ("cloudwatch.logs_ingested_gb",),  # its access logs
    "aws_cloudfront_distribution": ("cloudfront.https_request", "cloudfront.transfer_to_origin_gb"),
    "aws_cloudfront_origin_request_policy": (),
    "aws_cloudfront_origin_access_control": (),
    "aws_cloudfront_realtime_log_config": ("cloudfront.realtime_log_line",),  # priced by cost.cdn_path
    "aws_cloudwatch_dashboard": ("cloudwatch.dashboard_month",),
    "aws_cloudwatch_log_group": ("cloudwatch.logs_ingested_gb", "cloudwatch.logs_stored_gb_month"),
    "aws_cloudwatch_log_resource_policy": (),
    "aws_cloudwatch_metric_alarm": ("cloudwatch.alarm_month",),
    "aws_dynamodb_table": ("dynamodb.write_request_unit", "dynamodb.read_request_unit"),
    "aws_ecr_lifecycle_policy": (),
    "aws_ecr_repository": (),  # six images of ~100 MB: cents a month, kept at a few by the lifecycle policy
    "aws_glue_catalog_database": (),  # the first million catalog objects are free
    "aws_glue_catalog_table": (),
    "aws_iam_role": (),
    "aws_iam_role_policy": (),
    "aws_kinesis_firehose_delivery_stream": ("firehose.ingested_gb", "firehose.dynamic_partitioning_gb"),
    "aws_kinesis_stream": ("kinesis.on_demand_stream_hour", "kinesis.on_demand_in_gb", "kinesis.on_demand_out_gb"),
    "aws_kms_key": ("kms.key_month", "kms.request"),
    "aws_lambda_event_source_mapping": (),
    "aws_lambda_function": ("lambda.request", "lambda.gb_second", "xray.trace_recorded"),
    "aws_lambda_function_url": (),  # no charge of its own: the function's invocations
    "aws_lambda_permission": (),
    "aws_opensearch_domain": ("opensearch.gp3_gb_month",),
    "aws_redshift_cluster": ("redshift.node_hour.ra3.xlplus", "redshift.managed_storage_gb_month"),
    "aws_redshift_logging": (),  # audit logs to CloudWatch: a few lines per load
    "aws_redshift_parameter_group": (),
    "aws_redshift_subnet_group": (),
    "aws_redshiftserverless_namespace": ("redshift.managed_storage_gb_month",),
    "aws_redshiftserverless_workgroup": ("redshift.serverless_rpu_hour",),
    "aws_s3_bucket": ("s3.standard_gb_month", "s3.standard_ia_gb_month", "s3.put_request"),
    "aws_s3_bucket_lifecycle_configuration": (),
    "aws_s3_bucket_notification": (),
    "aws_s3_bucket_policy": (),
    "aws_s3_bucket_public_access_block": (),
    "aws_s3_bucket_server_side_encryption_configuration": (),
    "aws_s3_bucket_versioning": (),
    "aws_scheduler_schedule": ("scheduler.invocation",),
    "aws_secretsmanager_secret": ("secretsmanager.secret_month", "secretsmanager.request"),
    "aws_secretsmanager_secret_version": (),
    "aws_sns_topic": ("sns.publish",),
    "aws_sns_topic_subscription": (),
    "aws_sqs_queue": ("sqs.request",),
    "aws_sqs_queue_policy": (),
    "aws_vpc_endpoint": ("vpc.interface_endpoint_hour",),
    "aws_wafv2_web_acl": ("waf.web_acl_month", "waf.rule_month", "waf.request"),
}

# What the in-VPC stages call outside the VPC through interface endpoints: Firehose (the indexer's
# and the monitor's failed events) and Secrets Manager (the loader's credentials). S3 (the
# loader's manifests) and DynamoDB (the monitor's windows) go through gateway endpoints, free.
VPC_ENDPOINT_SERVICES = ("firehose", "secretsmanager")

# The stages' own EMF metrics (namespace Sluice, one dimension: Stage); a unit test reads the
# stages' code for every name they add. "{failure}" and "{traffic}" are each of their values.
STAGE_METRICS: dict[str, tuple[str, ...]] = {
    "ingest": (
        "RequestsRefused",
        "RequestsUnauthorised",
        "EventsRejected",
        "EventsAccepted",
        "EventsNotAccepted",
        "CmcdKeysDropped",
        "CmcdReportsUnreadable",
        "PutRecordsRetries",
        "ConfigurationErrors",
    ),
    "processor": (
        "RecordsProcessed",
        "LakeEvents",
        "CleanEvents",
        "DuplicatesRemoved",
        "RecordsRetried",
        "CdnLinesNotMedia",
        "Flagged.{traffic}",
        "FailedEvents.{failure}",
        "MaxProcessLagMs",
        "ConfigurationErrors",
    ),
    "indexer": (
        "DocumentsIndexed",
        "DocumentsRejected",
        "DocumentsRetried",
        "BulkRequests",
        "BulkBytes",
        "ConfigurationErrors",
    ),
    "loader": ("ObjectsLoaded", "ObjectsSkipped", "RowsMerged", "BadLines", "MessagesRetried"),
    "monitor": (
        "DuplicatesIgnored",
        "EventsNotDeduplicated",
        "SessionFactsNotRecorded",
        "WindowValuesFolded",
        "UnreadableHealthItems",
        "ConfigurationErrors",
    ),
    "monitor-evaluator": ("UnreadableHealthItems",),
}
TRAFFIC_CLASSES = ("bot", "test")  # sluice.processor.cleaning.flag_traffic
# The player-health metrics the CDN's requests feed (the rest come from players' events).
CDN_HEALTH_METRICS = 6


@dataclass(frozen=True)
class MetricSeries:
    stage: int
    health_metrics: int
    health_values: int

    @property
    def health(self) -> int:
        return self.health_metrics * self.health_values

    @property
    def total(self) -> int:
        return self.stage + self.health


def metric_series(a: Assumptions, *, cdn: bool = False) -> MetricSeries:
    """Distinct CloudWatch metric series the stages emit: each stage metric under its Stage, and
    each player-health metric per value of each EMF dimension ("all", CDN, player version, device
    class; at most the monitor's MAX_VALUES a window and "other"). ``cdn``: the source is the
    CDN's logs alone (the request metrics); otherwise players' events (the others)."""
    from sluice.events.failed import FAILURE_TYPES
    from sluice.monitor.aggregate import MAX_VALUES
    from sluice.monitor.outputs import EMF_METRICS

    expand = {"{failure}": len(FAILURE_TYPES), "{traffic}": len(TRAFFIC_CLASSES)}
    stage = sum(
        next((n for k, n in expand.items() if k in name), 1) for names in STAGE_METRICS.values() for name in names
    )
    bound = MAX_VALUES + 1
    values = 1 + sum(min(bound, n) for n in (a.health_cdn_values, a.health_player_versions, a.health_device_classes))
    health = CDN_HEALTH_METRICS if cdn else len(EMF_METRICS) - CDN_HEALTH_METRICS
    return MetricSeries(stage, health, values)


def sampled_traces(invocations: float, a: Assumptions) -> float:
    """Traces X-Ray records in a month for a function invoked ``invocations`` times at a steady
    rate: the reservoir's first requests each second, then the sampling rate of the rest."""
    per_s = invocations / SECONDS_PER_MONTH
    reservoir = min(per_s, a.xray_reservoir_per_s)
    return (reservoir + (per_s - reservoir) * a.xray_sampling_rate) * SECONDS_PER_MONTH


def log_bytes_per_invocation(a: Assumptions, d: Deployment) -> int:
    """CloudWatch log bytes one invocation writes: the stage's own lines, and Lambda's START, END
    and REPORT unless the system log level (``d.system_log_level``) is WARN."""
    platform = a.platform_log_bytes_per_invocation if d.system_log_level in ("DEBUG", "INFO") else 0
    return a.stage_log_bytes_per_invocation + platform


def _check(d: Deployment) -> None:
    for name, value, allowed in (
        ("streams", d.streams, ("on-demand", "provisioned")),
        ("system_log_level", d.system_log_level, ("DEBUG", "INFO", "WARN")),
        ("ingest", d.ingest, ("http-api", "function-url", "none")),
        ("warehouse", d.warehouse, ("provisioned", "serverless")),
    ):
        if value not in allowed:
            raise AssumptionError(f"deployment {name}={value!r}: one of {', '.join(allowed)}")


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
    _check(d)
    rate = events_per_day / 86_400  # events per second, averaged over the day
    month_events = events_per_day * HOURS_PER_MONTH / 24
    p = profile
    events_per_request = d.events_per_request or p.events_per_request
    # Events per raw record: a request's KPL aggregates (one or more), or one each.
    per_raw = events_per_request * p.requests / p.raw_records_kpl if d.kpl_aggregation else 1.0
    raw_rate = rate / per_raw
    processor_batch = records_per_invocation(raw_rate, d.raw_shards * d.processor.parallelization_factor, d.processor)
    # Clean records a second: one per event, or per aggregate of one processor invocation's events.
    per_invocation = processor_batch * per_raw if d.ingest != "none" else processor_batch
    clean_share = p.clean_events / p.events
    per_record = clean_events_per_record(per_invocation * clean_share, p.clean_bytes / p.clean_events, d)
    clean_rate = rate * clean_share / per_record
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
        lines.append(Line(service, item, quantity, unit, quantity * prices[price_key], price_key))

    # Edge and API
    if d.ingest != "none" and d.edge:
        add("CloudFront", "HTTPS requests", u.requests, "requests", "cloudfront.https_request")
        add("CloudFront", "request bodies to the origin", u.wire_bytes / 1e9, "GB", "cloudfront.transfer_to_origin_gb")
        add("WAF", "web ACL", 1, "web ACL-months", "waf.web_acl_month")
        add("WAF", "rules", d.waf_rules, "rule-months", "waf.rule_month")
        add("WAF", "requests inspected", u.requests, "requests", "waf.request")
    log_bytes = 0.0
    if d.ingest == "http-api":
        body_units = math.ceil(p.wire_bytes / p.requests * events_per_request / p.events_per_request / (512 * KB))
        add("API Gateway", "HTTP API requests", u.requests * body_units, "requests", "apigateway.http_request")
        if d.api_access_logs:
            log_bytes += u.requests * a.access_log_bytes_per_request
    # A Function URL has no charge of its own: its requests are the ingest function's invocations.

    # Kinesis
    streams = [("clean", u.clean_put_units, u.clean_billed_kb, d.clean_shards, 2)]
    if d.ingest != "none":
        streams.insert(0, ("raw", u.raw_put_units, u.raw_billed_kb, d.raw_shards, 1))
    for name, units, billed_kb, shards, readers in streams:
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
            if d.retention_hours > 24:
                # On-demand bills the data held past 24 h (up to 7 days) per GB-month.
                held_gb = billed_kb * KB / 1e9 / (HOURS_PER_MONTH / 24) * (min(d.retention_hours, 168) - 24) / 24
                add(
                    "Kinesis",
                    f"{name} stream retention past 24 h ({d.retention_hours} h)",
                    held_gb,
                    "GB-months",
                    "kinesis.on_demand_extended_retention_gb_month",
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
            month_events * clean_share * cpu.us("indexer") / 1000,
            u.bulk_requests * a.bulk_request_ms,
        ),
        "monitor": (
            u.monitor_invocations,
            month_events * clean_share * cpu.us("monitor") / 1000,
            u.health_puts * call,
        ),
        "loader": (loader_invocations, 0.0, loader_invocations * a.warehouse_load_ms),
        "evaluator": (evaluations, evaluations * cpu.evaluation_ms, evaluations * (d.clean_shards + 12) * call),
    }
    if d.ingest == "none":
        del stages["ingest"]  # the CDN path prices the processor's reading of the log lines
        stages["processor"] = (0.0, 0.0, 0.0)
    traces = 0.0
    for stage, (invocations, cpu_ms, wait_ms) in stages.items():
        if invocations <= 0:
            continue
        memory = d.memory_mb[stage]
        # CPU time stretches below one vCPU; waiting on the network does not.
        stretch = max(1.0, FULL_VCPU_MB / memory)
        duration_s = (invocations * a.invocation_overhead_ms + cpu_ms * stretch + wait_ms) / 1000
        add("Lambda", f"{stage} requests", invocations, "requests", "lambda.request")
        add("Lambda", f"{stage} compute ({memory} MB)", duration_s * memory / 1024, "GB-seconds", "lambda.gb_second")
        log_bytes += invocations * log_bytes_per_invocation(a, d)
        traces += sampled_traces(invocations, a)

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
    if d.ingest != "none":
        ingest_ms = (stages["ingest"][1] + stages["ingest"][2]) / max(1, u.requests)
        warm_ingest = max(1.0, u.requests / SECONDS_PER_MONTH * ingest_ms / 1000)  # concurrency, by Little's law
        add(
            "Secrets Manager",
            "write-key reads (60 s cache per warm ingest)",
            warm_ingest * 60 * HOURS_PER_MONTH,
            "requests",
            "secretsmanager.request",
        )
    sources = [
        "stages",
        *(["Lambda's START/END/REPORT"] if log_bytes_per_invocation(a, d) > a.stage_log_bytes_per_invocation else []),
    ]
    sources += ["API access"] if d.ingest == "http-api" and d.api_access_logs else []
    add("CloudWatch", f"logs ingested ({', '.join(sources)})", log_bytes / 1e9, "GB", "cloudwatch.logs_ingested_gb")
    add(
        "CloudWatch",
        f"logs stored ({d.log_retention_days} days, compressed; steady state)",
        log_bytes / 1e9 * a.log_storage_ratio * d.log_retention_days / (HOURS_PER_MONTH / 24),
        "GB-months",
        "cloudwatch.logs_stored_gb_month",
    )
    series = metric_series(a, cdn=d.ingest == "none")
    add("CloudWatch", "custom metric series (stages' EMF)", series.total, "metric-months", "cloudwatch.metric_month")
    add("CloudWatch", "alarms", a.alarms, "alarm-months", "cloudwatch.alarm_month")
    add("CloudWatch", "dashboards", a.dashboards, "dashboard-months", "cloudwatch.dashboard_month")
    if d.tracing:
        add("X-Ray", "traces recorded (active tracing, sampled)", traces, "traces", "xray.trace_recorded")

    # The in-VPC stages' way out to Firehose (failed events) and Secrets Manager (loader credentials)
    if a.vpc_egress == "endpoints":
        add(
            "VPC",
            f"interface endpoints ({len(VPC_ENDPOINT_SERVICES)} services x {a.vpc_zones} zones)",
            len(VPC_ENDPOINT_SERVICES) * a.vpc_zones * HOURS_PER_MONTH,
            "endpoint-hours",
            "vpc.interface_endpoint_hour",
        )
    elif a.vpc_egress == "nat":
        add(
            "VPC",
            f"NAT gateways ({a.vpc_zones} zones)",
            a.vpc_zones * HOURS_PER_MONTH,
            "gateway-hours",
            "vpc.nat_gateway_hour",
        )

    # The clusters, sized for the retention (or as configured)
    lines += search_lines(
        month_events * p.per_event(p.bulk_bytes) / (HOURS_PER_MONTH / 24), rate * clean_share, d, a, prices
    )
    lines += warehouse_lines(
        month_events * p.per_event(p.lake_gzip_bytes) / (HOURS_PER_MONTH / 24), objects, d, a, prices
    )
    notes = [
        f"processor invoked with {processor_batch:.0f} raw records ({'KPL aggregates' if d.kpl_aggregation else 'one event each'}) on average; indexer with {indexer_batch:.0f} clean records"
        + (f" of {per_record:.0f} events each (KPL)" if per_record > 1 else ""),
        f"lake: {objects * 60:.1f} S3 objects a minute (one per event type per {d.lake_buffer_seconds} s buffer); gzip keeps {p.lake_gzip_ratio:.0%} of the JSON lines",
        f"metrics: {series.total:,.0f} series ({series.stage} from the stages' own EMF metrics, one Stage dimension; "
        f"{series.health} player-health series: {series.health_metrics} metrics x {series.health_values} dimension values)",
        {
            "endpoints": "VPC: interface endpoints for Firehose and Secrets Manager priced; S3 and DynamoDB through gateway endpoints (free)",
            "nat": "VPC: a NAT gateway per zone priced (its data processing is negligible here)",
            "yours": "VPC: endpoints or NAT are yours (--assume vpc_egress=yours): not priced",
        }[a.vpc_egress],
        "not priced: data transfer inside the region (free), the endpoints' and NAT's per-GB processing (a few MB a day)",
        f"logs: {log_bytes_per_invocation(a, d)} B an invocation ({a.stage_log_bytes_per_invocation} B the stage's own lines"
        + (
            f", {a.platform_log_bytes_per_invocation} B Lambda's at system log level {d.system_log_level}, assumed)"
            if d.system_log_level != "WARN"
            else "; Lambda's START/END/REPORT dropped at system log level WARN)"
        )
        + (
            "; X-Ray active tracing priced (sampled traces)"
            if d.tracing
            else "; X-Ray tracing off (enable_tracing = false): no traces priced"
        ),
    ]
    return Estimate(events_per_day, prices.region, prices.as_of, d, u, lines, notes)


# --- the clusters -------------------------------------------------------------------------------

# OpenSearch Service: the most gp3 storage one data node may attach ("EBS volume size quotas" in
# the OpenSearch Service quotas), its vCPUs; the types `sluice plan` chooses among.
SEARCH_NODE_MAX_GB = {
    "r6g.large.search": 1024,
    "r6g.xlarge.search": 1536,
    "r6g.2xlarge.search": 3072,
    "r6g.4xlarge.search": 6144,
}
SEARCH_NODE_VCPUS = {"r6g.large.search": 2, "r6g.xlarge.search": 4, "r6g.2xlarge.search": 8, "r6g.4xlarge.search": 16}
# AWS's storage rule ("Calculating storage requirements", OpenSearch Service Developer Guide):
# source x (1 + replicas) x 1.1 (indexing overhead) / 0.95 (Linux reserve) / 0.8 (service
# overhead), i.e. x 1.45 per copy.
SEARCH_STORAGE_FACTOR = 1.1 / 0.95 / 0.8
# UltraWarm: the most data one warm node addresses ("UltraWarm storage quotas"); at least two.
ULTRAWARM_NODE_MAX_GB = {"ultrawarm1.medium.search": 1536, "ultrawarm1.large.search": 20480}
SEARCH_MIN_NODES = 2  # two zones (zone awareness): an even count
ULTRAWARM_MIN_NODES = 2
REDSHIFT_MIN_CHARGE_S = 60  # Redshift Serverless bills per second with a 60-second minimum


@dataclass(frozen=True)
class SearchSize:
    instance_type: str
    instances: int
    volume_gb: int  # per data node
    warm_type: str
    warm_instances: int
    warm_gb: float  # UltraWarm managed storage
    needed_gb: float  # hot storage the retention needs, all copies, by AWS's rule


def size_search(
    daily_source_bytes: float, peak_docs_per_s: float, d: Deployment, a: Assumptions, prices: PriceBook
) -> SearchSize:
    """Data nodes and their volumes for ``d.search_hot_days`` of ``daily_source_bytes`` with its
    replicas, by storage (each type's volume quota) and indexing CPU at the peak; the cheapest type
    unless ``d.search_instances`` fixes the count. UltraWarm for ``d.search_warm_days`` after."""
    needed = daily_source_bytes / 1e9 * d.search_hot_days * (1 + d.search_replicas) * SEARCH_STORAGE_FACTOR
    writes = peak_docs_per_s * (1 + d.search_replicas)
    options = []
    types = [d.search_instance_type] if d.search_instances is not None else list(SEARCH_NODE_MAX_GB)
    for kind in types:
        if d.search_instances is not None:
            count = d.search_instances
            volume = d.search_volume_gb or max(10, math.ceil(needed / count))
        else:
            count = max(
                SEARCH_MIN_NODES,
                math.ceil(needed / SEARCH_NODE_MAX_GB[kind]),
                math.ceil(writes / (SEARCH_NODE_VCPUS[kind] * a.search_docs_per_vcpu_s)),
            )
            count += count % 2  # zone awareness over two zones
            volume = d.search_volume_gb or max(10, math.ceil(needed / count))
        usd = count * (
            HOURS_PER_MONTH * prices[f"opensearch.instance_hour.{kind}"] + volume * prices["opensearch.gp3_gb_month"]
        )
        options.append((usd, kind, count, volume))
    _, kind, count, volume = min(options)
    warm_gb = daily_source_bytes / 1e9 * d.search_warm_days * 1.1  # one copy: UltraWarm keeps it in S3
    warm = 0
    if d.search_warm_days > 0:
        warm = max(ULTRAWARM_MIN_NODES, math.ceil(warm_gb / ULTRAWARM_NODE_MAX_GB[d.search_warm_type]))
    return SearchSize(kind, count, volume, d.search_warm_type, warm, warm_gb, needed)


def search_lines(
    daily_source_bytes: float, docs_per_s: float, d: Deployment, a: Assumptions, prices: PriceBook
) -> list[Line]:
    size = size_search(daily_source_bytes, docs_per_s * a.peak_factor, d, a, prices)
    out = [
        _line(
            prices,
            "OpenSearch",
            f"{size.instances} x {size.instance_type} ({d.search_hot_days} days hot, {d.search_replicas} replica{'s' if d.search_replicas != 1 else ''})",
            quantity=size.instances * HOURS_PER_MONTH,
            unit="instance-hours",
            key=f"opensearch.instance_hour.{size.instance_type}",
        ),
        _line(
            prices,
            "OpenSearch",
            f"gp3 storage ({size.instances} x {size.volume_gb:,} GB; {size.needed_gb:,.0f} GB needed)",
            quantity=size.instances * size.volume_gb,
            unit="GB-months",
            key="opensearch.gp3_gb_month",
        ),
    ]
    if d.search_master_type:
        out.append(
            _line(
                prices,
                "OpenSearch",
                f"{d.search_masters} x {d.search_master_type} (masters)",
                quantity=d.search_masters * HOURS_PER_MONTH,
                unit="instance-hours",
                key=f"opensearch.instance_hour.{d.search_master_type}",
            )
        )
    if size.warm_instances:
        out.append(
            _line(
                prices,
                "OpenSearch",
                f"{size.warm_instances} x {size.warm_type} (UltraWarm, {d.search_warm_days} days more)",
                quantity=size.warm_instances * HOURS_PER_MONTH,
                unit="instance-hours",
                key=f"opensearch.instance_hour.{size.warm_type}",
            )
        )
        out.append(
            _line(
                prices,
                "OpenSearch",
                "UltraWarm managed storage",
                quantity=size.warm_gb,
                unit="GB-months",
                key="opensearch.managed_storage_gb_month",
            )
        )
    return out


def warehouse_lines(
    daily_gzip_bytes: float, objects_per_s: float, d: Deployment, a: Assumptions, prices: PriceBook
) -> list[Line]:
    """The warehouse's compute (provisioned nodes, or Serverless RPU-hours while loads and queries
    run) and its managed storage after ``a.warehouse_months`` months of events."""
    stored_gb = daily_gzip_bytes / 1e9 * a.warehouse_bytes_per_gzip_byte * 365 / 12 * a.warehouse_months
    storage = _line(
        prices,
        "Redshift",
        f"managed storage after {a.warehouse_months} months",
        quantity=stored_gb,
        unit="GB-months",
        key="redshift.managed_storage_gb_month",
    )
    if d.warehouse == "serverless":
        hours = serverless_hours(objects_per_s, d, a)
        return [
            _line(
                prices,
                "Redshift",
                f"Serverless, {d.warehouse_base_rpu} RPU base ({hours:,.0f} busy hours)",
                quantity=hours * d.warehouse_base_rpu,
                unit="RPU-hours",
                key="redshift.serverless_rpu_hour",
            ),
            storage,
        ]
    return [
        _line(
            prices,
            "Redshift",
            f"{d.warehouse_nodes} x {d.warehouse_node_type}",
            quantity=d.warehouse_nodes * HOURS_PER_MONTH,
            unit="node-hours",
            key=f"redshift.node_hour.{d.warehouse_node_type}",
        ),
        storage,
    ]


def serverless_hours(objects_per_s: float, d: Deployment, a: Assumptions) -> float:
    """Hours a month Redshift Serverless is busy. The lake's partitions flush together once a
    buffer interval; the loader takes their objects ``loader.batch_size`` at a time, each load
    ``warehouse_load_ms``, and each busy spell is billed at least 60 s: a short buffer keeps it
    busy all month. The analysts' queries on top, never beyond the month."""
    per_interval = objects_per_s * d.lake_buffer_seconds
    loads = math.ceil(per_interval / d.loader.batch_size)
    busy_s = max(REDSHIFT_MIN_CHARGE_S, loads * a.warehouse_load_ms / 1000)
    busy = min(1.0, busy_s / d.lake_buffer_seconds)
    return min(HOURS_PER_MONTH, busy * HOURS_PER_MONTH + a.analyst_query_hours_per_day * HOURS_PER_MONTH / 24)


def _line(prices: PriceBook, service: str, item: str, *, quantity: float, unit: str, key: str) -> Line:
    return Line(service, item, quantity, unit, quantity * prices[key], key)


def _lake_objects(p: Profile, d: Deployment, rate: float) -> float:
    """S3 objects per second from the lake Firehose: each event type is its own partition and
    buffer, flushed at the buffer interval or when it fills, whichever comes first."""
    total = 0.0
    for event_type, share in p.partition_share.items():
        bytes_per_s = rate * p.lake_events / p.events * share * p.partition_line_bytes[event_type]
        total += max(1 / d.lake_buffer_seconds, bytes_per_s / (d.lake_buffer_mb * KB * KB)) if bytes_per_s > 0 else 0
    return total
