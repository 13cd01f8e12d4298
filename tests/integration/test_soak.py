"""The soak, in the normal suite: 20,000 events from 16 concurrent clients with a realistic mix
of user agents (browsers, TVs, native players, scripts) through the local pipeline's HTTP
endpoint; every accepted event exactly one warehouse row or one failed event, nothing doubled
where doubles can occur. `make soak` runs the same driver with 200,000."""

from __future__ import annotations

from collections import Counter

from sluice_tools.local.soak import CLIENTS, soak

EVENTS = 20_000
SEND_DEADLINE_S = 15 * 60.0
DRAIN_CAP_S = 15 * 60.0


def test_a_soak_of_concurrent_clients_loses_nothing_and_doubles_nothing(pipeline, cluster):
    # GIVEN the local pipeline (search leg on, against the double)
    def index_documents() -> Counter[str]:
        with cluster.lock:
            return Counter(doc_id for docs in cluster.indices.values() for doc_id in docs)

    # WHEN 16 clients POST 20,000 events at once
    result = soak(
        pipeline,
        EVENTS,
        clients=CLIENTS,
        send_deadline_s=SEND_DEADLINE_S,
        drain_cap_s=DRAIN_CAP_S,
        index_documents=index_documents,
        say=lambda line: None,
    )
    print("\n".join(result.lines()))

    # THEN every POST was answered, every event sent, the pipeline drained, and the accounting is exact
    assert result.unsent == 0 and result.drained, result.lines()
    assert result.accepted + result.rejected == EVENTS
    assert result.missing == [], result.lines()
    assert +result.doubled == Counter(), result.lines()
    assert pipeline.loop is not None and pipeline.loop.errors == []
