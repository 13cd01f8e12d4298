"""A torn evaluator-state item (moto DynamoDB): skipped, logged and counted, and the evaluation
goes on judging windows; the state item has no TTL, so it would otherwise stop alerting for ever."""

from __future__ import annotations

import io
import json
import logging
from datetime import UTC, datetime

import pytest
from support.aws import aws_client, create_monitoring
from support.factories import clean_record

from sluice.monitor.aggregate import WindowAggregates
from sluice.monitor.evaluator import EvaluationSettings, Evaluator
from sluice.monitor.store import DynamoHealthStore, WindowPart
from sluice.runtime.metrics import Metrics

SHARD = "shardId-000000000000"
STATE_KEY = {"pk": {"S": "evaluator"}, "sk": {"S": "state"}}


def _aggregates(events: int) -> WindowAggregates:
    aggregates = WindowAggregates()
    for _ in range(events):
        aggregates.add_event(clean_record())
    return aggregates


@pytest.mark.parametrize(
    "torn",
    [
        {"incidents": {"S": '[{"incident_id": "i-1", "cau'}, "version": {"N": "7"}},  # cut short
        {"incidents": {"S": "[]"}},  # no version
        {"incidents": {"S": "[]"}, "version": {"S": "seven"}},  # written by something else
    ],
)
def test_a_torn_evaluator_state_is_skipped_and_flagged_and_windows_are_judged(aws, torn, caplog):
    monitoring = create_monitoring(aws)
    dynamodb = aws_client("dynamodb", aws)
    emf = io.StringIO()
    store = DynamoHealthStore(dynamodb, monitoring.health_table, Metrics(stream=emf))
    # GIVEN two windows to judge and an evaluator state that cannot be read
    for minute in range(2):
        start = f"2026-11-26T08:0{minute}:00Z"
        store.put_shard_window(WindowPart(start, start, SHARD, "1"), _aggregates(4))
    state = {**STATE_KEY, "last_window": {"S": "2026-11-26T07:59:00Z"}, **torn}
    dynamodb.put_item(TableName=monitoring.health_table, Item=state)
    judge = Evaluator(EvaluationSettings(delay_seconds=0), store, lambda message: None, store.metrics)
    # WHEN the evaluation runs
    with caplog.at_level(logging.ERROR, logger="sluice.monitor.store"):
        outcome = judge.run(datetime(2026, 11, 26, 8, 3, tzinfo=UTC))
    # THEN the windows after its last readable window are judged, and the state written anew
    assert outcome.evaluated == ["2026-11-26T08:00:00Z", "2026-11-26T08:01:00Z"]
    assert store.evaluator_state().last_window == "2026-11-26T08:01:00Z"
    # AND the torn item is named in the log and counted
    assert [r.getMessage() for r in caplog.records] == ["health item unreadable: skipped"]
    metrics = [json.loads(line) for line in emf.getvalue().splitlines()]
    assert sum(m.get("UnreadableHealthItems", 0) for m in metrics) == 1
