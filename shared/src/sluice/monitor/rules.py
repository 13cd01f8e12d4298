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

From the CDN's requests (``requests.py``), as sampled:

- ``media_request_errors``: media requests answered with a status of 400 or more, per request.
- ``sessions_first_requests_failed``: sessions whose first requests in the window all failed, per
  session seen in the requests.
- ``time_to_first_byte_p95``: the edge's time to first byte; tested as the share of requests
  slower than the baseline's p95.
- ``origin_first_byte_p95``: the origin's first-byte latency of the requests CloudFront took to
  it; tested as the share slower than the baseline's p95.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sluice.monitor.aggregate import Aggregate, Cause
from sluice.monitor.significance import Baseline, ProportionTest
from sluice.monitor.sketch import QuantileSketch

__all__ = ["BY_NAME", "PART_OF", "RULES", "RULE_NAMES", "Counter", "Evidence", "ProportionRule", "QuantileRule", "Rule"]

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
    # Its trials are the CDN's requests, as sampled: what they cost scales by 100 / rate.
    sampled: bool = False

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
class QuantileRule:
    """The p95 of a time moved up: more than 5% of this window's values are slower than the
    baseline's p95. A shift of the whole distribution shows as that share rising."""

    name: str
    metric: str
    sketch: Callable[[Aggregate], QuantileSketch]
    quantile: float = 0.95
    sampled: bool = False
    # A value is judged on its own history only, never on the fleet's: a request's time depends on
    # where it was served (a miss waits for its origin, an origin far away is slower), so the
    # fleet's p95 says nothing of a value's until it has a baseline of its own.
    own_history: bool = False

    def evidence(
        self, cause: Cause, current: Aggregate, own: Aggregate | None, fleet: Aggregate, prior: float
    ) -> Evidence | None:
        if self.sketch(fleet).count < prior:
            return None  # no baseline yet
        mine, theirs = self.sketch(current), self.sketch(own) if own is not None else None
        if self.own_history and (theirs is None or theirs.count < prior):
            return None
        reference = theirs if theirs is not None and theirs.count >= prior else self.sketch(fleet)
        threshold = reference.quantile(self.quantile)
        observed = mine.quantile(self.quantile)
        if threshold is None or observed is None:
            return None
        slower = _count_above(mine, threshold)
        own_slower = _count_above(theirs, threshold) if theirs is not None else 0
        own_count = theirs.count if theirs is not None else 0
        test = ProportionTest(slower, mine.count, Baseline.of(own_slower, own_count, 1 - self.quantile, prior))
        return Evidence(self.name, self.metric, cause, test, observed, threshold)

    def counts(self, aggregate: Aggregate, evidence: Evidence) -> tuple[int, int]:
        sketch = self.sketch(aggregate)
        return _count_above(sketch, evidence.baseline), sketch.count


def _count_above(sketch: QuantileSketch, value: float) -> int:
    key = QuantileSketch.key(value)
    return sum(count for bucket, count in sketch.buckets.items() if bucket > key)


Rule = ProportionRule | QuantileRule

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
    QuantileRule("startup_time_p95", "startup_time_p95_ms", lambda a: a.startup),
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
    ProportionRule(
        "media_request_errors",
        "media_request_error_rate",
        lambda a: a.counts["media_request_errors"],
        lambda a: a.counts["media_requests"],
        sampled=True,
    ),
    ProportionRule(
        "sessions_first_requests_failed",
        "sessions_first_requests_failed_rate",
        lambda a: a.counts["request_sessions_first_failed"],
        lambda a: a.counts["request_sessions"],
    ),
    QuantileRule(
        "time_to_first_byte_p95", "time_to_first_byte_p95_ms", lambda a: a.first_byte, sampled=True, own_history=True
    ),
    QuantileRule(
        "origin_first_byte_p95",
        "origin_first_byte_p95_ms",
        lambda a: a.origin_first_byte,
        sampled=True,
        own_history=True,
    ),
)
# rule -> the rule whose failures include its own: every video start failure is a fatal error too,
# so an outage of failed starts also raises the fatal error share, and is named as the former
PART_OF = {"video_start_failures": "fatal_error_share"}
RULE_NAMES = tuple(rule.name for rule in RULES)
BY_NAME = {rule.name: rule for rule in RULES}
