"""The evaluator as its Lambda handler builds it (the second handler of the monitor image): its
configuration, the health table and the alert topic. Apart from ``sluice.monitor.evaluator`` so
that the evaluation's logic never imports the configuration that loads it (no import cycle)."""

from __future__ import annotations

from sluice.monitor.evaluator import Evaluator
from sluice.runtime.metrics import Metrics

__all__ = ["evaluator_from_env"]


def evaluator_from_env() -> Evaluator:
    """The evaluator as its Lambda handler builds it: the health table, the alert topic."""
    from sluice.aws.clients import client
    from sluice.monitor.config import EvaluatorConfig
    from sluice.monitor.outputs import sns_publisher
    from sluice.monitor.store import DynamoHealthStore

    config = EvaluatorConfig.from_env()
    metrics = Metrics(dimensions={"Stage": "monitor-evaluator"})
    store = DynamoHealthStore(client("dynamodb"), config.health_table, metrics)
    return Evaluator(config.settings, store, sns_publisher(client("sns"), config.alert_topic_arn), metrics)
