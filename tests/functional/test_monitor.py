"""The monitor with the traffic generator: tumbling windows over shards, alerts through moto SNS,
shard windows, combined windows and incidents in moto DynamoDB, the evaluation publishing to moto SNS,
rollups through the bulk double."""

from __future__ import annotations

import base64
import io
import json
import os
import subprocess
import sys
import zlib
from datetime import UTC, datetime

import pytest
from sluice_tools.traffic.generator import Incident, Problems, TrafficConfig, generate
from sluice_tools.tumbling import run_windows
from support.aws import create_monitoring, received_alerts, stream_arn
from support.factories import clean_record, generated_clean_record, kinesis_trigger_record
from support.opensearch_double import bulk_double
from support.services import AWS_ENV
from support.stages import evaluator, monitor

from sluice.events.codec import Codec
from sluice.monitor.aggregate import WindowAggregates
from sluice.runtime.deadline import Deadline

START = 1_795_680_000_000  # 2026-11-26T08:00:00Z
MINUTE = 60_000


@pytest.fixture
def monitoring(aws):
    return create_monitoring(aws)


def _shard_records(config: TrafficConfig, shards: int = 2) -> dict[str, list[dict]]:
    """Clean-stream records of the generated traffic, partitioned by session as the stream is,
    arriving a second after the event."""
    codec = Codec()
    by_shard: dict[str, list[dict]] = {f"shardId-00000000000{i}": [] for i in range(shards)}
    for sequence, generated in enumerate(generate(config)):
        record = generated_clean_record(generated)
        shard = f"shardId-00000000000{zlib.crc32(record['session_id'].encode()) % shards}"
        by_shard[shard].append(
            kinesis_trigger_record(
                codec.encode(record),
                str(10**20 + sequence),
                shard=shard,
                partition_key=record["session_id"],
                arrival=(generated.client_time_ms + 1000) / 1000,
                source_arn=stream_arn("sluice-clean"),
            )
        )
    return by_shard


def _run(stage, by_shard: dict[str, list[dict]], window_seconds: int = 60) -> None:
    # Windows in time order across shards, as they close in production.
    for records in by_shard.values():
        records.sort(key=lambda r: r["kinesis"]["approximateArrivalTimestamp"])
    starts = sorted(
        {int(r["kinesis"]["approximateArrivalTimestamp"]) // window_seconds for rs in by_shard.values() for r in rs}
    )
    for start in starts:
        for shard, records in by_shard.items():
            in_window = [
                r for r in records if int(r["kinesis"]["approximateArrivalTimestamp"]) // window_seconds == start
            ]
            if in_window:
                run_windows(
                    lambda event: stage.handle(event, Deadline.after(30)),
                    shard,
                    stream_arn("sluice-clean"),
                    in_window,
                    window_seconds=window_seconds,
                )


def _traffic(**overrides) -> TrafficConfig:
    settings = {"sessions": 900, "seed": 12, "start_ms": START, "spread_ms": 12 * MINUTE, "max_heartbeats": 18}
    settings.update(overrides)
    return TrafficConfig(**settings)


def _judge(aws, monitoring) -> None:
    """The health evaluation's schedule, once every window has closed."""
    # the traffic ends by 08:15; the first run looks back 30 windows
    outcome = evaluator(aws, monitoring).run(datetime(2026, 11, 26, 8, 30, tzinfo=UTC))
    assert outcome.evaluated


def test_a_cdn_outage_is_one_incident_naming_the_cdn_opened_then_resolved(aws, pipeline, monitoring, tmp_path):
    # GIVEN 2 shards of traffic with fastly failing to start from 08:06 to 08:09
    outage = Incident(
        "cdn", "fastly", START + 6 * MINUTE, START + 9 * MINUTE, Problems(start_failure_rate=0.9, fatal_error_rate=0.05)
    )
    traffic = _traffic(sessions=1500, max_heartbeats=6, incidents=(outage,))
    # WHEN every shard's windows close and the evaluation runs over them
    _run(monitor(aws, pipeline, monitoring), _shard_records(traffic))
    _judge(aws, monitoring)
    # THEN the alert topic carries one incident: opened on cdn=fastly by 08:07, later resolved
    alerts = received_alerts(aws, monitoring.alerts_queue)
    assert len({a["incident_id"] for a in alerts}) == 1, alerts
    assert alerts[0]["status"] == "opened" and alerts[-1]["status"] == "resolved"
    opened = alerts[0]
    assert opened["cause"] == {"cdn": "fastly"} and "fastly" in opened["subject"]
    assert "2026-11-26T08:06:00Z" <= opened["window_start"] <= "2026-11-26T08:07:00Z"
    assert opened["metric"] == "video_start_failure_rate" and opened["observed"] > 10 * opened["baseline"]
    assert opened["explains_share"] > 0.9 and opened["impacted_sessions"] >= 10
    assert {"all": "all"} in opened["impacted"]  # the fleet's own rise: listed, not raised

    # AND the report an engineer opens: one chart per QoE metric, the incident shaded and named
    report = tmp_path / "health.html"
    env = {**os.environ, **AWS_ENV, "AWS_ENDPOINT_URL": aws}
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "sluice_tools",
            "health",
            "report",
            "--table",
            monitoring.health_table,
            "--hours",
            "100000",
            "-o",
            str(report),
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert "1 incidents" in result.stdout
    page = report.read_text()
    assert page.count("Plotly.newPlot") == 6
    assert "cdn=fastly: video_start_failures" in page and opened["incident_id"] in page


def test_normal_traffic_raises_no_alert(aws, pipeline, monitoring):
    _run(monitor(aws, pipeline, monitoring), _shard_records(_traffic(seed=14)))
    _judge(aws, monitoring)
    assert received_alerts(aws, monitoring.alerts_queue) == []


def test_two_evaluations_at_once_cannot_both_move_the_incidents(aws, pipeline, monitoring):
    from support.aws import aws_client

    from sluice.monitor.store import DynamoHealthStore, EvaluatorState

    store = DynamoHealthStore(aws_client("dynamodb", aws), monitoring.health_table)
    first, second = store.evaluator_state(), store.evaluator_state()
    assert store.save_evaluator_state(EvaluatorState("2026-11-26T08:00:00Z", [], first.version))
    # the slower one read the same version: its write is refused, so it stops without sending twice
    assert not store.save_evaluator_state(EvaluatorState("2026-11-26T08:00:00Z", [], second.version))
    assert store.evaluator_state().last_window == "2026-11-26T08:00:00Z"


def test_window_state_stays_under_1_mb_with_10000_distinct_values(aws, pipeline, monitoring):
    aggregates = WindowAggregates()
    for index in range(10_000):
        record = clean_record("play", payload={"playhead_ms": 0, "initial": True, "startup_time_ms": 100 + index})
        record["content"]["id"] = f"content-{index}"
        record["ingest"]["country"] = f"C{index % 250}"
        record["player"]["version"] = f"9.{index}"
        record["session_id"] = f"00000000-0000-4000-9000-{index:012d}"  # a start per session
        aggregates.add_event(record)
    # and the event ids of a full window (the exactly-once check keeps up to MAX_IDS of them), and
    # the session facts it remembers at their cap
    from sluice.monitor.dedupe import MAX_IDS
    from sluice.monitor.signals import MAX_SESSION_FACTS

    for index in range(MAX_IDS):
        aggregates.event_ids.first_time(f"00000000-0000-4000-8000-{index:012d}")
    for index in range(MAX_SESSION_FACTS):
        aggregates.facts.first_time(f"fact-{index}")
    size = len(json.dumps(aggregates.to_state()))
    assert size < 1_000_000, size
    assert len(aggregates.by_dimension["content"]) == 101  # 100 values and "other"
    assert aggregates.by_dimension["content"]["other"].counts["events"] == 10_000 - 100
    assert aggregates.by_dimension["all"]["all"].counts["video_starts"] == 10_000


def test_late_events_are_counted_as_late_and_never_lost(aws, pipeline, monitoring):
    stage = monitor(aws, pipeline, monitoring)
    codec = Codec()
    now = clean_record()["server_time"]
    fresh = [clean_record() for _ in range(5)]
    late = [clean_record(age_ms=30 * MINUTE) for _ in range(3)]
    records = [
        {
            "kinesis": {
                "sequenceNumber": str(i),
                "partitionKey": "p",
                "data": base64.b64encode(codec.encode(r)).decode(),
                "approximateArrivalTimestamp": now / 1000,
            },
            "eventID": f"shardId-0:{i}",
        }
        for i, r in enumerate(fresh + late)
    ]
    window_start = now // 1000 - (now // 1000) % 60
    from sluice_tools.tumbling import iso

    response = stage.handle(
        {
            "Records": records,
            "window": {"start": iso(window_start), "end": iso(window_start + 60)},
            "state": {},
            "shardId": "shardId-0",
            "isFinalInvokeForWindow": False,
        },
        Deadline.after(30),
    )
    state = WindowAggregates.from_state(response["state"])
    assert state.late_events == 3
    assert state.by_dimension["all"]["all"].counts["events"] == 5


def test_shards_combine_to_the_single_shard_totals_and_rollups_and_emf_are_written(aws, pipeline, monitoring):
    traffic = _traffic(sessions=200, seed=16, spread_ms=4 * MINUTE)
    with bulk_double() as cluster:
        emf = io.StringIO()
        _run(
            monitor(aws, pipeline, monitoring, opensearch_url=cluster.url, emf_stream=emf),
            _shard_records(traffic, shards=3),
        )
        docs = cluster.documents("player-health-*")
    assert {d["shard"] for d in docs.values()} == {
        "shardId-000000000000",
        "shardId-000000000001",
        "shardId-000000000002",
    }
    totals: dict[str, int] = {}
    for doc in docs.values():
        if doc["dimension"] == "all":
            totals[doc["window_start"]] = totals.get(doc["window_start"], 0) + doc["count_events"]
    lines = [json.loads(line) for line in emf.getvalue().splitlines()]
    assert lines and all(line["_aws"]["CloudWatchMetrics"][0]["Namespace"] == "Sluice/PlayerHealth" for line in lines)
    assert {line["Dimension"] for line in lines} == {"all", "cdn", "player_version", "device_class"}
    assert sum(totals.values()) == sum(len(rs) for rs in _shard_records(traffic, shards=3).values())
    # the evaluation combines the shards' windows from the table: every event once
    from support.aws import aws_client

    from sluice.monitor.store import DynamoHealthStore

    _judge(aws, monitoring)
    store = DynamoHealthStore(aws_client("dynamodb", aws), monitoring.health_table)
    combined = {w.start: w.aggregates.everything.counts["events"] for w in store.fleet_windows("0", "~")}
    assert combined == totals


def test_the_handler_reads_its_configuration_from_the_environment(aws, pipeline, monitoring, monkeypatch):
    from sluice_monitor import handler
    from support.aws import FakeContext

    from sluice.aws.clients import client

    for name, value in {
        "AWS_ENDPOINT_URL": aws,
        "SLUICE_ALERT_TOPIC_ARN": monitoring.topic_arn,
        "SLUICE_HEALTH_TABLE": monitoring.health_table,
        "SLUICE_FAILED_FIREHOSE": pipeline.failed_firehose,
    }.items():
        monkeypatch.setenv(name, value)
    client.cache_clear()
    handler._monitor.cache_clear()
    handler._evaluator.cache_clear()
    try:
        by_shard = _shard_records(_traffic(sessions=30, seed=3, spread_ms=MINUTE), shards=1)
        ((shard, records),) = by_shard.items()
        responses = run_windows(
            lambda event: handler.handle(event, FakeContext()),
            shard,
            stream_arn("sluice-clean"),
            records,
            window_seconds=60,
        )
        # the second handler, as the schedule invokes it: every window due at its scheduled time
        judged = handler.evaluate({"scheduled_time": "2026-11-26T08:10:00Z"}, FakeContext())
    finally:
        client.cache_clear()
        handler._monitor.cache_clear()
        handler._evaluator.cache_clear()
    assert all(r["batchItemFailures"] == [] for r in responses)
    assert responses[-1]["state"] == {}
    assert judged["evaluated"] and judged["messages"] == []
    from support.aws import aws_client

    stored = aws_client("dynamodb", aws).scan(TableName=monitoring.health_table)["Items"]
    assert {item["pk"]["S"] for item in stored} >= {"shards", "fleet", "evaluator"}


def test_a_batch_delivered_twice_in_a_window_is_counted_once(aws, pipeline, monitoring):
    # GIVEN a batch Lambda delivers again after a failed invocation (the same records, same window)
    stage = monitor(aws, pipeline, monitoring)
    codec = Codec()
    now = clean_record()["server_time"]
    starts = [
        clean_record("session_start", payload={"autoplay": False, "page_url": None, "referrer": None}) for _ in range(4)
    ]
    failures = [
        clean_record("error", payload={"code": "E", "message": "m", "fatal": True, "playhead_ms": None})
        for _ in range(2)
    ]
    for index, record in enumerate(starts + failures):
        record["session_id"] = f"session-{index % 4}"  # four sessions, the first two failing to start
    records = [
        {
            "kinesis": {
                "sequenceNumber": str(i),
                "partitionKey": "p",
                "data": base64.b64encode(codec.encode(r)).decode(),
                "approximateArrivalTimestamp": now / 1000,
            },
            "eventID": f"shardId-0:{i}",
        }
        for i, r in enumerate(starts + failures)
    ]
    window_start = now // 1000 - (now // 1000) % 60
    from sluice_tools.tumbling import iso

    window = {"start": iso(window_start), "end": iso(window_start + 60)}
    state: dict = {}
    for _ in range(2):
        response = stage.handle(
            {
                "Records": records,
                "window": window,
                "state": state,
                "shardId": "shardId-0",
                "isFinalInvokeForWindow": False,
            },
            Deadline.after(30),
        )
        state = response["state"]
    # THEN the start-failure rate is 2 of 4, not 4 of 8 and not moved at all
    aggregates = WindowAggregates.from_state(state)
    counts = aggregates.by_dimension["all"]["all"].counts
    assert (counts["attempts"], counts["video_start_failures"], counts["events"]) == (4, 2, 6)
    assert aggregates.duplicates == 6
