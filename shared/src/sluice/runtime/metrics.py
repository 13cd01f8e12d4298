"""A stage's own metrics, written as CloudWatch Embedded Metric Format (EMF) lines: CloudWatch turns
them into metrics without a PutMetricData call on the hot path (no extra latency, no throttling).

Powertools for AWS Lambda writes and validates the documents: a value that is no number, a unit
CloudWatch does not know, more than 29 dimensions or a metric name out of 1..255 characters are
refused where they are added, and no document carries more than 100 metrics or 100 values of one
metric (the EMF specification's limits), all of which CloudWatch would otherwise reject or drop.

What is ours, and why:

- Each ``Metrics`` has its own provider. Powertools' ``Metrics`` class keeps its metric set in
  class attributes, shared by every instance in the process; several stages share a process
  locally (the in-process runtime), and each must write only its own values under its own
  ``Stage`` dimension.
- The namespace and the dimensions are given, never read from ``POWERTOOLS_METRICS_NAMESPACE``
  or ``POWERTOOLS_SERVICE_NAME`` (which the stacks set for the logs): a ``service`` dimension
  added by the environment would move the metrics off the ``Stage`` dimension the alarms watch.
- The lines go to ``stream`` (stdout by default, read at each flush): Powertools prints a full
  set itself, to stdout, when it reaches 100 metrics or values, so the set is written here one
  value before that, and every line reaches the stage's stream.
- Values must be finite: Powertools takes NaN and infinity, which JSON cannot carry.
- A metric's lone value is written as a number, not a one-element array (EMF takes both): Logs
  Insights sums numbers (``stats sum(RecordsProcessed)``), not arrays, and the lines stay as
  they were for the queries and tests that read them.
"""

from __future__ import annotations

import json
import math
import numbers
import sys
from typing import IO, Any

from aws_lambda_powertools.metrics.exceptions import MetricValueError
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.cloudwatch import AmazonCloudWatchEMFProvider
from aws_lambda_powertools.metrics.provider.cloudwatch_emf.constants import MAX_METRICS

__all__ = ["Metrics"]

# EMF: at most 100 metrics in a document, 100 values in one metric's array (MAX_METRICS, both);
# Powertools prints the set itself on reaching it, so this writer flushes one before.
_FLUSH_AT = MAX_METRICS - 1


class Metrics:
    """Collects values during an invocation and writes them as EMF documents on ``flush``."""

    def __init__(
        self, namespace: str = "Sluice", dimensions: dict[str, str] | None = None, stream: IO[str] | None = None
    ) -> None:
        self.namespace = namespace
        self.stream = stream
        # Every set passed in: the provider's defaults would be fresh dicts too, but spelling them
        # out keeps this instance's state visibly its own. service="": no dimension from the env.
        self._emf = AmazonCloudWatchEMFProvider(
            metric_set={}, dimension_set={}, metadata_set={}, namespace=namespace, service=""
        )
        # One by one, so the dimension limit is checked (the constructor's defaults are not).
        self._emf.set_default_dimensions(**(dimensions or {}))

    @property
    def dimensions(self) -> dict[str, str]:
        return dict(self._emf.default_dimensions)

    def add(self, name: str, value: float, unit: str = "Count") -> None:
        if isinstance(value, numbers.Real) and not math.isfinite(value):
            raise MetricValueError(f"{name}: {value} is not a finite number (an EMF value is a JSON number)")
        current = self._emf.metric_set.get(name)
        if (current is None and len(self._emf.metric_set) >= _FLUSH_AT) or (
            current is not None and len(current["Value"]) >= _FLUSH_AT
        ):
            self._write()
        self._emf.add_metric(name=name, unit=unit, value=value)

    def flush(self) -> None:
        self._write()
        (self.stream or sys.stdout).flush()
        self._emf.clear_metrics()  # values, metadata and added dimensions; the defaults stay

    def _write(self) -> None:
        if not self._emf.metric_set:
            return
        document: dict[str, Any] = dict(self._emf.serialize_metric_set())
        for name in self._emf.metric_set:
            if len(document[name]) == 1:
                document[name] = document[name][0]  # a lone value as a number (EMF takes both)
        (self.stream or sys.stdout).write(json.dumps(document, separators=(",", ":")) + "\n")
        self._emf.metric_set.clear()
