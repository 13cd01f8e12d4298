"""The player-health rules: each QoE metric as a proportion that can be tested for significance.

Every rule turns a window's counters for one cause (a dimension value or a pair) into ``x`` of
``n`` trials that went wrong, and its baseline into the expected rate; ``significance.py`` decides
whether the difference is more than chance. Definitions (also in images/monitor/README.md):

- ``video_start_failures``: fatal errors before the first frame, per attempt (session_start).
- ``exits_before_video_start``: sessions that ended without an error before the first frame, per
  attempt.
- ``startup_time_p95``: startup time of the initial play; tested as the share of starts slower
  than the baseline's p95 (5% when nothing changed).
- ``rebuffer_ratio``: stalled time / (watch + stalled time), from heartbeats; tested as the share
  of heartbeat intervals that stalled.
- ``fatal_error_share``: sessions ended by a fatal error (before or after the first frame), per
  attempt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sluice.monitor.aggregate import Aggregate, Cause
from sluice.monitor.significance import Baseline, ProportionTest
from sluice.monitor.sketch import QuantileSketch

__all__ = ["BY_NAME", "PART_OF", "RULES", "RULE_NAMES", "Counter", "Evidence", "ProportionRule", "Rule", "StartupRule"]

Counter = Callable[[Aggregate], int]


@dataclass(frozen=True)
class Evidence:
    """One rule on one cause in one window: the test and the metric as a person reads it."""

    rule: str
    metric: str
    cause: Cause
    test: ProportionTest
    observed: float
    baseline: float


@dataclass(frozen=True)
class ProportionRule:
    name: str
    metric: str
    failures: Counter
    trials: Counter
    # How the metric reads (rebuffer ratio is time, tested through stalled intervals).
    shown: Callable[[Aggregate], float | None] | None = None

    def evidence(
        self, cause: Cause, current: Aggregate, own: Aggregate | None, fleet: Aggregate, prior: float
    ) -> Evidence | None:
        n, fleet_n = self.trials(current), self.trials(fleet)
        if not n or fleet_n < prior:
            return None  # nothing to test, or no baseline yet (the first windows of a deployment)
        fleet_rate = self.failures(fleet) / fleet_n
        own_x, own_n = (self.failures(own), self.trials(own)) if own is not None else (0, 0)
        # A window can hold failures of attempts made in the window before (a session that
        # starts at a window's end fails in the next): never more failures than trials.
        test = ProportionTest(min(self.failures(current), n), n, Baseline.of(own_x, own_n, fleet_rate, prior))
        observed, expected = test.rate, test.baseline.rate
        if self.shown is not None:
            observed = self.shown(current) or 0.0
            expected = next((v for v in (self.shown(own) if own else None, self.shown(fleet)) if v is not None), 0.0)
        return Evidence(self.name, self.metric, cause, test, observed, expected)

    def counts(self, aggregate: Aggregate, evidence: Evidence) -> tuple[int, int]:
        """(x, n) of this rule on part of a cause's sessions, to take them out of its test."""
        return self.failures(aggregate), self.trials(aggregate)


def _rebuffer_ratio(a: Aggregate) -> float | None:
    played = a.counts["watch_ms"] + a.counts["rebuffer_ms"]
    return a.counts["rebuffer_ms"] / played if played else None


@dataclass(frozen=True)
class StartupRule:
    """The p95 of startup time moved up: more than 5% of this window's starts are slower than
    the baseline's p95. A shift of the whole distribution shows as that share rising."""

    name: str = "startup_time_p95"
    metric: str = "startup_time_p95_ms"
    quantile: float = 0.95

    def evidence(
        self, cause: Cause, current: Aggregate, own: Aggregate | None, fleet: Aggregate, prior: float
    ) -> Evidence | None:
        if fleet.startup.count < prior:
            return None  # no baseline yet
        reference = own if own is not None and own.startup.count >= prior else fleet
        threshold = reference.startup.quantile(self.quantile)
        observed = current.startup.quantile(self.quantile)
        if threshold is None or observed is None:
            return None
        slower = _count_above(current.startup, threshold)
        own_slower = _count_above(own.startup, threshold) if own is not None else 0
        own_count = own.startup.count if own is not None else 0
        test = ProportionTest(
            slower, current.startup.count, Baseline.of(own_slower, own_count, 1 - self.quantile, prior)
        )
        return Evidence(self.name, self.metric, cause, test, observed, threshold)

    def counts(self, aggregate: Aggregate, evidence: Evidence) -> tuple[int, int]:
        return _count_above(aggregate.startup, evidence.baseline), aggregate.startup.count


def _count_above(sketch: QuantileSketch, value: float) -> int:
    key = QuantileSketch.key(value)
    return sum(count for bucket, count in sketch.buckets.items() if bucket > key)


Rule = ProportionRule | StartupRule

RULES: tuple[Rule, ...] = (
    ProportionRule(
        "video_start_failures",
        "video_start_failure_rate",
        lambda a: a.counts["video_start_failures"],
        lambda a: a.counts["attempts"],
    ),
    ProportionRule(
        "exits_before_video_start",
        "exit_before_video_start_rate",
        lambda a: a.counts["exits_before_video_start"],
        lambda a: a.counts["attempts"],
    ),
    StartupRule(),
    ProportionRule(
        "rebuffer_ratio",
        "rebuffer_ratio",
        lambda a: a.counts["stalled_heartbeats"],
        lambda a: a.counts["heartbeats"],
        shown=_rebuffer_ratio,
    ),
    ProportionRule(
        "fatal_error_share",
        "fatal_error_share",
        lambda a: a.counts["fatal_errors"],
        lambda a: a.counts["attempts"],
    ),
)
# rule -> the rule whose failures include its own: every video start failure is a fatal error too,
# so an outage of failed starts also raises the fatal error share, and is named as the former
PART_OF = {"video_start_failures": "fatal_error_share"}
RULE_NAMES = tuple(rule.name for rule in RULES)
BY_NAME = {rule.name: rule for rule in RULES}
