"""The integration layer's shared parts: the search double and the local pipeline against it."""

from __future__ import annotations

import pytest
from sluice_tools.local.pipeline import LocalOptions, LocalPipeline
from sluice_tools.opensearch.bootstrap import bootstrap
from sluice_tools.opensearch.client import build_client
from support.opensearch_double import bulk_double

from sluice.sinks.opensearch.client import ClusterConfig


@pytest.fixture
def cluster():
    with bulk_double() as double:
        bootstrap(build_client(ClusterConfig(url=double.url)), "sluice-events")
        yield double


@pytest.fixture
def pipeline(cluster, monkeypatch):
    monkeypatch.setenv("SLUICE_ALLOWED_LATENESS_SECONDS", "900")
    local = LocalPipeline(
        LocalOptions(opensearch_url=cluster.url, provisioning="direct", say=lambda line: None)
    ).start()
    yield local
    local.stop()
