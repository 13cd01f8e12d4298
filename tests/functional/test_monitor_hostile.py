"""The monitor against values at their bounds, players' clocks, torn items and hostile causes:
moto DynamoDB and SNS, the search double (which refuses an _id over 512 bytes as OpenSearch does),
windows driven by the local tumbling-window runtime (which ends a window early past 1 MB)."""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import random
from datetime import UTC, datetime

import pytest
from sluice_tools import tumbling
from sluice_tools.traffic.generator import Incident, Problems, TrafficConfig, generate
from sluice_tools.tumbling import run_windows
from support.aws import aws_client, create_monitoring, received_alerts, stream_arn
from support.factories import clean_record, generated_clean_record, kinesis_trigger_record
from support.opensearch_double import bulk_double
from support.stages import evaluator, monitor

from sluice.events.codec import Codec
from sluice.monitor.aggregate import WindowAggregates
from sluice.monitor.dedupe import MAX_IDS
from sluice.monitor.evaluator import EvaluationSettings, Evaluator
from sluice.monitor.incidents import AlertMessage
from sluice.monitor.outputs import sns_publisher
from sluice.monitor.store import DynamoHealthStore, WindowPart
from sluice.runtime.deadline import Deadline
from sluice.runtime.metrics import Metrics

START = 1_795_680_000_000  # 2026-11-26T08:00:00Z
MINUTE = 60_000
SHARD = "shardId-000000000000"


@pytest.fixture
def monitoring(aws):
    return create_monitoring(aws)


def _trigger(record: dict, sequence: int, arrival_s: float) -> dict:
    return kinesis_trigger_record(
        Codec().encode(record),
        str(10**20 + sequence),
        shard=SHARD,
        partition_key=record["session_id"],
        arrival=arrival_s,
        source_arn=stream_arn("sluice-clean"),
    )


def _close(stage, records: list[dict]) -> list[dict]:
    return run_windows(
        lambda event: stage.handle(event, Deadline.after(60)),
        SHARD,
        stream_arn("sluice-clean"),
        records,
        window_seconds=60,
    )


def _text(rng: random.Random, size: int) -> str:
    """``size`` bytes of UTF-8 that do not compress: random two-byte characters."""
    return "".join(chr(rng.randrange(0xA1, 0x7FF)) for _ in range(size // 2))


def _at_bounds(rng: random.Random, index: int) -> dict:
    """A play event whose every dimension value is distinct and at its schema's byte bound."""
    record = clean_record("play", payload={"playhead_ms": 0, "initial": True, "startup_time_ms": 50 + index})
    record["content"]["id"] = _text(rng, 512)
    record["cdn"]["name"] = _text(rng, 64).lower()
    record["player"]["name"], record["player"]["version"] = _text(rng, 64), _text(rng, 64)
    record["enrichment"]["device_class"] = _text(rng, 32)
    record["ingest"]["country"] = _text(rng, 6)
    return record


def test_a_content_id_at_its_bound_closes_its_window_with_its_rollups(aws, pipeline, monitoring):
    # GIVEN events of a content id of 512 bytes (the schema's bound), the longest the shard id allows
    now = clean_record()["server_time"] / 1000
    records = []
    for index in range(5):
        record = clean_record()
        record["content"]["id"] = "é" * 256
        records.append(_trigger(record, index, now))
    with bulk_double() as cluster:
        stage = monitor(aws, pipeline, monitoring, opensearch_url=cluster.url)
        # WHEN the window closes
        responses = _close(stage, records)
        docs = cluster.documents("player-health-*")
    # THEN it closed (the rollups stored), the content's rollup among them under an _id OpenSearch takes
    assert responses[-1] == {"state": {}, "batchItemFailures": []}
    content = [(doc_id, d) for doc_id, d in docs.items() if d["dimension"] == "content"]
    assert [d["value"] for _, d in content] == ["é" * 256]
    assert all(len(doc_id.encode()) <= 512 for doc_id in docs)


def test_window_state_stays_under_1_mb_at_the_bounds_with_the_settings_at_their_maximum(aws, pipeline, monitoring):
    # GIVEN 300 values kept per dimension (the setting's maximum), a window already holding the
    # event ids of a full window, and 3,000 events each with every dimension distinct at its bound
    stage = monitor(aws, pipeline, monitoring)
    stage.config = dataclasses.replace(stage.config, max_values=300)
    rng = random.Random(20)
    full = WindowAggregates(max_values=300)
    for index in range(MAX_IDS - 3_000):
        full.event_ids.first_time(f"00000000-0000-4000-8000-{index:012d}")
    state = full.to_state()
    now = clean_record()["server_time"] / 1000
    window_start = now - now % 60
    window = {"start": tumbling.iso(window_start), "end": tumbling.iso(window_start + 60)}
    sizes = []
    for batch in range(30):
        records = [_trigger(_at_bounds(rng, batch * 100 + i), batch * 100 + i, now) for i in range(100)]
        event = {
            "Records": records,
            "window": window,
            "state": state,
            "shardId": SHARD,
            "isFinalInvokeForWindow": False,
        }
        # WHEN the shard's invocations chain their state through the window
        state = stage.handle(event, Deadline.after(60))["state"]
        sizes.append(len(json.dumps(state)))
    # THEN every state Lambda carries stays under its 1 MB, and nothing is lost: what did not fit
    # is in "other", and counted
    assert max(sizes) < tumbling.LAMBDA_WINDOW_STATE_BYTES, sizes
    kept = WindowAggregates.from_state(state, 300)
    assert kept.everything.counts["events"] == 3_000
    for dimension in ("content", "cdn", "player_version", "device_class", "country", "content\u00d7cdn"):
        values = kept.by_dimension[dimension]
        assert sum(a.counts["events"] for a in values.values()) == 3_000, dimension
    assert kept.folded > 0 and len(kept.event_ids) == MAX_IDS


def test_a_window_lambda_ends_early_adds_up_and_a_retried_part_counts_once(aws, pipeline, monitoring, monkeypatch):
    # GIVEN a runtime that ends windows early at 2.5 KB of state (as Lambda does at 1 MB), and a
    # window of 800 events on one shard: its state passes that, so the window goes on in parts
    monkeypatch.setattr(tumbling, "LAMBDA_WINDOW_STATE_BYTES", 2_500)
    stage = monitor(aws, pipeline, monitoring)
    now = START / 1000 + 30
    records = []
    for index in range(800):
        record = clean_record()
        record["server_time"] = START + 30_000
        records.append(_trigger(record, index, now))
    seen: list[dict] = []

    def handler(event: dict) -> dict:
        seen.append(event)
        response = stage.handle(event, Deadline.after(60))
        if event["isWindowTerminatedEarly"]:
            assert stage.handle(event, Deadline.after(60)) == response  # Lambda retrying that part
        return response

    # WHEN its windows close and the evaluation combines them
    run_windows(handler, SHARD, stream_arn("sluice-clean"), records, window_seconds=60)
    assert sum(e["isWindowTerminatedEarly"] for e in seen) >= 2
    evaluator(aws, monitoring).run(datetime(2026, 11, 26, 8, 5, tzinfo=UTC))
    # THEN the window holds every event once: the parts added up, the retried part not twice
    store = DynamoHealthStore(aws_client("dynamodb", aws), monitoring.health_table)
    (window,) = store.fleet_windows("0", "~")
    assert window.start == "2026-11-26T08:00:00Z"
    assert window.aggregates.everything.counts["events"] == 800


def _outage_records(*, slow_ms: int) -> list[dict]:
    """Clean-stream records of 1,500 sessions with fastly failing to start from 08:06 to 08:09,
    each player's clock ``slow_ms`` behind: ingest stamps its own time, arrival a second later."""
    outage = Incident(
        "cdn", "fastly", START + 6 * MINUTE, START + 9 * MINUTE, Problems(start_failure_rate=0.9, fatal_error_rate=0.05)
    )
    traffic = TrafficConfig(
        sessions=1500, seed=12, start_ms=START, spread_ms=12 * MINUTE, max_heartbeats=6, incidents=(outage,)
    )
    records = []
    for sequence, generated in enumerate(generate(traffic)):
        record = generated_clean_record(generated, clock_behind_ms=slow_ms)
        records.append(_trigger(record, sequence, (generated.client_time_ms + 1000) / 1000))
    return sorted(records, key=lambda r: r["kinesis"]["approximateArrivalTimestamp"])


def test_players_ten_minutes_slow_during_a_cdn_outage_raise_the_incident(aws, pipeline, monitoring):
    # GIVEN every player's clock 10 minutes slow (TVs, set-top boxes) while fastly fails to start
    records = _outage_records(slow_ms=10 * MINUTE)
    # WHEN the shard's windows close and the evaluation runs over them
    _close(monitor(aws, pipeline, monitoring), records)
    evaluator(aws, monitoring).run(datetime(2026, 11, 26, 8, 30, tzinfo=UTC))
    # THEN the incident is raised on fastly, in the window the outage began by the server's clock
    alerts = received_alerts(aws, monitoring.alerts_queue)
    opened = [a for a in alerts if a["status"] == "opened"]
    assert [a["cause"] for a in opened] == [{"cdn": "fastly"}], alerts
    assert "2026-11-26T08:06:00Z" <= opened[0]["window_start"] <= "2026-11-26T08:07:00Z"


def _aggregates(events: int) -> WindowAggregates:
    aggregates = WindowAggregates()
    for _ in range(events):
        aggregates.add_event(clean_record())
    return aggregates


def test_a_torn_shard_window_item_is_skipped_and_flagged_and_later_windows_are_judged(
    aws, pipeline, monitoring, caplog
):
    # GIVEN three windows of two shards, one shard's item of the first window torn (cut short)
    dynamodb = aws_client("dynamodb", aws)
    emf = io.StringIO()
    store = DynamoHealthStore(dynamodb, monitoring.health_table, Metrics(stream=emf))
    for minute in range(3):
        start = f"2026-11-26T08:0{minute}:00Z"
        for shard in ("shardId-000000000000", "shardId-000000000001"):
            store.put_shard_window(WindowPart(start, start, shard, "1"), _aggregates(4))
    torn_key = "2026-11-26T08:00:00Z#shardId-000000000001#1#0"
    item = dynamodb.get_item(TableName=monitoring.health_table, Key={"pk": {"S": "shards"}, "sk": {"S": torn_key}})
    item = item["Item"]
    item["blob"] = {"B": item["blob"]["B"][:20]}
    dynamodb.put_item(TableName=monitoring.health_table, Item=item)
    judge = Evaluator(
        EvaluationSettings(delay_seconds=0),
        store,
        sns_publisher(aws_client("sns", aws), monitoring.topic_arn),
        store.metrics,
    )
    # WHEN the evaluation runs, and runs again
    with caplog.at_level(logging.ERROR, logger="sluice.monitor.store"):
        first = judge.run(datetime(2026, 11, 26, 8, 5, tzinfo=UTC))
    # THEN every window is judged (the first on its readable shard), the torn item named and counted
    assert first.evaluated == ["2026-11-26T08:00:00Z", "2026-11-26T08:01:00Z", "2026-11-26T08:02:00Z"]
    windows = {w.start: w.aggregates.everything.counts["events"] for w in store.fleet_windows("0", "~")}
    assert windows == {"2026-11-26T08:00:00Z": 4, "2026-11-26T08:01:00Z": 8, "2026-11-26T08:02:00Z": 8}
    flagged = [r for r in caplog.records if r.getMessage() == "health item unreadable: skipped"]
    assert [r.sk_prefix for r in flagged] == ["2026-11-26T08:00:00Z#shardId-000000000001#1"]
    metrics = [json.loads(line) for line in emf.getvalue().splitlines()]
    assert sum(m.get("UnreadableHealthItems", 0) for m in metrics) == 1
    store.put_shard_window(WindowPart("2026-11-26T08:03:00Z", "", SHARD, "1"), _aggregates(4))
    assert judge.run(datetime(2026, 11, 26, 8, 6, tzinfo=UTC)).evaluated == ["2026-11-26T08:03:00Z"]


def test_a_cause_holding_line_feeds_and_control_characters_is_published_with_a_subject_sns_takes(
    aws, pipeline, monitoring
):
    # GIVEN an incident whose cause is a content id with a line feed, control characters and emoji
    cause = "intro\nBcc: everyone\r\n\x00\x1b[31m\U0001f3ac" + "x" * 200
    message = AlertMessage(
        "inc-1", "opened", "2026-11-26T08:00:00Z", "2026-11-26T08:01:00Z", "start_failures",
        "video_start_failure_rate", {"content": cause}, 0.5, 0.01, 40, 0.9, 0.01,
    )  # fmt: skip
    # WHEN it is published
    sns_publisher(aws_client("sns", aws), monitoring.topic_arn)(message)
    # THEN the subject is one line of printable ASCII under 100 characters; the body keeps the cause whole
    (alert,) = received_alerts(aws, monitoring.alerts_queue)
    subject = alert["subject"]
    assert subject.isascii() and subject.isprintable() and len(subject) < 100, subject
    assert subject.startswith("Sluice opened: video_start_failure_rate on content=intro Bcc: everyone ?")
    assert alert["cause"] == {"content": cause}


def test_stored_parts_of_a_window_never_share_a_key(aws, pipeline, monitoring):
    # the sort key of the longest shard id and sequence number stays inside DynamoDB's 1,024 bytes
    store = DynamoHealthStore(aws_client("dynamodb", aws), monitoring.health_table)
    long_part = "9" * 129
    for part in (long_part, long_part[:-1] + "8"):
        store.put_shard_window(WindowPart("2026-11-26T08:00:00Z", "", "s" * 2000, part), _aggregates(2))
    windows = store.pending_windows(None, "2026-11-26T08:00:00Z")
    assert [w.everything.counts["events"] for w in windows["2026-11-26T08:00:00Z"]] == [2, 2]
