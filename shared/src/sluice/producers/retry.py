"""Backoff for retries inside one Lambda invocation (bounded by its ``sluice.runtime.deadline``)."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sluice.runtime.deadline import Deadline

__all__ = ["Backoff", "error_code"]


@dataclass
class Backoff:
    """Full-jitter exponential backoff (AWS Architecture Blog, "Exponential Backoff and Jitter"):
    sleep a random time up to base * 2^attempt, capped, so retrying producers spread out instead
    of hitting a throttled shard in lockstep."""

    base_s: float = 0.05
    cap_s: float = 2.0
    sleep: Callable[[float], None] = time.sleep
    rng: random.Random = field(default_factory=random.Random)

    def delay(self, attempt: int) -> float:
        return self.rng.uniform(0, min(self.cap_s, self.base_s * 2**attempt))

    def wait(self, attempt: int, deadline: Deadline) -> bool:
        """Sleep before retry ``attempt``; False when the deadline leaves no time for it."""
        pause = self.delay(attempt)
        if pause >= deadline.remaining():
            return False
        self.sleep(pause)
        return True


def error_code(exc: Exception) -> str:
    response: Any = getattr(exc, "response", None)
    if isinstance(response, dict):
        return str(response.get("Error", {}).get("Code", type(exc).__name__))
    return type(exc).__name__
