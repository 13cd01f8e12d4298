"""When events reach Sluice, and what a later arrival costs the alerts: ``sluice health simulate
--arrival-delay``.

An event arrives when its client sends it: under a delivery policy of the web SDK
(:mod:`sluice_tools.sdk.delivery`) at the flush that carries it, replayed over each session by the
rule the cost model counts with (:func:`sluice_tools.sdk.replay.sdk_sends`); or a fixed number of seconds
after it happened. The monitor's windows are judged on arrival, so a later arrival can move an
event, and the incident it raises, into a later window. :func:`alert_delays` compares the
incidents two runs open: the delay a policy adds against the current one (``interval``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sluice.monitor.incidents import AlertMessage
from sluice_tools.sdk.delivery import POLICIES, policy
from sluice_tools.sdk.replay import sdk_sends, sessions_of

__all__ = ["CURRENT_POLICY", "AlertDelay", "Arrivals", "alert_delays", "arrivals"]

CURRENT_POLICY = "interval"  # the SDK's default: what another policy's delay is measured against
Arrivals = Callable[[Sequence[dict[str, Any]]], Mapping[str, int]]  # clean records -> event_id: arrival ms


def arrivals(delay: str) -> Arrivals:
    """``delay``: a delivery policy's name (each event arrives with the SDK's request that carries
    it), or seconds (each event arrives that long after its ``client_time``)."""
    if delay in POLICIES:
        rule = policy(delay)

        def sent(records: Sequence[dict[str, Any]]) -> Mapping[str, int]:
            return {
                str(e["event_id"]): at for t in sessions_of(records) for at, batch in sdk_sends(t, rule) for e in batch
            }

        return sent
    try:
        seconds = float(delay)
    except ValueError:
        raise ValueError(f"--arrival-delay {delay!r}: seconds, or a delivery policy ({', '.join(POLICIES)})") from None
    if not 0 <= seconds <= 3600:
        raise ValueError(f"--arrival-delay {delay}: from 0 to 3600 seconds")
    return lambda records: {str(r["event_id"]): int(r["client_time"] + seconds * 1000) for r in records}


@dataclass(frozen=True)
class AlertDelay:
    """How much later the same incidents opened under one arrival than under another."""

    matched: int  # incidents both runs opened (the same rule and cause)
    delays_s: list[float]  # each matched incident's opening window, how much later
    only_before: int  # opened under the current policy alone (missed, or not yet)
    only_after: int

    @property
    def max_s(self) -> float:
        return max(self.delays_s, default=0.0)

    @property
    def mean_s(self) -> float:
        return sum(self.delays_s) / len(self.delays_s) if self.delays_s else 0.0

    def line(self, name: str) -> str:
        return (
            f"alert delay added by --arrival-delay {name} against the {CURRENT_POLICY} policy: {self.matched} incidents "
            f"opened by both, later by {self.mean_s:.0f} s on average, {self.max_s:.0f} s at most"
            f"; {self.only_before} opened only under {CURRENT_POLICY}, {self.only_after} only under {name}"
        )


def alert_delays(before: Sequence[AlertMessage], after: Sequence[AlertMessage]) -> AlertDelay:
    """Each incident's opening window in ``before`` and ``after``, matched by rule and cause."""

    def opened(messages: Sequence[AlertMessage]) -> dict[tuple[str, tuple[tuple[str, str], ...]], datetime]:
        first: dict[tuple[str, tuple[tuple[str, str], ...]], datetime] = {}
        for m in messages:
            if m.status == "opened":
                key = (m.rule, tuple(sorted(m.cause.items())))
                start = datetime.fromisoformat(m.window_start.replace("Z", "+00:00"))
                first[key] = min(first.get(key, start), start)
        return first

    then, now = opened(before), opened(after)
    both = sorted(set(then) & set(now))
    return AlertDelay(
        matched=len(both),
        delays_s=[(now[k] - then[k]).total_seconds() for k in both],
        only_before=len(set(then) - set(now)),
        only_after=len(set(now) - set(then)),
    )
