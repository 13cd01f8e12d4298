"""Lambda handlers of the monitor image.

- ``handle``: the clean Kinesis stream with tumbling windows in; window state back, and on each
  window's final invocation the shard's counters, metrics and rollups.
- ``evaluate``: on a schedule (EventBridge Scheduler), every due window judged over all shards
  combined: incidents opened, updated and resolved on the alert topic.
"""

from __future__ import annotations

from functools import cache
from typing import TYPE_CHECKING, Any

from sluice.monitor.service import Monitor
from sluice.runtime.deadline import Deadline, bind_deadline
from sluice.runtime.logging import setup_logging

if TYPE_CHECKING:
    from sluice.monitor.evaluator import Evaluator

log = setup_logging("monitor")
# The evaluation is a function of its own: its own stage label (its metrics' Stage dimension)
# and its own cold start.
evaluator_log = setup_logging("monitor-evaluator")


@cache
def _monitor() -> Monitor:
    """Built on the first invocation (not at import), reused while the environment is warm."""
    return Monitor.from_env()


@cache
def _evaluator() -> Evaluator:
    # Imported here: the two handlers are separate functions, and the stream handler's cold
    # start should not pay for the incident rules it never runs.
    from sluice.monitor.evaluation import evaluator_from_env

    return evaluator_from_env()


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    log.bind(context)
    return _monitor().handle(event, Deadline.from_context(context))


def evaluate(event: dict[str, Any], context: Any) -> dict[str, Any]:
    evaluator_log.bind(context)
    deadline = Deadline.from_context(context)
    bind_deadline(deadline)  # every DynamoDB and SNS call ends before it
    evaluator = _evaluator()
    from sluice.monitor.evaluator import scheduled_time

    outcome = evaluator.run(scheduled_time(event), deadline.has_time)
    return {
        "evaluated": outcome.evaluated,
        "messages": [{"incident_id": m.incident_id, "status": m.status} for m in outcome.messages],
    }
