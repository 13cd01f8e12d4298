"""The cost model against a running pipeline: generated traffic goes through the local pipeline,
every call Sluice's stages send is counted on the client side (botocore's parameter hook, the
search double's request log), and the model's prediction for the same traffic is within 5% of
each count: requests per API, records and payload bytes.

The stages are driven one after another over the whole backlog, so each shard's records arrive
in one batch as they do on AWS at the peak; the model is told the same (records per invocation =
the shard's backlog). The emulator's Firehose neither buffers nor partitions: S3 objects are
modelled, not counted.
"""

from __future__ import annotations

import json
import os
import urllib.request
from collections import defaultdict
from typing import Any

from sluice_tools.cost.model import Deployment, usage
from sluice_tools.cost.sources import requests_for
from sluice_tools.cost.traffic import REQUEST_HEADERS, generated_events, measure
from sluice_tools.local.pipeline import LocalPipeline

from sluice.aws.clients import session

TOLERANCE = 0.05


class Calls:
    """What the stages hand botocore, per service and operation (retries are not new calls)."""

    def __init__(self) -> None:
        self.calls: dict[str, int] = defaultdict(int)
        self.records: dict[str, int] = defaultdict(int)
        self.bytes: dict[str, int] = defaultdict(int)

    def __call__(self, params: dict[str, Any], model: Any, **_: Any) -> None:
        operation = f"{model.service_model.service_name}.{model.name}"
        target = params.get("StreamName") or params.get("DeliveryStreamName") or params.get("TableName") or ""
        key = f"{operation}:{target}"
        self.calls[key] += 1
        for record in params.get("Records") or []:
            self.records[key] += 1
            self.bytes[key] += len(record["Data"]) + len(record.get("PartitionKey", ""))


def _post(url: str, batch: list[dict[str, Any]]) -> None:
    # The headers the model's measurement uses: ingest stamps the user agent and country.
    request = urllib.request.Request(url, json.dumps(batch, separators=(",", ":")).encode(), REQUEST_HEADERS)
    with urllib.request.urlopen(request, timeout=30) as response:
        assert response.status == 200


def _drain(poller: Any) -> None:
    while poller.poll_once():
        pass


def _shards(pipeline: LocalPipeline, stream: str) -> int:
    return len(pipeline.client("kinesis").list_shards(StreamName=stream)["Shards"])


def _mean_batch(pipeline: LocalPipeline, stream: str, batch_size: int) -> float:
    """Records per invocation when each shard's backlog is read in batches of ``batch_size``."""
    kinesis = pipeline.client("kinesis")
    records = invocations = 0
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        n = len(kinesis.get_records(ShardIterator=iterator, Limit=10000)["Records"])
        records += n
        invocations += -(-n // batch_size)
    return records / invocations


def test_the_model_predicts_every_call_and_byte_the_pipeline_sends(pipeline, cluster, monkeypatch):
    assert pipeline.loop is not None
    pipeline.loop.stop()  # the stages are driven one after another below
    # The sample starts up to 90 minutes back (one lake hour): not late for the monitor's windows.
    monkeypatch.setenv("SLUICE_ALLOWED_LATENESS_SECONDS", "86400")
    events = generated_events(sessions=60, seed=5)
    calls = Calls()
    session().register("before-parameter-build", calls)
    for batch in requests_for("sdk", events):
        _post(f"{pipeline.api.url}/events", batch)
    pollers = {p.name: p for p in pipeline.loop.pollers}
    _drain(pollers["processor"])
    _drain(pollers["indexer"])
    _drain(pollers["monitor"])
    pollers["monitor"].flush_windows()

    triggers = pipeline.settings["triggers"]
    clean_shards = _shards(pipeline, triggers["indexer"]["stream"])
    profile = measure(events)
    requests = len(requests_for("sdk", events))
    # How many invocations a backlog takes is the event source mapping's business (its batch
    # size per shard), not Sluice's: the model is given the mean batch that follows from it.
    processor_batch = _mean_batch(pipeline, triggers["processor"]["stream"], triggers["processor"]["batch_size"])
    indexer_batch = _mean_batch(pipeline, triggers["indexer"]["stream"], triggers["indexer"]["batch_size"])
    predicted = usage(
        len(events),
        profile,
        Deployment(
            kpl_aggregation=os.environ.get("SLUICE_AGGREGATE") == "kpl",
            # The processor packs clean records per shard of the clean stream (as deployed).
            clean_kpl_aggregation=os.environ.get("SLUICE_CLEAN_AGGREGATE", "kpl") == "kpl",
            raw_shards=_shards(pipeline, triggers["processor"]["stream"]),
            clean_shards=clean_shards,
        ),
        processor_batch=processor_batch,
        indexer_batch=indexer_batch,
        monitor_batch=_mean_batch(pipeline, triggers["monitor"]["stream"], triggers["monitor"]["batch_size"]),
        monitor_windows=clean_shards,
    )
    event_bulks = [b for b in cluster.bulk_bodies if b'"_index":"sluice-events-' in b.split(b"\n", 1)[0]]
    raw = f"kinesis.PutRecords:{triggers['processor']['stream']}"
    clean = f"kinesis.PutRecords:{triggers['indexer']['stream']}"
    lake = f"firehose.PutRecordBatch:{pipeline.settings['lake_firehose']}"
    health = f"dynamodb.PutItem:{pipeline.settings['health_table']}"
    counted = {
        "raw PutRecords calls": (calls.calls[raw], predicted.raw_put_calls),
        "raw records": (calls.records[raw], predicted.raw_records),
        "raw bytes": (calls.bytes[raw], predicted.raw_bytes),
        "clean PutRecords calls": (calls.calls[clean], predicted.clean_put_calls),
        "clean records": (calls.records[clean], predicted.clean_records),
        "clean bytes": (calls.bytes[clean], predicted.clean_bytes),
        "lake PutRecordBatch calls": (calls.calls[lake], predicted.lake_put_calls),
        "lake records": (calls.records[lake], predicted.lake_records),
        "lake bytes": (calls.bytes[lake], predicted.lake_bytes),
        "bulk requests": (len(event_bulks), predicted.bulk_requests),
        "bulk bytes": (sum(len(b) for b in event_bulks), predicted.bulk_bytes),
        "health store PutItem": (calls.calls[health], predicted.health_puts),
    }
    report = {name: f"counted {c:,.0f}, modelled {m:,.1f}" for name, (c, m) in counted.items()}
    print(json.dumps(report, indent=2))
    assert calls.calls[raw] == requests  # one PutRecords per ingest request, every request sent
    off = {name: report[name] for name, (c, m) in counted.items() if c == 0 or abs(m - c) / c > TOLERANCE}
    assert off == {}, off
