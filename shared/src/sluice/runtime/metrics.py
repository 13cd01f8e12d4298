"""CloudWatch Embedded Metric Format: metrics written as structured log lines, which CloudWatch
turns into metrics without a PutMetricData call on the hot path (no extra latency, no throttling).
Spec: https://docs.aws.amazon.com/AmazonCloudWatch/latest/monitoring/CloudWatch_Embedded_Metric_Format_Specification.html
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from typing import IO, Any

__all__ = ["MAX_METRICS_PER_DOCUMENT", "Metrics"]

# EMF allows at most 100 metrics per document and 30 dimensions per set.
MAX_METRICS_PER_DOCUMENT = 100


class Metrics:
    """Collects values during an invocation and writes them as EMF documents on ``flush``."""

    def __init__(
        self, namespace: str = "Sluice", dimensions: dict[str, str] | None = None, stream: IO[str] | None = None
    ) -> None:
        self.namespace = namespace
        self.dimensions = dict(dimensions or {})
        self.stream = stream
        self._values: dict[str, list[float]] = defaultdict(list)
        self._units: dict[str, str] = {}
        self.properties: dict[str, Any] = {}

    def add(self, name: str, value: float, unit: str = "Count") -> None:
        self._values[name].append(value)
        self._units[name] = unit

    def documents(self) -> list[dict[str, Any]]:
        names = list(self._values)
        documents = []
        for start in range(0, len(names), MAX_METRICS_PER_DOCUMENT):
            chunk = names[start : start + MAX_METRICS_PER_DOCUMENT]
            document: dict[str, Any] = {
                "_aws": {
                    "Timestamp": int(time.time() * 1000),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": self.namespace,
                            "Dimensions": [list(self.dimensions)],
                            "Metrics": [{"Name": n, "Unit": self._units[n]} for n in chunk],
                        }
                    ],
                },
                **self.dimensions,
                **self.properties,
            }
            for name in chunk:
                values = self._values[name]
                document[name] = values[0] if len(values) == 1 else values
            documents.append(document)
        return documents

    def flush(self) -> None:
        stream = self.stream or sys.stdout
        for document in self.documents():
            stream.write(json.dumps(document) + "\n")
        stream.flush()
        self._values.clear()
        self.properties.clear()
