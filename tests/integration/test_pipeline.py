"""The pipeline wired end to end on this machine (the local runtime, in process): every accepted
event exactly once in the lake's loaded rows, the warehouse and the index; every bad event
rejected at ingest or present as a failed event; also with duplicate deliveries and with sinks
down for a while."""

from __future__ import annotations

import json
import threading
import time

from sluice_tools.local.accounting import failed_events, lake_event_ids, warehouse
from sluice_tools.local.demo import send
from sluice_tools.local.pipeline import LocalOptions, LocalPipeline
from sluice_tools.local.soak import recent_sessions
from sluice_tools.traffic.generator import GeneratedEvent, TrafficConfig, generate
from sqlalchemy import create_engine


def _traffic(seed: int, sessions: int = 40) -> list[GeneratedEvent]:
    """Sessions of the last few minutes, one event in twenty spoilt."""
    return recent_sessions(sessions, seed=seed, bad_rate=0.05, max_heartbeats=10)


def _assert_exactly_once(pipeline, cluster, generated, sent) -> None:
    assert pipeline.drain(timeout_s=120)
    rows, _ = warehouse(pipeline)
    lake = lake_event_ids(pipeline)
    failed = {f.event_id: f.failure_type for f in failed_events(pipeline)}
    good = {e.event_id for e in generated if e.bad is None}
    # every good event: once in the warehouse, in the lake, and in the index
    assert {eid: n for eid, n in rows.items() if n != 1} == {}
    assert set(rows) == good
    assert set(lake) == good
    assert set(cluster.documents("sluice-events-*")) == good
    # every bad event: rejected at ingest, or a failed event of its kind
    rejected = {id(e) for e in sent.rejected_events}
    for event in generated:
        if event.bad is None:
            continue
        assert id(event) in rejected or event.event_id in failed, (event.bad, event.body[:120])
    assert sent.unsent == []
    assert pipeline.loop is not None and pipeline.loop.errors == []


def test_every_event_is_accounted_for_exactly_once(pipeline, cluster):
    generated = _traffic(seed=41)
    sent = send(pipeline.api.url, generated)
    _assert_exactly_once(pipeline, cluster, generated, sent)


def test_duplicate_deliveries_change_nothing(pipeline, cluster):
    generated = _traffic(seed=42)
    first = send(pipeline.api.url, generated)
    assert pipeline.drain(timeout_s=120)
    again = send(pipeline.api.url, [e for e in generated if e.bad is None])  # players resending
    assert len(again.accepted_ids) == len({e.event_id for e in generated if e.bad is None})
    _assert_exactly_once(pipeline, cluster, generated, first)


def test_sinks_down_for_a_while_lose_nothing_and_double_nothing(pipeline, cluster):
    generated = _traffic(seed=43, sessions=50)
    # The search cluster refuses whole requests, then items, for a while.
    cluster.fail_next_requests(*([503] * 4))
    throttled: dict[str, int] = {}

    def throttle_for_a_while(index, doc_id, source):
        throttled[doc_id] = throttled.get(doc_id, 0) + 1
        return 429 if throttled[doc_id] <= 2 and len(throttled) < 200 else None

    cluster.item_faults.append(throttle_for_a_while)
    # The warehouse goes away mid-run: its connections cut and its table locked for seconds.
    engine = create_engine(pipeline.warehouse_url)
    outage_over = threading.Event()

    def warehouse_outage() -> None:
        with engine.connect() as connection:
            transaction = connection.begin()
            connection.exec_driver_sql("LOCK TABLE player_events IN ACCESS EXCLUSIVE MODE")
            connection.exec_driver_sql(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE pid <> pg_backend_pid() AND datname = current_database()"
            )
            time.sleep(3)
            transaction.rollback()
        outage_over.set()

    outage = threading.Thread(target=warehouse_outage)
    outage.start()
    sent = send(pipeline.api.url, generated)
    outage.join()
    assert outage_over.is_set()
    _assert_exactly_once(pipeline, cluster, generated, sent)
    assert any(count > 1 for count in throttled.values())  # the double did refuse items
    engine.dispose()


def test_a_cdn_incident_is_one_incident_from_the_scheduled_evaluation_through_the_whole_pipeline(monkeypatch):
    from sluice_tools.traffic.generator import Incident, Problems

    from sluice.monitor.store import DynamoHealthStore

    # GIVEN the pipeline with windows of 4 s, and 3 minutes of sessions replayed over 40 s
    # (about 10 windows) with fastly failing to start from the timeline's middle on
    monkeypatch.setenv("SLUICE_ALLOWED_LATENESS_SECONDS", "900")
    local = LocalPipeline(LocalOptions(provisioning="direct", health_window_seconds=4, say=lambda line: None))
    local.start()
    try:
        start = int(time.time() * 1000) - 4 * 60_000
        incident = Incident("cdn", "fastly", start_ms=start + 90_000, problems=Problems(start_failure_rate=0.9))
        config = TrafficConfig(
            sessions=800, seed=44, start_ms=start, spread_ms=150_000, max_heartbeats=3, incidents=(incident,)
        )
        # WHEN the players send it and the evaluation runs on its schedule and at the end
        send(local.api.url, list(generate(config)), over_s=40)
        assert local.drain(timeout_s=180)
        messages = DynamoHealthStore(local.client("dynamodb"), local.settings["health_table"]).alerts()
    finally:
        local.stop()
    # THEN one incident, on fastly
    assert len({m.incident_id for m in messages}) == 1, [m.to_dict() for m in messages]
    assert messages[0].status == "opened" and messages[0].cause == {"cdn": "fastly"}, json.dumps(messages[0].to_dict())
