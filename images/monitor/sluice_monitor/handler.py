"""Lambda handlers of the monitor image.

- ``handle``: the clean Kinesis stream with tumbling windows in; window state back, and on each
  window's final invocation the shard's counters, metrics and rollups.
- ``evaluate``: on a schedule (EventBridge Scheduler), every due window judged over all shards
  combined: incidents opened, updated and resolved on the alert topic.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sluice.monitor.evaluator import Evaluator, evaluator_from_env, scheduled_time
from sluice.monitor.service import Monitor
from sluice.producers.retry import Deadline, bind_deadline
from sluice.runtime.logging import bind_request, setup_logging

setup_logging("monitor")


@cache
def _monitor() -> Monitor:
    """Built on the first invocation (not at import), reused while the environment is warm."""
    return Monitor.from_env()


@cache
def _evaluator() -> Evaluator:
    return evaluator_from_env()


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    bind_request(context)
    return _monitor().handle(event, Deadline.from_context(context))


def evaluate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    bind_request(context)
    deadline = Deadline.from_context(context)
    bind_deadline(deadline)  # every DynamoDB and SNS call ends before it
    outcome = _evaluator().run(scheduled_time(event), deadline.has_time)
    return {
        "evaluated": outcome.evaluated,
        "messages": [{"incident_id": m.incident_id, "status": m.status} for m in outcome.messages],
    }
