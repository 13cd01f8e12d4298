"""Root-cause isolation: which dimension value (or pair) explains a window's anomalies.

When one CDN fails, every country, device class and player version that uses it looks worse too.
Those are knock-ons: once the cause's sessions are taken out (its overlap with each of them, from
the pair counters), they are normal again. The cause is what remains standing:

1. ProportionTest every tracked value and pair on every rule (``rules.py``); an *anomaly* is significant at
   the window's Bonferroni z, costs at least ``min_impacted`` sessions and lifts the rate by at least
   ``min_lift`` times its baseline.
2. Open incidents' causes go first while they are still bad (at the looser ``hold_z``), so an
   incident keeps its cause while it lasts.
3. Then, greedily: among anomalies not yet explained, the candidates are *concentrated* (their
   share of the fleet's excess is at least ``concentration`` times their share of its traffic: a
   knock-on has about the same share of both) and, for a pair, neither of its values is still bad
   without it. Of the candidates within 80% of the largest excess, the most specific (fewest
   trials) is the cause: ``player_version=X`` rather than ``device_class=desktop`` when X runs on
   desktops only, ``cdn=fastly × country=GB`` rather than ``cdn=fastly`` when only that pair is bad.
   Its sessions are removed from every other anomaly, and the loop goes on.
4. If the fleet is still anomalous with every cause removed, the value that holds at least half of
   its excess, concentrated there and itself worse than its baseline (at ``hold_z``), is the cause
   (the fleet's test is the evidence: in an incident's first window the value may not yet have
   enough sessions of its own); with no such value, the cause is the whole fleet (``all``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from sluice.monitor.aggregate import (
    ALL,
    CDN_DIMENSIONS,
    CDN_PAIR_DIMENSIONS,
    KEY_ORDER,
    OTHER,
    TRACKED_PAIRS,
    Aggregate,
    Cause,
    WindowAggregates,
    cause_of,
)
from sluice.monitor.rules import BY_NAME, PART_OF, RULES, Evidence
from sluice.monitor.significance import Baseline, ProportionTest, z_for

__all__ = ["FLEET", "Finding", "Settings", "Window", "isolate"]

FLEET: Cause = (("all", ALL),)


@dataclass(frozen=True)
class Settings:
    alpha: float = 0.0001  # family-wise false-alarm rate per window (Bonferroni over the tests)
    min_impacted: int = 10  # sessions (or stalled intervals) beyond the baseline
    min_lift: float = 1.5  # the rate at least this many times its baseline
    baseline_z: float = 1.645  # the baseline's own uncertainty: its one-sided 95% upper bound
    hold_z: float = 3.0  # an open incident stays open while its cause is this bad
    prior: float = 100.0  # pseudo-trials of the fleet's rate in a value's baseline
    concentration: float = 1.5


@dataclass(frozen=True)
class Finding:
    cause: Cause
    primary: Evidence
    rules: tuple[Evidence, ...]
    explains_share: float  # of the fleet's excess on the primary rule
    fleet_rate_without: float | None  # the primary rule's fleet rate with the cause's sessions removed
    impacted: tuple[Cause, ...]  # knock-on anomalies the cause explains
    z: float
    tests: int


@dataclass
class Window:
    """A window's evidence: every rule on every tracked cause, and the z its tests share."""

    current: WindowAggregates
    baseline: WindowAggregates
    settings: Settings
    evidence: dict[Cause, list[Evidence]] = field(default_factory=dict)
    z: float = 0.0
    tests: int = 0

    def __post_init__(self) -> None:
        fleet = self.baseline.everything
        for dimension, values in self.current.by_dimension.items():
            for value, aggregate in values.items():
                if value == OTHER:
                    continue
                cause = cause_of(dimension, value)
                own = self.baseline.get(cause)
                found = [
                    e
                    for rule in RULES
                    if (e := rule.evidence(cause, aggregate, own, fleet, self.settings.prior)) is not None
                ]
                if found:
                    self.evidence[cause] = found
        self.tests = sum(len(found) for found in self.evidence.values())
        self.z = z_for(self.settings.alpha, self.tests)

    def anomalous(self, evidence: Evidence, test: ProportionTest | None = None, z: float | None = None) -> bool:
        s = self.settings
        t = test or evidence.test
        return (
            t.excess >= s.min_impacted
            and t.rate >= s.min_lift * t.baseline.rate
            and t.significant(self.z if z is None else z, s.baseline_z)
        )

    def still_bad(self, evidence: Evidence, test: ProportionTest | None = None) -> bool:
        t = test or evidence.test
        return t.excess > 0 and t.significant(self.settings.hold_z, self.settings.baseline_z)

    # --- removing a cause's sessions ----------------------------------------------------------
    def overlap(self, a: Cause, b: Cause, within: WindowAggregates | None = None) -> Aggregate | None:
        """The sessions two causes share (None: disjoint), in this window or ``within`` another
        (the baseline). Past a tracked pair (three values, or two whose pair is not tracked: an
        edge location and a country), the smallest tracked pair or value that contains the overlap
        stands for it: removing too much only makes a knock-on look explained."""
        counted = self.current if within is None else within
        if a == FLEET:
            return counted.get(b)
        if b in (FLEET, a):
            return counted.get(a)
        entries = dict(a)
        for dimension, value in b:
            if entries.get(dimension, value) != value:
                return None  # same dimension, other value
            entries[dimension] = value
        union = tuple(sorted(entries.items(), key=lambda e: _ORDER[e[0]]))
        if len(union) == 2 and (union[0][0], union[1][0]) in TRACKED_PAIRS:
            return counted.get(union)
        tracked = [(x, y) for i, x in enumerate(union) for y in union[i + 1 :] if (x[0], y[0]) in TRACKED_PAIRS]
        if tracked:
            pairs = [p for pair in tracked if (p := counted.get(pair))]
            return min(pairs, key=lambda p: p.counts["events"], default=None)  # a tracked pair empty: disjoint
        singles = [p for entry in union if (p := counted.get((entry,)))]
        return min(singles, key=lambda p: p.counts["events"], default=None)

    def residual(self, evidence: Evidence, removed: list[Cause]) -> ProportionTest:
        """The evidence's test with the removed causes' sessions taken out; for a rule judged on
        its own history, out of its baseline too (``QuantileRule.own_history``: the fleet without
        a slow origin is the other origins, whose p95 was never the fleet's)."""
        rule = BY_NAME[evidence.rule]
        x, n = evidence.test.x, evidence.test.n
        baseline = evidence.test.baseline
        for cause in removed:
            shared = self.overlap(evidence.cause, cause)
            if shared is not None:
                dx, dn = rule.counts(shared, evidence)
                x, n = x - dx, n - dn
            before = self.overlap(evidence.cause, cause, self.baseline) if getattr(rule, "own_history", False) else None
            if before is not None:
                dx, dn = rule.counts(before, evidence)
                baseline = Baseline(max(baseline.x - dx, 0), max(baseline.n - dn, 0))
        return ProportionTest(max(x, 0), max(n, 0), baseline)


_SERVED = frozenset({"cdn", *CDN_DIMENSIONS, *CDN_PAIR_DIMENSIONS})
_ORDER = {dimension: index for index, dimension in enumerate(KEY_ORDER)}  # the order pairs are kept in


def isolate(window: Window, open_causes: list[Cause]) -> list[Finding]:
    chosen: list[Cause] = []
    fleet = {e.rule: e for e in window.evidence.get(FLEET, [])}
    for cause in open_causes:
        if any(window.still_bad(e) for e in window.evidence.get(cause, [])):
            chosen.append(cause)
    anomalies = [e for found in window.evidence.values() for e in found if window.anomalous(e)]
    while pick := _pick(window, anomalies, chosen, fleet, window.anomalous):
        chosen.append(pick.cause)
    fleet_left = [e for e in fleet.values() if e in anomalies and window.anomalous(e, window.residual(e, chosen))]
    if fleet_left and FLEET not in chosen:
        # The fleet is anomalous beyond every cause found: attribute it to a value that holds
        # most of its excess, is concentrated there and is itself worse than its baseline (the
        # fleet's test is the evidence; an early window may not yet give the value its own).
        everything = [e for found in window.evidence.values() for e in found if e.rule in {f.rule for f in fleet_left}]
        pick = _pick(window, everything, chosen, fleet, window.still_bad, explains=0.5)
        chosen.append(pick.cause if pick else FLEET)
    return [_finding(window, cause, chosen, anomalies, fleet) for cause in chosen]


def _pick(
    window: Window,
    pool: list[Evidence],
    chosen: list[Cause],
    fleet: dict[str, Evidence],
    passes: Callable[[Evidence, ProportionTest], bool],
    *,
    explains: float = 0.0,
) -> Evidence | None:
    """The next cause: of the concentrated candidates within 80% of the largest excess (with the
    causes already chosen taken out), the most specific."""
    candidates = []
    for e in pool:
        if e.cause in chosen or e.cause == FLEET:
            continue
        rest = window.residual(e, chosen)
        if (
            passes(e, rest)
            and _concentrated(window, e, rest, fleet, chosen, explains=explains)
            and _narrowest(window, e)
        ):
            candidates.append((rest.excess, e))
    if not candidates:
        return None
    largest = max(excess for excess, _ in candidates)
    return min((e for x, e in candidates if x >= 0.8 * largest), key=lambda e: (e.test.n, _audience(e.cause)))


def _audience(cause: Cause) -> bool:
    """Whether a cause names only who the viewers are, not where they were served: of two
    candidates with the same trials (the one edge location serving the one country) the edge."""
    return not any(dimension in _SERVED for dimension, _ in cause)


def _concentrated(
    window: Window,
    e: Evidence,
    rest: ProportionTest,
    fleet: dict[str, Evidence],
    chosen: list[Cause],
    *,
    explains: float,
) -> bool:
    whole = fleet.get(e.rule)
    if whole is None or not whole.test.n:
        return True
    fleet_rest = window.residual(whole, chosen)
    excess_share = rest.excess / max(fleet_rest.excess, rest.excess)
    traffic_share = rest.n / max(fleet_rest.n, 1)
    return excess_share >= max(explains, window.settings.concentration * traffic_share)


def _narrowest(window: Window, e: Evidence) -> bool:
    """A pair is the cause only when neither of its values is still bad without it."""
    if len(e.cause) < 2:
        return True
    for single in e.cause:
        alone = next((s for s in window.evidence.get((single,), []) if s.rule == e.rule), None)
        if alone is not None and window.still_bad(alone, window.residual(alone, [e.cause])):
            return False
    return True


def _headline(bad: list[Evidence]) -> Evidence:
    """The rule a finding is named by: the largest excess for its baseline, except that failed
    starts that make up most of the fatal errors' excess are named as failed starts (the fatal
    error share only repeats them, and which of the two scores higher is down to the baselines)."""
    primary = max(bad, key=lambda e: e.test.excess / max(e.test.n * e.test.baseline.rate, 1.0))
    part = next((e for e in bad if PART_OF.get(e.rule) == primary.rule), None)
    if part is not None and part.test.excess >= 0.5 * primary.test.excess:
        return part
    return primary


def _finding(
    window: Window, cause: Cause, chosen: list[Cause], anomalies: list[Evidence], fleet: dict[str, Evidence]
) -> Finding:
    own = window.evidence.get(cause, [])
    bad = [e for e in own if window.anomalous(e) or window.still_bad(e)] or own
    primary = _headline(bad)
    whole = fleet.get(primary.rule)
    share, without = 1.0, None
    if whole is not None and cause != FLEET:
        share = min(1.0, max(0.0, primary.test.excess / max(whole.test.excess, primary.test.excess, 1e-9)))
        rest = window.residual(whole, [cause])
        without = rest.rate if rest.n else None
    impacted: list[Cause] = []
    for e in sorted(anomalies, key=lambda a: -a.test.excess):  # the largest knock-ons first
        if e.cause in chosen or e.cause in impacted or set(cause) < set(e.cause):
            continue  # a part of the cause itself (cdn=fastly × country=US) is not a knock-on
        if window.overlap(e.cause, cause) is not None:
            impacted.append(e.cause)
    return Finding(cause, primary, tuple(bad), share, without, tuple(impacted), window.z, window.tests)
