"""Where the local pipeline's events ended up, read back from its sinks: the lake's lines, the
failed events, the warehouse's rows and the index's documents, each counted per event id so a
double shows. The demo's and the soak's accounting, and the integration tests', read them here."""

from __future__ import annotations

import gzip
import json
from collections import Counter

from sluice.events.failed import FailedEvent
from sluice_tools.local.pipeline import LocalPipeline

__all__ = ["failed_events", "indexed_ids", "lake_event_ids", "warehouse"]


def lake_event_ids(pipeline: LocalPipeline) -> Counter[str]:
    """The event ids of the lake's lines (``events/``), as often as each was written."""
    s3 = pipeline.client("s3")
    ids: Counter[str] = Counter()
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=pipeline.settings["lake_bucket"], Prefix="events/"):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=pipeline.settings["lake_bucket"], Key=obj["Key"])["Body"].read()
            body = gzip.decompress(body) if body[:2] == b"\x1f\x8b" else body
            ids.update(json.loads(line)["event_id"] for line in body.splitlines() if line.strip())
    return ids


def failed_events(pipeline: LocalPipeline) -> list[FailedEvent]:
    """Every failed event in the lake that can be read (what ``sluice failed list`` lists)."""
    from sluice_tools.failures.store import StoredFailure, read_failures

    return [
        f.event
        for f in read_failures(pipeline.client("s3"), pipeline.settings["lake_bucket"])
        if isinstance(f, StoredFailure)
    ]


def warehouse(pipeline: LocalPipeline) -> tuple[Counter[str], dict[str, float]]:
    """The warehouse's rows per event id, and the latency from ingest to the load (p50 to max, ms)."""
    from sqlalchemy import create_engine, text

    engine = create_engine(pipeline.warehouse_url)
    with engine.connect() as connection:
        rows = Counter(r[0] for r in connection.execute(text("SELECT event_id FROM player_events")))
        latency = connection.execute(
            text(
                "SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ms), percentile_cont(0.95) WITHIN GROUP (ORDER BY ms), "
                "percentile_cont(0.99) WITHIN GROUP (ORDER BY ms), max(ms) FROM (SELECT EXTRACT(EPOCH FROM loaded_at - server_time) * 1000 AS ms FROM player_events) AS l"
            )
        ).one()
    engine.dispose()
    return rows, dict(zip(("p50", "p95", "p99", "max"), (float(v or 0) for v in latency), strict=True))


def indexed_ids(pipeline: LocalPipeline) -> Counter[str] | None:
    """The index's document ids across the event indices; None when the search leg is off."""
    if not pipeline.options.opensearch_url:
        return None
    from sluice.sinks.opensearch.client import ClusterConfig
    from sluice_tools.opensearch.client import build_client

    client = build_client(ClusterConfig.from_env())
    client.indices.refresh(index="sluice-events-*")
    hits = client.search(index="sluice-events-*", body={"query": {"match_all": {}}, "_source": False, "size": 10000})[
        "hits"
    ]["hits"]
    return Counter(h["_id"] for h in hits)
