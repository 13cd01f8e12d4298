"""The incident lifecycle: one incident per cause, ``opened`` once, ``updated`` at most once per
window while it worsens, ``resolved`` after its cause has been healthy for ``recover_after``
windows in a row. Every message of an incident carries the same id.

A finding whose cause contains, or is contained in, an open incident's cause belongs to that
incident (``cdn=fastly`` narrowing to ``cdn=fastly × country=GB`` as evidence builds up is one
incident, updated with the narrower cause, not a second one).
"""

from __future__ import annotations

import hashlib
from dataclasses import asdict, dataclass, field
from typing import Any

from sluice.monitor.aggregate import Cause
from sluice.monitor.isolation import Finding, Window
from sluice.monitor.qoe import sampling_rate
from sluice.monitor.rules import BY_NAME, Evidence

__all__ = ["MAX_IMPACTED", "MAX_OPEN", "WORSENS", "AlertMessage", "Incident", "advance", "cause_text", "incident_id"]

WORSENS = 1.10  # an update needs the metric 10% above what was last reported
MAX_OPEN = 100  # bounds the evaluator's state: far past any real set of simultaneous causes
# Knock-ons listed in a message, largest first: with the schema's longest values a message stays
# far inside SNS's 256 KB (tests/unit/test_bounds.py builds the largest one).
MAX_IMPACTED = 20


def cause_text(cause: Cause) -> str:
    return " \u00d7 ".join(f"{dimension}={value}" for dimension, value in cause)


def incident_id(cause: Cause, opened: str) -> str:
    """Stable for the incident's life: its first cause and the window it opened in."""
    return "inc-" + hashlib.blake2b(f"{cause_text(cause)}|{opened}".encode(), digest_size=8).hexdigest()


@dataclass
class Incident:
    incident_id: str
    cause: Cause
    opened: str
    rule: str
    reported: float  # the metric as last reported
    healthy_windows: int = 0

    def to_state(self) -> dict[str, Any]:
        return {**asdict(self), "cause": [list(entry) for entry in self.cause]}

    @classmethod
    def from_state(cls, state: dict[str, Any]) -> Incident:
        return cls(**{**state, "cause": tuple((d, v) for d, v in state["cause"])})


@dataclass(frozen=True)
class AlertMessage:
    incident_id: str
    status: str  # opened, updated, resolved
    window_start: str
    window_end: str
    rule: str
    metric: str
    cause: dict[str, str]
    observed: float | None
    baseline: float | None
    # Beyond the baseline, in the unit the rule counts: sessions for the players' rules, requests
    # for the rules on the CDN's requests (the other is None): a request count is no session count.
    impacted_sessions: int | None
    explains_share: float | None
    fleet_rate_without_cause: float | None
    rules: list[dict[str, Any]] = field(default_factory=list)
    impacted: list[dict[str, str]] = field(default_factory=list)
    impacted_total: int = 0  # knock-ons in all; the first MAX_IMPACTED are listed
    significance: dict[str, Any] = field(default_factory=dict)
    detail: str = ""
    # The share (1-100) of the CDN's requests logged, when the rule counts them: below 100 the
    # impacted figure is scaled by 100 / rate, the significance is the sample's own.
    sampling_rate: float | None = None
    impacted_requests: int | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    def subject(self) -> str:
        """A one-line summary, as a client's values make it (``outputs.sns_subject`` fits it to SNS)."""
        return f"Sluice {self.status}: {self.metric} on {cause_text(tuple(self.cause.items()))}"


def _rounded(value: float | None) -> float | None:
    return None if value is None else round(value, 4)


def _sampling(window: Window, cause: Cause, evidence: Evidence | None) -> float | None:
    """The sampling rate of the cause's requests, for a rule that counts requests."""
    if evidence is None or not BY_NAME[evidence.rule].sampled:
        return None
    aggregate = window.current.get(cause)
    rate = sampling_rate(aggregate) if aggregate is not None else None
    return None if rate is None else round(rate, 2)


def _message(
    status: str,
    incident: Incident,
    finding: Finding | None,
    evidence: Evidence | None,
    *,
    start: str,
    end: str,
    rate: float | None = None,
) -> AlertMessage:
    cause = dict(incident.cause)
    if evidence is None:
        return AlertMessage(
            incident.incident_id,
            status,
            start,
            end,
            incident.rule,
            "",
            cause,
            None,
            None,
            0,
            None,
            None,
            detail=f"no traffic for {cause_text(incident.cause)} in this window",
        )
    test = evidence.test
    scale = 100 / rate if rate else 1.0
    impacted = max(0, round(test.excess * scale)) if status != "resolved" else 0
    per_request = BY_NAME[evidence.rule].sampled
    unit = "requests" if per_request else "sessions"
    rules = [
        {"rule": e.rule, "metric": e.metric, "observed": _rounded(e.observed), "baseline": _rounded(e.baseline)}
        for e in (finding.rules if finding else (evidence,))
    ]
    if status == "resolved":
        detail = f"{evidence.metric} back to {evidence.observed:.4g} (baseline {evidence.baseline:.4g}) for {incident.healthy_windows} windows"
    else:
        detail = (
            f"{test.x} of {test.n} against an expected {test.baseline.rate:.2%}: {impacted} {unit} beyond the baseline"
        )
        if rate is not None and rate < 100:
            detail += f" (requests logged at a sampling rate of {rate:g}%: counts scaled by {scale:.3g})"
    return AlertMessage(
        incident.incident_id,
        status,
        start,
        end,
        evidence.rule,
        evidence.metric,
        cause,
        _rounded(evidence.observed),
        _rounded(evidence.baseline),
        None if per_request else impacted,
        _rounded(finding.explains_share) if finding else None,
        _rounded(finding.fleet_rate_without) if finding else None,
        rules=rules,
        impacted=[dict(c) for c in finding.impacted[:MAX_IMPACTED]] if finding else [],
        impacted_total=len(finding.impacted) if finding else 0,
        significance={
            "x": test.x,
            "n": test.n,
            "expected_rate": _rounded(test.baseline.rate),
            "z": round(finding.z, 2),
            "tests": finding.tests,
        }
        if finding
        else {},
        detail=detail,
        sampling_rate=rate,
        impacted_requests=impacted if per_request else None,
    )


def _related(a: Cause, b: Cause) -> bool:
    first, second = set(a), set(b)
    return first <= second or second <= first


def advance(
    incidents: list[Incident], findings: list[Finding], window: Window, *, start: str, end: str, recover_after: int
) -> tuple[list[Incident], list[AlertMessage]]:
    """The incidents after one window, and the messages that window sends."""
    messages: list[AlertMessage] = []
    matched: set[str] = set()
    for finding in findings:
        incident = next(
            (i for i in incidents if i.incident_id not in matched and _related(i.cause, finding.cause)), None
        )
        evidence = finding.primary
        if incident is None:
            if len(incidents) >= MAX_OPEN:
                continue
            incident = Incident(
                incident_id(finding.cause, start), finding.cause, start, evidence.rule, evidence.observed
            )
            incidents.append(incident)
            rate = _sampling(window, finding.cause, evidence)
            messages.append(_message("opened", incident, finding, evidence, start=start, end=end, rate=rate))
        else:
            # Worse on the rule it was opened for (another rule joining in is in ``rules``).
            evidence = next((e for e in finding.rules if e.rule == incident.rule), evidence)
            worse = finding.cause != incident.cause or evidence.observed > incident.reported * WORSENS
            incident.healthy_windows = 0
            if worse:
                incident.cause, incident.rule, incident.reported = finding.cause, evidence.rule, evidence.observed
                rate = _sampling(window, finding.cause, evidence)
                messages.append(_message("updated", incident, finding, evidence, start=start, end=end, rate=rate))
        matched.add(incident.incident_id)
    still_open = []
    for incident in incidents:
        if incident.incident_id not in matched:
            incident.healthy_windows += 1
            if incident.healthy_windows >= recover_after:
                current = next((e for e in window.evidence.get(incident.cause, []) if e.rule == incident.rule), None)
                rate = _sampling(window, incident.cause, current)
                messages.append(_message("resolved", incident, None, current, start=start, end=end, rate=rate))
                continue
        still_open.append(incident)
    return still_open, messages
