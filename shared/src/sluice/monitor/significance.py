"""Evidence, not thresholds: is a rate in this window higher than its baseline by more than chance?

Every rule reduces to a proportion: ``x`` of ``n`` trials went wrong (start failures of attempts,
stalled heartbeat intervals of all intervals, ...). The window's rate is significantly above the
baseline rate when the lower Wilson score bound of ``x / n`` (Wilson, 1927) clears the upper
Wilson bound of the baseline. Wilson's interval stays honest for small ``n`` and for rates near 0
where the normal approximation does not: 1 failure in 7 attempts has a lower bound near 0.

Many values are tested in every window. With ``m`` tests and a family-wise significance level
``alpha``, each test is made at ``alpha / m`` (Bonferroni), so the chance of *any* false alert in a
window of normal traffic is at most ``alpha``: at the default 0.0001 and one-minute windows, one
false alert in about 10,000 minutes (a week) of normal traffic, before the minimum of impacted
sessions and the minimum lift cut it further.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from statistics import NormalDist

__all__ = ["Baseline", "ProportionTest", "wilson_interval", "wilson_lower", "wilson_upper", "z_for"]

_NORMAL = NormalDist()


def z_for(alpha: float, tests: int) -> float:
    """The one-sided z that keeps ``tests`` tests at family-wise level ``alpha`` (Bonferroni)."""
    return _NORMAL.inv_cdf(1 - alpha / max(tests, 1))


def wilson_interval(x: float, n: float, z: float) -> tuple[float, float]:
    """Wilson's score interval for ``x`` of ``n`` at ``z`` ((0, 1) when nothing was tried)."""
    if n <= 0:
        return 0.0, 1.0
    p = x / n
    centre = p + z * z / (2 * n)
    spread = z * math.sqrt(max(p * (1 - p), 0.0) / n + z * z / (4 * n * n))
    scale = 1 + z * z / n
    return max(0.0, (centre - spread) / scale), min(1.0, (centre + spread) / scale)


def wilson_lower(x: float, n: float, z: float) -> float:
    return wilson_interval(x, n, z)[0]


def wilson_upper(x: float, n: float, z: float) -> float:
    return wilson_interval(x, n, z)[1]


@dataclass(frozen=True)
class Baseline:
    """The expected rate: the value's own preceding windows, pulled towards the fleet's rate by
    ``prior`` pseudo-trials, so a value with little history is judged against the fleet."""

    x: float
    n: float

    @classmethod
    def of(cls, own_x: int, own_n: int, fleet_rate: float, prior: float) -> Baseline:
        return cls(own_x + prior * fleet_rate, own_n + prior)

    @property
    def rate(self) -> float:
        return self.x / self.n if self.n else 0.0

    def upper(self, z: float) -> float:
        return wilson_upper(self.x, self.n, z)


@dataclass(frozen=True)
class ProportionTest:
    """``x`` of ``n`` against a baseline, at the z a window's tests share."""

    x: int
    n: int
    baseline: Baseline

    @property
    def rate(self) -> float:
        return self.x / self.n if self.n else 0.0

    @property
    def excess(self) -> float:
        """Trials beyond what the baseline rate expects: the sessions the problem cost."""
        return self.x - self.n * self.baseline.rate

    def significant(self, z: float, baseline_z: float) -> bool:
        return wilson_lower(self.x, self.n, z) > self.baseline.upper(baseline_z)
