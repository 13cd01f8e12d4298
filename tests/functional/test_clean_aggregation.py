"""The clean stream KPL-aggregated, end to end over moto in server mode with the local
event-source-mapping runtime: processor -> clean stream -> indexer and monitor. Nothing lost,
nothing twice, every event on the shard its session names, far fewer records than events."""

from __future__ import annotations

import base64
import time
from typing import Any

from sluice_tools.local.esm import KinesisPoller, KinesisSettings
from sluice_tools.opensearch.bootstrap import bootstrap
from sluice_tools.opensearch.client import build_client
from support.aws import aws_client, create_monitoring, failed_events, read_stream
from support.factories import clean_record, kinesis_event, kinesis_trigger_record, raw_stream_records
from support.opensearch_double import bulk_double
from support.stages import indexer, monitor, processor

from sluice.batch.aggregation import Aggregator, deaggregate, is_aggregated
from sluice.batch.kinesis import iter_records
from sluice.events.codec import Codec
from sluice.monitor.store import DynamoHealthStore
from sluice.producers.kinesis import KinesisProducer
from sluice.runtime.deadline import Deadline
from sluice.sinks.opensearch.client import ClusterConfig


def _mapping(kinesis: Any, stream: str, stage: Any, **settings: Any) -> KinesisPoller:
    """The local event source mapping from ``stream`` to ``stage``, without a batching window."""
    return KinesisPoller(
        kinesis,
        stream,
        lambda event: stage.handle(event, Deadline.after(30)),
        KinesisSettings(batching_window_seconds=0, **settings),
    )


def _drain(*pollers: KinesisPoller, rounds: int = 40) -> None:
    for _ in range(rounds):
        if sum(p.poll_once() for p in pollers) == 0:
            return


def test_aggregated_clean_records_reach_the_index_and_the_monitor_each_event_once(aws, pipeline):
    # GIVEN a clean stream of two shards, and a probe stream of two to ask moto where a key lands
    # (moto routes a key to a closed parent shard after a split, where Kinesis would not: the
    # shard map's resharding is tested in tests/unit/test_clean_aggregation.py)
    kinesis = aws_client("kinesis", aws)
    kinesis.create_stream(StreamName="probe", ShardCount=2)
    raw = raw_stream_records(sessions=40, seed=23)
    assert KinesisProducer(kinesis, pipeline.raw_stream).put(raw, Deadline.after(30)).ok
    monitoring = create_monitoring(aws)

    # WHEN the processor reads the raw stream, and the indexer and the monitor the clean one,
    # through the local event source mappings
    _drain(_mapping(kinesis, pipeline.raw_stream, processor(aws, pipeline), batch_size=500))
    clean = read_stream(aws, pipeline.clean_stream)
    users = list(iter_records({"Records": clean}))
    codec = Codec()
    events = [codec.decode(u.data) for u in users]
    event_ids = {e["event_id"] for e in events}

    # THEN every event the processor accepted is on the clean stream once, in far fewer records
    assert len(events) == len(event_ids) == len({codec.decode(r.data)["event_id"] for r in raw})
    assert len(clean) * 20 <= len(events)
    assert all(is_aggregated(base64.b64decode(r["kinesis"]["data"])) for r in clean)
    # AND each event on the shard its session would have landed on alone
    landed = {}
    for session in {u.partition_key for u in users}:
        landed[session] = kinesis.put_record(StreamName="probe", PartitionKey=session, Data=b"?")["ShardId"]
    assert all(u.shard_id == landed[u.partition_key] for u in users)
    assert len({u.shard_id for u in users}) == 2

    with bulk_double() as cluster:
        bootstrap(build_client(ClusterConfig(url=cluster.url)), "sluice-events")
        monitor_poller = _mapping(
            kinesis,
            pipeline.clean_stream,
            monitor(aws, pipeline, monitoring),
            batch_size=1000,
            tumbling_window_seconds=60,
        )
        _drain(
            _mapping(kinesis, pipeline.clean_stream, indexer(aws, pipeline, cluster.url), batch_size=1000),
            monitor_poller,
        )
        monitor_poller.flush_windows()
        # THEN the index holds every event once
        assert cluster.count() == len(event_ids)
        assert set(cluster.documents()) == event_ids
    # AND the monitor counted every viewing event once, over the shards' windows
    store = DynamoHealthStore(aws_client("dynamodb", aws), monitoring.health_table)
    parts = [a for windows in store.pending_windows(None, "~").values() for a in windows]
    viewing = [e for e in events if not (e.get("enrichment") or {}).get("traffic_class")]
    assert sum(a.everything.counts["events"] for a in parts) == len(viewing) > 0
    assert len(parts) == 2  # one window on each shard
    assert failed_events(aws, pipeline.lake_bucket) == []


def test_a_poisoned_sub_record_fails_alone_and_a_stuck_one_retries_only_its_parent(aws, pipeline):
    # GIVEN two aggregated clean records; in the first, one sub-record is not an event
    codec = Codec()
    first = [clean_record() for _ in range(5)]
    second = [clean_record() for _ in range(5)]
    poisoned = [codec.encode(r) for r in first]
    poisoned[2] = b"not an Avro record"
    (agg_one,) = Aggregator().aggregate((r["session_id"], d) for r, d in zip(first, poisoned, strict=True))
    (agg_two,) = Aggregator().aggregate((r["session_id"], codec.encode(r)) for r in second)
    event = kinesis_event([agg_one.data, agg_two.data])
    parents = [r["kinesis"]["sequenceNumber"] for r in event["Records"]]
    stuck = second[3]["event_id"]

    with bulk_double() as cluster:
        bootstrap(build_client(ClusterConfig(url=cluster.url)), "sluice-events")
        cluster.item_faults.append(lambda index, doc_id, source: 429 if doc_id == stuck else None)
        # WHEN the indexer takes the batch
        response = indexer(aws, pipeline, cluster.url).handle(event, Deadline.after(2.0))
        # THEN the stuck document's parent alone is retried, under its own sequence number
        assert response == {"batchItemFailures": [{"itemIdentifier": parents[1]}]}
        stored = set(cluster.documents())
    # AND every other event of both records is indexed; the poisoned one is a failed event that
    # names its parent and its place in it
    assert stored == {r["event_id"] for r in first + second} - {first[2]["event_id"], stuck}
    (failed,) = failed_events(aws, pipeline.lake_bucket)
    assert (failed.failure_type, failed.stage) == ("format", "indexer")
    assert (failed.sequence_number, failed.sub_sequence_number) == (parents[0], 2)
    assert failed.original == poisoned[2]
    assert deaggregate(agg_one.data)[2].data == failed.original


def test_the_monitor_counts_the_sound_sub_records_of_a_poisoned_aggregate(aws, pipeline):
    monitoring = create_monitoring(aws)
    codec = Codec()
    records = [clean_record(age_ms=2000) for _ in range(6)]
    data = [codec.encode(r) for r in records]
    data[4] = b"not an Avro record"
    (aggregate,) = Aggregator().aggregate((r["session_id"], d) for r, d in zip(records, data, strict=True))
    now = time.time()
    window = {
        "start": time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(now)),
        "end": time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(now + 60)),
    }
    trigger = kinesis_trigger_record(aggregate.data, "4959")
    stage = monitor(aws, pipeline, monitoring)
    result = stage.handle(
        {"Records": [trigger], "window": window, "state": {}, "shardId": "shardId-000000000000"},
        Deadline.after(30),
    )
    assert result["batchItemFailures"] == []
    final = stage.handle(
        {"Records": [], "window": window, "state": result["state"], "isFinalInvokeForWindow": True, "shardId": "s"},
        Deadline.after(30),
    )
    assert final == {"state": {}, "batchItemFailures": []}
    store = DynamoHealthStore(aws_client("dynamodb", aws), monitoring.health_table)
    (parts,) = store.pending_windows(None, "~").values()
    assert sum(a.everything.counts["events"] for a in parts) == 5
    assert sum(a.unreadable for a in parts) == 1
    (failed,) = failed_events(aws, pipeline.lake_bucket)
    assert (failed.stage, failed.sequence_number, failed.sub_sequence_number) == ("monitor", "4959", 4)
