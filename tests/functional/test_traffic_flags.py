"""Bots and test players through ingest, the processor and the monitor against the AWS API
emulator: answered 200, then kept in the lake and on the clean stream with what flagged them,
never dropped, and left out of player health."""

from __future__ import annotations

import io
import json
import time
import uuid
from datetime import UTC, datetime

from sluice_tools.opensearch.bootstrap import bootstrap
from sluice_tools.opensearch.client import build_client
from sluice_tools.tumbling import run_windows
from sluice_tools.warehouse.migrate import migrate
from sqlalchemy import text
from support.apigateway import http_api_event
from support.aws import (
    bucket_lines,
    create_monitoring,
    kinesis_events_by_shard,
    notify_queue,
    read_stream,
    sqs_event,
    stream_arn,
)
from support.factories import player_json
from support.opensearch_double import bulk_double
from support.stages import indexer, ingest_service, loader, monitor, processor

from sluice.batch.kinesis import iter_records
from sluice.events.codec import Codec
from sluice.processor.config import ProcessorConfig
from sluice.runtime.deadline import Deadline
from sluice.runtime.metrics import Metrics
from sluice.sinks.opensearch.client import ClusterConfig
from sluice.warehouse.tables import FACT_TABLE

VIEWER = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
HEADLESS = (
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36"
)
GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"
SCRIPT = "Python-urllib/3.11"


def _send(
    aws, pipeline, user_agent: str, player: str = "sluice-web", event_type: str = "heartbeat", *, session: str = ""
) -> str:
    """One event POSTed with ``user_agent`` as a player sends it (in ``session``, when given); its event id."""
    client_time = datetime.fromtimestamp(time.time() - 2, UTC).isoformat(timespec="milliseconds")
    event = player_json(
        event_type, client_time=client_time.replace("+00:00", "Z"), player={"name": player, "version": "1.0"}
    )
    if session:
        event["session_id"] = session
    response = ingest_service(aws, pipeline).handle(
        http_api_event(json.dumps(event), headers={"user-agent": user_agent}), Deadline.after(20)
    )
    assert response["statusCode"] == 200 and json.loads(response["body"])["accepted"] == 1, response
    return str(event["event_id"])


def _process(aws, pipeline, config: ProcessorConfig | None = None) -> dict[str, float]:
    """The processor over the raw stream, as Lambda delivers it; its metrics."""
    stage = processor(aws, pipeline, test_players=frozenset({"qa-harness"}))
    if config is not None:
        stage.config = config
    emf = io.StringIO()
    stage.metrics = Metrics(stream=emf)
    for event in kinesis_events_by_shard(read_stream(aws, pipeline.raw_stream)):
        assert stage.handle(event, Deadline.after(30)) == {"batchItemFailures": []}
    metrics: dict[str, float] = {}
    for line in emf.getvalue().splitlines():
        for name, value in json.loads(line).items():
            if not name.startswith("_"):
                metrics[name] = metrics.get(name, 0) + (sum(value) if isinstance(value, list) else value)
    return metrics


def _flags_in_lake(aws, pipeline) -> dict[str, tuple[str | None, str | None]]:
    rows = [json.loads(line) for line in bucket_lines(aws, pipeline.lake_bucket, "events/")]
    return {r["event_id"]: (r.get("enrichment_traffic_class"), r.get("enrichment_traffic_reason")) for r in rows}


def _flags_on_clean_stream(aws, pipeline) -> dict[str, tuple[str | None, str | None]]:
    codec = Codec()
    records = [codec.decode(r.data) for r in iter_records({"Records": read_stream(aws, pipeline.clean_stream)})]
    return {r["event_id"]: (r["enrichment"]["traffic_class"], r["enrichment"]["traffic_reason"]) for r in records}


def test_bots_and_test_players_are_kept_in_the_lake_and_the_clean_stream_with_their_reason(aws, pipeline):
    # GIVEN a viewer, scripts, a headless browser, a crawler and a test harness, each answered 200
    ids = {
        "viewer": _send(aws, pipeline, VIEWER),
        "script": _send(aws, pipeline, SCRIPT),
        "headless": _send(aws, pipeline, HEADLESS),
        "crawler": _send(aws, pipeline, GOOGLEBOT),
        "tester": _send(aws, pipeline, VIEWER, player="QA-Harness"),
    }
    # WHEN the processor takes the raw stream with the default bot pattern
    metrics = _process(aws, pipeline)
    # THEN every event is in the lake and on the clean stream, the non-viewing ones flagged with why
    expected = {
        ids["viewer"]: (None, None),
        ids["script"]: ("bot", "parser:Spider"),
        ids["headless"]: ("bot", "pattern:Headless"),
        ids["crawler"]: ("bot", "parser:Spider"),
        ids["tester"]: ("test", "test_player:qa-harness"),
    }
    assert _flags_in_lake(aws, pipeline) == expected
    assert _flags_on_clean_stream(aws, pipeline) == expected
    assert bucket_lines(aws, pipeline.lake_bucket, "failed/") == []
    # and the metrics count them as flagged, all of them routed
    assert (metrics["Flagged.bot"], metrics["Flagged.test"]) == (3, 1)
    assert (metrics["LakeEvents"], metrics["CleanEvents"]) == (5, 5)
    assert not any(name.startswith("Dropped") for name in metrics)


def test_with_no_bot_pattern_the_parsers_bot_class_still_flags_and_nothing_is_dropped(aws, pipeline):
    # GIVEN SLUICE_BOT_PATTERN=none
    config = ProcessorConfig.from_env(
        {
            "SLUICE_LAKE_FIREHOSE": pipeline.lake_firehose,
            "SLUICE_CLEAN_STREAM": pipeline.clean_stream,
            "SLUICE_FAILED_FIREHOSE": pipeline.failed_firehose,
            "SLUICE_BOT_PATTERN": "none",
        }
    )
    headless, crawler, script = (_send(aws, pipeline, ua) for ua in (HEADLESS, GOOGLEBOT, SCRIPT))
    # WHEN the processor takes them
    metrics = _process(aws, pipeline, config)
    # THEN the headless browser is not flagged by a pattern; the parser's Spider class still flags
    expected = {headless: (None, None), crawler: ("bot", "parser:Spider"), script: ("bot", "parser:Spider")}
    assert _flags_in_lake(aws, pipeline) == expected
    assert _flags_on_clean_stream(aws, pipeline) == expected
    assert metrics["Flagged.bot"] == 2


def test_flagged_events_are_indexed_with_their_reason(aws, pipeline):
    # GIVEN a viewer and a headless browser through the processor
    viewer, headless = _send(aws, pipeline, VIEWER), _send(aws, pipeline, HEADLESS)
    _process(aws, pipeline)
    with bulk_double() as cluster:
        # WHEN the indexer takes the clean stream, into indices of the template (dynamic: strict)
        bootstrap(build_client(ClusterConfig(url=cluster.url)), "sluice-events")
        stage = indexer(aws, pipeline, cluster.url)
        event = {"Records": read_stream(aws, pipeline.clean_stream)}
        assert stage.handle(event, Deadline.after(30)) == {"batchItemFailures": []}
        stored = cluster.documents("sluice-events-*")
    # THEN both are documents, the headless browser's flagged
    assert set(stored) == {viewer, headless}
    assert "enrichment_traffic_class" not in stored[viewer]
    flagged = stored[headless]
    assert (flagged["enrichment_traffic_class"], flagged["enrichment_traffic_reason"]) == ("bot", "pattern:Headless")
    assert bucket_lines(aws, pipeline.lake_bucket, "failed/") == []


def test_an_existing_warehouse_gains_the_flag_columns_and_flagged_events_are_rows(aws, pipeline, warehouse):
    # GIVEN a warehouse as the schema before the flags made it, then migrated
    new_columns = ["enrichment_traffic_class", "enrichment_traffic_reason"]
    with warehouse.begin() as connection:
        for name in new_columns:
            connection.exec_driver_sql(f'ALTER TABLE {FACT_TABLE} DROP COLUMN "{name}"')
    assert sorted(migrate(warehouse).added_columns) == [f"{FACT_TABLE}.{n}" for n in new_columns]
    # WHEN a viewer, a crawler and a test harness go through the processor and the loader
    queue = notify_queue(aws, pipeline.lake_bucket)
    viewer, crawler = _send(aws, pipeline, VIEWER), _send(aws, pipeline, GOOGLEBOT)
    tester = _send(aws, pipeline, VIEWER, player="qa-harness")
    _process(aws, pipeline)
    assert loader(aws, pipeline, warehouse).handle(sqs_event(aws, queue), Deadline.after(60)) == {
        "batchItemFailures": []
    }
    # THEN each is a row, the flagged ones saying why
    with warehouse.connect() as connection:
        rows = connection.execute(
            text(f"SELECT event_id, enrichment_traffic_class, enrichment_traffic_reason FROM {FACT_TABLE}")
        )
        flags = {event_id: (traffic, reason) for event_id, traffic, reason in rows}
    assert flags == {
        viewer: (None, None),
        crawler: ("bot", "parser:Spider"),
        tester: ("test", "test_player:qa-harness"),
    }


def test_flagged_events_do_not_move_player_health(aws, pipeline):
    # GIVEN two viewers starting a video, and bots and a test harness starting and failing to
    # start theirs (a crawler's failures would otherwise raise the start-failure rate)
    # (each its own session: a session's attempt counts once)
    viewers = [_send(aws, pipeline, VIEWER, event_type="session_start", session=str(uuid.uuid4())) for _ in range(2)]
    for user_agent, player in ((SCRIPT, "sluice-web"), (HEADLESS, "sluice-web"), (VIEWER, "qa-harness")):
        session = str(uuid.uuid4())
        _send(aws, pipeline, user_agent, player, event_type="session_start", session=session)
        _send(aws, pipeline, user_agent, player, event_type="error", session=session)
    _process(aws, pipeline)
    assert len(_flags_on_clean_stream(aws, pipeline)) == 8  # all on the clean stream
    # WHEN the monitor's windows run over the clean stream
    emf = io.StringIO()
    stage = monitor(aws, pipeline, create_monitoring(aws), emf_stream=emf)
    by_shard: dict[str, list[dict]] = {}
    for record in read_stream(aws, pipeline.clean_stream):
        by_shard.setdefault(record["eventID"].split(":")[0], []).append(record)
    for shard, records in by_shard.items():
        run_windows(
            lambda event: stage.handle(event, Deadline.after(30)),
            shard,
            stream_arn(pipeline.clean_stream),
            records,
            window_seconds=60,
        )
    # THEN player health counts the viewers' two attempts and no failure
    health = [json.loads(line) for line in emf.getvalue().splitlines()]
    fleet = [line for line in health if line["Dimension"] == "all"]
    assert sum(line["Attempts"] for line in fleet) == len(viewers) == 2
    assert sum(line.get("VideoStartFailures", 0) for line in fleet) == 0
    assert sum(line.get("FatalErrors", 0) for line in fleet) == 0
    assert not any(line["Value"] == "bot" for line in health if line["Dimension"] == "device_class")
