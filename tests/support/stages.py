"""The stages wired to an emulator endpoint, as their handlers wire them to AWS."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from sluice.ingest.config import IngestConfig
from sluice.ingest.service import IngestService
from sluice.processor.config import ProcessorConfig
from sluice.processor.service import Processor
from sluice.producers.firehose import FirehoseProducer
from sluice.producers.kinesis import KinesisProducer
from sluice.producers.retry import Backoff
from support.aws import Pipeline
from support.aws import stage_client as aws_client

# Short backoff: the tests' faults clear in a few calls.
FAST = Backoff(base_s=0.01, cap_s=0.05)


def ingest_service(endpoint: str, pipeline: Pipeline, **settings: Any) -> IngestService:
    config = IngestConfig(raw_stream=pipeline.raw_stream, **settings)
    return IngestService(config, KinesisProducer(aws_client("kinesis", endpoint), pipeline.raw_stream, backoff=FAST))


def processor(
    endpoint: str,
    pipeline: Pipeline,
    *,
    clean_endpoint: str | None = None,
    firehose_endpoint: str | None = None,
    **settings: Any,
) -> Processor:
    config = replace(
        ProcessorConfig(pipeline.lake_firehose, pipeline.clean_stream, pipeline.failed_firehose), **settings
    )
    firehose = aws_client("firehose", firehose_endpoint or endpoint)
    return Processor(
        config,
        FirehoseProducer(firehose, pipeline.lake_firehose, backoff=FAST),
        KinesisProducer(aws_client("kinesis", clean_endpoint or endpoint), pipeline.clean_stream, backoff=FAST),
        FirehoseProducer(firehose, pipeline.failed_firehose, backoff=FAST),
    )


def indexer(endpoint: str, pipeline: Pipeline, opensearch_url: str, *, timeout_s: int = 5, **settings: Any) -> Any:
    from sluice.indexer.config import IndexerConfig
    from sluice.indexer.service import Indexer
    from sluice.sinks.opensearch.bulk import BulkIndexer
    from sluice.sinks.opensearch.client import ClusterConfig
    from sluice.sinks.opensearch.http import BulkClient

    config = IndexerConfig(failed_firehose=pipeline.failed_firehose, **settings)
    client = BulkClient(ClusterConfig(url=opensearch_url, timeout_s=timeout_s))
    # As the stage builds it (indexer.service): the cluster's timeout caps each bulk request.
    bulk = BulkIndexer(
        client,
        max_bytes=config.max_bulk_bytes,
        max_docs=config.max_bulk_docs,
        max_request_timeout_s=timeout_s,
        backoff=FAST,
    )
    return Indexer(
        config, bulk, FirehoseProducer(aws_client("firehose", endpoint), pipeline.failed_firehose, backoff=FAST)
    )


def loader(endpoint: str, pipeline: Pipeline, database: Any, **settings: Any) -> Any:
    """The loader stage on a warehouse given by URL, or by the SQLAlchemy engine a test checks it with."""
    from sluice.loader.config import LoaderConfig
    from sluice.loader.service import Loader
    from sluice.warehouse.connection import Warehouse, WarehouseConfig

    url = database if isinstance(database, str) else database.url.render_as_string(hide_password=False)
    config = LoaderConfig(warehouse=WarehouseConfig(url=url), failed_firehose=pipeline.failed_firehose, **settings)
    return Loader(
        config,
        Warehouse(url),
        aws_client("s3", endpoint),
        FirehoseProducer(aws_client("firehose", endpoint), pipeline.failed_firehose, backoff=FAST),
        backoff=Backoff(base_s=0.01, cap_s=0.05),
    )


def monitor(
    endpoint: str,
    pipeline: Pipeline,
    monitoring: Any,
    *,
    opensearch_url: str | None = None,
    emf_stream: Any = None,
) -> Any:
    import io

    from sluice.monitor.config import MonitorConfig
    from sluice.monitor.service import Monitor
    from sluice.monitor.store import DynamoHealthStore
    from sluice.sinks.opensearch.bulk import BulkIndexer
    from sluice.sinks.opensearch.client import ClusterConfig
    from sluice.sinks.opensearch.http import BulkClient

    config = MonitorConfig(monitoring.health_table, pipeline.failed_firehose, opensearch_url=opensearch_url)
    rollups = BulkIndexer(BulkClient(ClusterConfig(url=opensearch_url)), backoff=FAST) if opensearch_url else None
    return Monitor(
        config,
        store=DynamoHealthStore(aws_client("dynamodb", endpoint), monitoring.health_table),
        failed=FirehoseProducer(aws_client("firehose", endpoint), pipeline.failed_firehose, backoff=FAST),
        rollups=rollups,
        emf_stream=emf_stream if emf_stream is not None else io.StringIO(),
    )


def evaluator(endpoint: str, monitoring: Any, *, window_seconds: int = 60, delay_seconds: int = 0) -> Any:
    """The health evaluation over the monitor's table, publishing to the alert topic."""
    from sluice.monitor.evaluator import EvaluationSettings, Evaluator
    from sluice.monitor.outputs import sns_publisher
    from sluice.monitor.store import DynamoHealthStore

    return Evaluator(
        EvaluationSettings(window_seconds=window_seconds, delay_seconds=delay_seconds),
        DynamoHealthStore(aws_client("dynamodb", endpoint), monitoring.health_table),
        sns_publisher(aws_client("sns", endpoint), monitoring.topic_arn),
    )


def lake_from_traffic(endpoint: str, pipeline: Pipeline, *, sessions: int = 2, seed: int = 31) -> set[str]:
    """Generated sessions, as ingest would stamp them, through the processor into the lake; the
    event ids."""
    import json
    import time

    from sluice_tools.traffic.generator import TrafficConfig, generate

    from sluice.events.codec import Codec
    from sluice.events.json_mapping import EventMapper
    from sluice.runtime.deadline import Deadline
    from support.factories import kinesis_event

    now = int(time.time() * 1000)
    mapper, codec = EventMapper(), Codec()
    records = [
        codec.encode(mapper.to_record(json.loads(g.body), server_time=now - 1000))
        for g in generate(TrafficConfig(sessions=sessions, seed=seed, start_ms=now - 20 * 60_000))
    ]
    processor(endpoint, pipeline).handle(kinesis_event(records), Deadline.after(30))
    return {codec.decode(r)["event_id"] for r in records}
