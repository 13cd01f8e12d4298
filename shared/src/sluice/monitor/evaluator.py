"""The health evaluation: once per window, over the counters of every shard combined.

Run on a schedule (EventBridge Scheduler, every window length). A window is due once it has been
closed for ``delay_seconds``: long enough for every shard's final invocation to have written its
counters. A shard later than that is left out of the verdict, never added to a window already
judged (its counters stay in the table and in the rollups): lengthen the delay when the monitor's
IteratorAge runs above it. The combined counters are exactly what one shard with all the
traffic would have counted, whenever each shard tracked every value it saw (``aggregate.py``).

Per due window, in order: combine the shards, test every rule on every value and pair against the
baseline (the latest healthy windows), isolate the causes, advance the incidents, publish their
messages, store the combined window, then move the evaluator's state. Messages are sent before
the state moves: a failure in between repeats them (with the same incident id, status and
window) rather than losing them.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any

from sluice.monitor.aggregate import WindowAggregates
from sluice.monitor.incidents import AlertMessage, Incident, advance
from sluice.monitor.isolation import Settings, Window, isolate
from sluice.monitor.store import EvaluatorState, HealthStore, merged
from sluice.runtime.metrics import Metrics

__all__ = ["EvaluationSettings", "Evaluator", "Outcome", "Publish", "iso", "judge", "parse", "scheduled_time"]

log = logging.getLogger("sluice.monitor.evaluator")
Publish = Callable[[AlertMessage], None]


@dataclass(frozen=True)
class EvaluationSettings:
    window_seconds: int = 60
    delay_seconds: int = 60  # how long a closed window waits for late shards
    baseline_windows: int = 10  # healthy windows that make a baseline
    lookback_windows: int = 120  # how far back to look for them
    recover_after: int = 3  # healthy windows before an incident is resolved
    max_windows_per_run: int = 30  # catching up after an outage, a run at a time
    rules: Settings = field(default_factory=Settings)


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


@dataclass
class Outcome:
    evaluated: list[str]
    messages: list[AlertMessage]


def judge(
    *,
    current: WindowAggregates,
    baseline: WindowAggregates,
    incidents: list[Incident],
    start: str,
    end: str,
    settings: EvaluationSettings,
) -> tuple[list[Incident], list[AlertMessage]]:
    """One window's verdict: pure, the same in the Lambda and in ``sluice health simulate``."""
    window = Window(current, baseline, settings.rules)
    findings = isolate(window, [i.cause for i in incidents])
    return advance(incidents, findings, window, start=start, end=end, recover_after=settings.recover_after)


class Evaluator:
    def __init__(
        self, settings: EvaluationSettings, store: HealthStore, publish: Publish, metrics: Metrics | None = None
    ) -> None:
        self.settings = settings
        self.store = store
        self.publish = publish
        # The evaluation's own counters (the store's UnreadableHealthItems among them).
        self.metrics = metrics

    def run(self, now: datetime, has_time: Callable[[], bool] = lambda: True) -> Outcome:
        s = self.settings
        state = self.store.evaluator_state()
        due = now - timedelta(seconds=s.window_seconds + s.delay_seconds)
        # A first run (or one after its state was lost) starts a run's worth of windows back,
        # not at the oldest window the table still holds.
        after = state.last_window or iso(due - timedelta(seconds=s.window_seconds * s.max_windows_per_run))
        pending = self.store.pending_windows(after, iso(due))
        starts = sorted(pending)
        if len(starts) > s.max_windows_per_run:
            log.warning("evaluation is behind", extra={"pending_windows": len(starts)})
            starts = starts[: s.max_windows_per_run]
        outcome = Outcome([], [])
        for start in starts:
            if not has_time():
                break
            if not self._evaluate(start, pending[start], state, outcome):
                break
        if self.metrics is not None:
            self.metrics.flush()
        return outcome

    def _evaluate(self, start: str, shards: list[WindowAggregates], state: EvaluatorState, outcome: Outcome) -> bool:
        s = self.settings
        begin = parse(start)
        end = iso(begin + timedelta(seconds=s.window_seconds))
        earliest = iso(begin - timedelta(seconds=s.window_seconds * s.lookback_windows))
        current = merged(shards)
        baseline = self.store.baseline(start, earliest, s.baseline_windows)
        incidents, messages = judge(
            current=current, baseline=baseline, incidents=state.incidents, start=start, end=end, settings=s
        )
        for message in messages:
            self.publish(message)
            self.store.record_alert(message)
        self.store.put_fleet_window(start, current, healthy=not incidents)
        moved = EvaluatorState(start, incidents, state.version)
        if not self.store.save_evaluator_state(moved):
            log.warning("another evaluation moved the state first", extra={"window": start})
            return False
        state.last_window, state.incidents, state.version = start, incidents, moved.version
        outcome.evaluated.append(start)
        outcome.messages.extend(messages)
        log.info(
            "window evaluated",
            extra={"window": start, "shards": len(shards), "open_incidents": len(incidents), "messages": len(messages)},
        )
        return True


def scheduled_time(event: dict[str, Any]) -> datetime:
    """The time the schedule fired for (its input carries ``<aws.scheduler.scheduled-time>``), so
    a delayed or retried run judges the windows that were due then; now, without one."""
    text = event.get("scheduled_time") if isinstance(event, dict) else None
    if not text:
        return datetime.now(UTC)
    try:
        return parse(str(text))
    except ValueError:
        raise ValueError(f"scheduled_time {text!r} is not an ISO-8601 time") from None
