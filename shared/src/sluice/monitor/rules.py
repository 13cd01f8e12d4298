"""Alert rules over one window's aggregates (and, for jumps, the preceding windows)."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

from sluice.monitor.aggregate import ALL, OTHER, Aggregate, WindowAggregates
from sluice.monitor.config import Thresholds

BaselineLookup = Callable[[str, str], Aggregate | None]


@dataclass(frozen=True)
class Alert:
    rule: str
    dimension: str
    value: str
    metric: str
    observed: float
    baseline: float
    window_start: str
    window_end: str
    detail: str

    @property
    def cause(self) -> str:
        """What the cool-down is keyed on: the same rule on the same dimension value."""
        return f"{self.rule}#{self.dimension}#{self.value}"

    def subject(self) -> str:
        return f"Sluice: {self.metric} {self.observed:.1%} on {self.dimension}={self.value}"[:100]

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class _Window:
    start: str
    end: str
    t: Thresholds


# Every rule's name: a part of the monitor's DynamoDB keys (tests bound the longest key).
RULES = ("start_failures", "rebuffer_jump", "fatal_concentration")
START_FAILURE_DIMENSIONS = ("all", "cdn", "player_version", "device_class", "country", "content")
CONCENTRATION_DIMENSIONS = ("cdn", "player_version")


def evaluate(
    window: WindowAggregates, start: str, end: str, thresholds: Thresholds, baseline: BaselineLookup
) -> list[Alert]:
    w = _Window(start, end, thresholds)
    alerts: list[Alert] = []
    for dimension in START_FAILURE_DIMENSIONS:
        for value, aggregate in window.by_dimension.get(dimension, {}).items():
            if value == OTHER:
                continue
            alerts += _start_failures(w, dimension, value, aggregate)
            alerts += _rebuffer_jump(w, dimension, value, aggregate, baseline)
    everything = window.by_dimension.get("all", {}).get(ALL)
    if everything is not None:
        for dimension in CONCENTRATION_DIMENSIONS:
            alerts += _fatal_concentration(w, dimension, window.by_dimension.get(dimension, {}), everything)
    return alerts


def _start_failures(w: _Window, dimension: str, value: str, a: Aggregate) -> list[Alert]:
    t, start, end = w.t, w.start, w.end
    attempts = a.counts["attempts"]
    if attempts < t.min_attempts:
        return []
    rate = a.counts["video_start_failures"] / attempts
    if rate <= t.start_failure_rate:
        return []
    return [
        Alert(
            "start_failures",
            dimension,
            value,
            "video_start_failure_rate",
            rate,
            t.start_failure_rate,
            start,
            end,
            f"{a.counts['video_start_failures']} of {attempts} attempts failed to start",
        )
    ]


def _rebuffer_jump(w: _Window, dimension: str, value: str, a: Aggregate, baseline: BaselineLookup) -> list[Alert]:
    t, start, end = w.t, w.start, w.end
    watch, rebuffer = a.counts["watch_ms"], a.counts["rebuffer_ms"]
    if watch < t.rebuffer_min_watch_minutes * 60_000:
        return []
    before = baseline(dimension, value)
    if before is None or before.counts["watch_ms"] < t.rebuffer_min_watch_minutes * 60_000:
        return []
    # Both sums are positive: ingest refuses negative durations (the schema's bounds).
    ratio = rebuffer / (watch + rebuffer)
    base = before.counts["rebuffer_ms"] / (before.counts["watch_ms"] + before.counts["rebuffer_ms"])
    if ratio <= base * t.rebuffer_jump_factor or ratio - base < t.rebuffer_min_increase:
        return []
    return [
        Alert(
            "rebuffer_jump",
            dimension,
            value,
            "rebuffer_ratio",
            ratio,
            base,
            start,
            end,
            f"rebuffering {ratio:.2%} of playing time against {base:.2%} in the preceding windows",
        )
    ]


def _fatal_concentration(
    w: _Window, dimension: str, values: dict[str, Aggregate], everything: Aggregate
) -> list[Alert]:
    t, start, end = w.t, w.start, w.end
    total_fatal = everything.counts["fatal_errors"]
    total_attempts = max(everything.counts["attempts"], 1)
    alerts = []
    for value, a in values.items():
        fatal = a.counts["fatal_errors"]
        if value == OTHER or fatal < t.min_fatal_errors or not total_fatal:
            continue
        share = fatal / total_fatal
        traffic_share = a.counts["attempts"] / total_attempts
        # Concentrated: most fatal errors, and far more than this value's share of the traffic.
        if share >= t.fatal_share and share >= 2 * traffic_share:
            alerts.append(
                Alert(
                    "fatal_concentration",
                    dimension,
                    value,
                    "fatal_error_share",
                    share,
                    traffic_share,
                    start,
                    end,
                    f"{fatal} of {total_fatal} fatal errors on {traffic_share:.0%} of the attempts",
                )
            )
    return alerts
