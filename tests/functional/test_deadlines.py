"""Every call to a dependency ends before the stage's deadline, with time left to report: each
dependency replaced by a TCP black hole (accepts the connection, never answers) or made to hang,
and authorization errors alarm at once while the records stay recoverable."""

from __future__ import annotations

import io
import json
import threading
import time

import pytest
from sluice_tools.warehouse.engine import create_engine_for
from sqlalchemy import text
from support.apigateway import body_of, http_api_event
from support.aws import FakeContext, notify_queue, sqs_event, stage_client
from support.blackhole import black_hole
from support.factories import clean_encoded, kinesis_event, player_json
from support.stages import FAST, indexer, lake_from_traffic, loader, processor

from sluice.batch.kinesis import BatchFailedError
from sluice.ingest.config import IngestConfig
from sluice.ingest.service import IngestService
from sluice.producers.kinesis import KinesisProducer
from sluice.runtime.deadline import Deadline
from sluice.runtime.metrics import Metrics
from sluice.warehouse.tables import FACT_TABLE

# What Lambda's context would say is left; each handler keeps its margin out of it.
REMAINING_MS = 7_000


def _ingest_deadline() -> Deadline:
    # as images/ingest/sluice_ingest/handler.py builds it
    return Deadline.from_context(FakeContext(REMAINING_MS), margin_ms=1500, fallback_s=25, cap_s=26)


def test_ingest_answers_503_before_its_deadline_when_kinesis_hangs(pipeline):
    events = [player_json() for _ in range(3)]
    with black_hole() as (host, port):
        producer = KinesisProducer(stage_client("kinesis", f"http://{host}:{port}"), pipeline.raw_stream, backoff=FAST)
        service = IngestService(IngestConfig(raw_stream=pipeline.raw_stream), producer)
        started = time.monotonic()
        response = service.handle(http_api_event(json.dumps(events)), _ingest_deadline())
        elapsed = time.monotonic() - started
    # THEN the player is told to resend every event, and the answer came inside the invocation
    assert response["statusCode"] == 503
    assert body_of(response)["not_accepted"] == [0, 1, 2]
    assert elapsed < (REMAINING_MS - 1500) / 1000 + 0.5, f"answered after {elapsed:.1f} s"


def test_the_indexer_reports_the_batch_before_its_deadline_when_opensearch_hangs(aws, pipeline):
    event = kinesis_event([clean_encoded(), clean_encoded(), b"poison"])
    with black_hole() as (host, port):
        stage = indexer(aws, pipeline, f"http://{host}:{port}", timeout_s=30)
        started = time.monotonic()
        response = stage.handle(event, Deadline.from_context(FakeContext(REMAINING_MS)))
        elapsed = time.monotonic() - started
    assert [i["itemIdentifier"] for i in response["batchItemFailures"]] == [
        r["kinesis"]["sequenceNumber"] for r in event["Records"][:2]
    ]
    assert elapsed < (REMAINING_MS - 3000) / 1000 + 0.5, f"answered after {elapsed:.1f} s"


def test_the_processor_reports_before_its_deadline_when_the_clean_stream_hangs(aws, pipeline):
    from support.factories import avro_record

    from sluice.events.codec import Codec

    now = int(time.time() * 1000)
    records = [Codec().encode(avro_record(server_time=now - 2000, client_time=now - 3000)) for _ in range(3)]
    event = kinesis_event(records)
    with black_hole() as (host, port):
        stage = processor(aws, pipeline, clean_endpoint=f"http://{host}:{port}")
        started = time.monotonic()
        with pytest.raises(BatchFailedError, match="clean stream"):
            stage.handle(event, Deadline.from_context(FakeContext(REMAINING_MS)))
        elapsed = time.monotonic() - started
    assert elapsed < (REMAINING_MS - 3000) / 1000 + 0.5, f"answered after {elapsed:.1f} s"


def test_the_loader_reports_before_its_deadline_when_the_warehouse_hangs_at_connect(aws, pipeline):
    queue = notify_queue(aws, pipeline.lake_bucket)
    lake_from_traffic(aws, pipeline)
    event = sqs_event(aws, queue, max_messages=100)
    with black_hole() as (host, port):
        stage = loader(aws, pipeline, f"postgresql://sluice:x@{host}:{port}/sluice")
        started = time.monotonic()
        response = stage.handle(event, Deadline.after(12))
        elapsed = time.monotonic() - started
    announced = [r["messageId"] for r in event["Records"] if '"s3:TestEvent"' not in r["body"]]
    assert sorted(i["itemIdentifier"] for i in response["batchItemFailures"]) == sorted(announced)
    assert elapsed < 12.5, f"answered after {elapsed:.1f} s"


def test_a_statement_that_hangs_is_cancelled_at_the_deadline_and_the_retry_loads_once(aws, pipeline, warehouse):
    queue = notify_queue(aws, pipeline.lake_bucket)
    expected = lake_from_traffic(aws, pipeline)
    event = sqs_event(aws, queue, max_messages=100)
    # GIVEN another session holding the fact table's lock: the load blocks as on a hung warehouse
    other_session = create_engine_for(str(warehouse.url.render_as_string(hide_password=False)))
    locker = other_session.connect()
    transaction = locker.begin()
    locker.execute(text(f"LOCK TABLE {FACT_TABLE} IN ACCESS EXCLUSIVE MODE"))
    try:
        started = time.monotonic()
        response = loader(aws, pipeline, warehouse).handle(event, Deadline.after(8))
        elapsed = time.monotonic() - started
    finally:
        transaction.rollback()
        locker.close()
        other_session.dispose()
    # THEN the loader gave up inside its deadline and reported the messages for retry
    assert response["batchItemFailures"], response
    assert elapsed < 8.5, f"answered after {elapsed:.1f} s"
    # AND the retry, once the lock is gone, loads every event once
    assert loader(aws, pipeline, warehouse).handle(event, Deadline.after(60)) == {"batchItemFailures": []}
    with warehouse.connect() as connection:
        rows = [r[0] for r in connection.execute(text(f"SELECT event_id FROM {FACT_TABLE}"))]
    assert sorted(rows) == sorted(expected)


@pytest.mark.parametrize("status", [401, 403])
def test_an_authorization_error_from_opensearch_alarms_at_once_and_keeps_the_records(aws, pipeline, status, caplog):
    from support.opensearch_double import bulk_double

    from sluice.indexer.config import IndexerConfig
    from sluice.indexer.service import Indexer
    from sluice.producers.firehose import FirehoseProducer
    from sluice.sinks.opensearch.bulk import BulkIndexer
    from sluice.sinks.opensearch.client import ClusterConfig
    from sluice.sinks.opensearch.http import BulkClient

    event = kinesis_event([clean_encoded() for _ in range(3)])
    emf = io.StringIO()
    with bulk_double() as cluster:
        cluster.fail_next_requests(*[status] * 50)  # persistently refused
        stage = Indexer(
            IndexerConfig(failed_firehose=pipeline.failed_firehose),
            BulkIndexer(BulkClient(ClusterConfig(url=cluster.url)), backoff=FAST),
            FirehoseProducer(stage_client("firehose", aws), pipeline.failed_firehose, backoff=FAST),
            metrics=Metrics(dimensions={"Stage": "indexer"}, stream=emf),
        )
        with caplog.at_level("ERROR"), pytest.raises(BatchFailedError) as caught:
            stage.handle(event, Deadline.after(20))
        requests = len(cluster.bulk_bodies)
    # THEN one request, no retry storm; the whole batch goes back to Lambda (and, once its retries
    # are exhausted, to the on-failure destination for `sluice failed recover`)
    assert requests == 1
    assert f"HTTP {status}" in str(caught.value)
    metrics = [json.loads(line) for line in emf.getvalue().splitlines()]
    assert sum(m.get("ConfigurationErrors", 0) for m in metrics) == 1
    assert any("configuration error" in r.getMessage() for r in caplog.records)


def test_bounded_calls_leave_the_other_threads_alone():
    # The deadline is per thread: a stage thread with a tight deadline does not bound another.
    from sluice.aws.clients import BoundedClient
    from sluice.runtime.deadline import bind_deadline, current_deadline

    seen = {}

    def worker():
        seen["deadline"] = current_deadline()

    bind_deadline(Deadline.after(0.01))
    try:
        thread = threading.Thread(target=worker)
        thread.start()
        thread.join()
        assert seen["deadline"] is None
        assert BoundedClient("sqs", endpoint_url="http://127.0.0.1:9", region="eu-west-1") is not None
    finally:
        bind_deadline(None)


def test_a_connection_waits_no_longer_than_the_invocation_has_left():
    from sluice.runtime.deadline import bind_deadline
    from sluice.warehouse.connection import Warehouse

    with black_hole() as (host, port):
        warehouse = Warehouse(f"postgresql://sluice:x@{host}:{port}/sluice")
        bind_deadline(Deadline.after(3.5))
        try:
            started = time.monotonic()
            with pytest.raises(Exception, match="timeout"), warehouse.transaction():
                pass
            elapsed = time.monotonic() - started
        finally:
            bind_deadline(None)
            warehouse.close()
    # libpq's floor is 2 s; the loader's own connect timeout (5 s) was cut to what was left
    assert elapsed < 3.5, f"connect gave up after {elapsed:.1f} s"


def test_the_monitor_gives_up_on_a_hanging_health_table_before_its_deadline(aws, pipeline):
    import base64

    from sluice_tools.tumbling import iso
    from support.factories import clean_record

    from sluice.events.codec import Codec
    from sluice.monitor.config import MonitorConfig
    from sluice.monitor.service import Monitor
    from sluice.monitor.store import DynamoHealthStore
    from sluice.producers.firehose import FirehoseProducer

    codec = Codec()
    record = clean_record()
    now = record["server_time"]
    event = {
        "Records": [
            {
                "kinesis": {
                    "sequenceNumber": "1",
                    "partitionKey": "p",
                    "data": base64.b64encode(codec.encode(record)).decode(),
                    "approximateArrivalTimestamp": now / 1000,
                },
                "eventID": "shardId-0:1",
            }
        ],
        "window": {"start": iso(now // 1000 - 60), "end": iso(now // 1000)},
        "state": {},
        "shardId": "shardId-0",
        "isFinalInvokeForWindow": True,
    }
    with black_hole() as (host, port):
        stage = Monitor(
            MonitorConfig("sluice-health", pipeline.failed_firehose),
            store=DynamoHealthStore(stage_client("dynamodb", f"http://{host}:{port}"), "sluice-health"),
            failed=FirehoseProducer(stage_client("firehose", aws), pipeline.failed_firehose, backoff=FAST),
            emf_stream=io.StringIO(),
        )
        started = time.monotonic()
        # THEN the window's final invocation fails (Lambda retries it, with its state) in time
        with pytest.raises(Exception) as caught:
            stage.handle(event, Deadline.from_context(FakeContext(REMAINING_MS)))
        elapsed = time.monotonic() - started
    assert "timeout" in str(caught.value).lower() or "too little" in str(caught.value)
    assert elapsed < (REMAINING_MS - 3000) / 1000 + 0.5, f"gave up after {elapsed:.1f} s"
