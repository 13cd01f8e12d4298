"""Exactly once, end to end: the same Kinesis batch delivered twice to the processor and to the
indexer, the lake objects loaded in any order and again: one document and one row per event_id."""

from __future__ import annotations

from sluice_tools.opensearch.bootstrap import bootstrap
from sluice_tools.opensearch.client import build_client
from sqlalchemy import text
from support.aws import kinesis_events_by_shard, notify_queue, read_stream, sqs_event
from support.factories import kinesis_event, raw_stream_records
from support.opensearch_double import bulk_double
from support.stages import indexer, loader, processor

from sluice.events.codec import Codec
from sluice.runtime.deadline import Deadline
from sluice.sinks.opensearch.client import ClusterConfig
from sluice.warehouse.tables import FACT_TABLE


def test_twice_delivered_batches_give_one_document_and_one_row_per_event(aws, pipeline, warehouse):
    codec = Codec()
    raw = [r.data for r in raw_stream_records(sessions=8, seed=31)]
    event_ids = {codec.decode(r)["event_id"] for r in raw}
    queue = notify_queue(aws, pipeline.lake_bucket)

    # processor: every batch delivered twice (a retried invocation)
    stage = processor(aws, pipeline)
    for start in range(0, len(raw), 100):
        batch = kinesis_event(raw[start : start + 100], first_sequence=10**20 + start)
        stage.handle(batch, Deadline.after(30))
        stage.handle(batch, Deadline.after(30))

    # indexer: the clean stream, every batch twice
    with bulk_double() as cluster:
        bootstrap(build_client(ClusterConfig(url=cluster.url)), "sluice-events")
        index_stage = indexer(aws, pipeline, cluster.url)
        for batch in kinesis_events_by_shard(read_stream(aws, pipeline.clean_stream)):
            assert index_stage.handle(batch, Deadline.after(30)) == {"batchItemFailures": []}
            assert index_stage.handle(batch, Deadline.after(30)) == {"batchItemFailures": []}
        assert cluster.count() == len(event_ids)
        assert set(cluster.documents()) == event_ids

    # loader: notifications out of order, and all of them again
    notifications = sqs_event(aws, queue, max_messages=1000)
    notifications["Records"].reverse()
    load_stage = loader(aws, pipeline, warehouse)
    assert load_stage.handle(notifications, Deadline.after(60)) == {"batchItemFailures": []}
    assert load_stage.handle(notifications, Deadline.after(60)) == {"batchItemFailures": []}
    with warehouse.connect() as connection:
        rows = [r[0] for r in connection.execute(text(f"SELECT event_id FROM {FACT_TABLE}"))]
    assert len(rows) == len(set(rows)) == len(event_ids)
    assert set(rows) == event_ids
