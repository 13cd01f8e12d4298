"""The local pipeline with every stage inside its image (`sluice demo --runtime docker`): the same
exact accounting as in process."""

from __future__ import annotations

import time

from sluice_tools.local.accounting import failed_events, warehouse
from sluice_tools.local.demo import send
from sluice_tools.local.pipeline import LocalOptions, LocalPipeline
from sluice_tools.opensearch.bootstrap import bootstrap
from sluice_tools.opensearch.client import build_client
from sluice_tools.traffic.generator import TrafficConfig, generate
from support.opensearch_double import bulk_double

from sluice.sinks.opensearch.client import ClusterConfig


def test_the_pipeline_with_stages_in_their_images_accounts_for_every_event(images, monkeypatch):
    monkeypatch.setenv("SLUICE_ALLOWED_LATENESS_SECONDS", "900")
    with bulk_double() as cluster:
        bootstrap(build_client(ClusterConfig(url=cluster.url)), "sluice-events")
        pipeline = LocalPipeline(
            LocalOptions(runtime="docker", opensearch_url=cluster.url, provisioning="direct", say=lambda line: None)
        ).start()
        try:
            now = int(time.time() * 1000)
            generated = list(
                generate(
                    TrafficConfig(
                        sessions=15,
                        seed=51,
                        start_ms=now - 4 * 60_000,
                        spread_ms=3 * 60_000,
                        max_heartbeats=6,
                        bad_rate=0.05,
                    )
                )
            )
            sent = send(pipeline.api.url, generated)
            assert pipeline.drain(timeout_s=180)
            rows, _ = warehouse(pipeline)
            failed = {f.event_id for f in failed_events(pipeline)}
            good = {e.event_id for e in generated if e.bad is None}
            assert set(rows) == good and all(n == 1 for n in rows.values())
            assert set(cluster.documents("sluice-events-*")) == good
            rejected = {id(e) for e in sent.rejected_events}
            assert all(id(e) in rejected or e.event_id in failed for e in generated if e.bad is not None)
        finally:
            pipeline.stop()
