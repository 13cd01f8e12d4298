"""Timing helpers: best of several rounds (the least disturbed by the rest of the machine)."""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass


def best_rate(work: Callable[[], None], items: int, rounds: int = 5) -> float:
    """Items per second of ``work`` in its fastest of ``rounds`` runs (after one warm-up)."""
    work()
    best = min(_timed(work) for _ in range(rounds))
    return items / best


def best_seconds(work: Callable[[], object], rounds: int = 3) -> float:
    """Seconds of ``work``'s fastest of ``rounds`` runs (after one warm-up)."""
    work()
    return min(_timed(work) for _ in range(rounds))


def _timed(work: Callable[[], object]) -> float:
    started = time.perf_counter()
    work()
    return time.perf_counter() - started


@dataclass(frozen=True)
class Result:
    name: str
    rate: float
    baseline_name: str
    baseline_rate: float
    goal_ratio: float | None = None
    unit: str = "rec/s"
    scale: float = 1.0  # divide rates by this for display (1e6 with unit "MB/s")
    records_per_s: float | None = None  # when the rate is not in records (bytes/s): records/s

    @property
    def ratio(self) -> float:
        return self.rate / self.baseline_rate

    @property
    def misses_goal(self) -> bool:
        return self.goal_ratio is not None and self.ratio < self.goal_ratio

    def line(self) -> str:
        rate, baseline = self.rate / self.scale, self.baseline_rate / self.scale
        verdict = ""
        if self.goal_ratio is not None:
            verdict = f" ({'MISSES' if self.misses_goal else 'meets'} goal {self.goal_ratio:.2f})"
        return (
            f"{self.name:<32} {rate:>10,.1f} {self.unit:<5} {self.baseline_name:<32} {baseline:>10,.1f} {self.unit:<5} "
            f"ratio {self.ratio:4.2f}{verdict}"
        )


def verdict(results: Sequence[object]) -> tuple[int, str]:
    """`make bench`'s exit status and closing line: 1 when any result misses its goal, so a
    regression fails the run (CI or a release check) instead of scrolling past as one word."""
    missed = [r.name for r in results if isinstance(r, Result) and r.misses_goal]
    if missed:
        return 1, f"{len(missed)} goal(s) missed: {', '.join(missed)}"
    goals = sum(1 for r in results if isinstance(r, Result) and r.goal_ratio is not None)
    return 0, f"every goal met ({goals})"
