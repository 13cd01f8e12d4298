"""Deadlines and backoff for retries inside one Lambda invocation."""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol


class LambdaContext(Protocol):
    def get_remaining_time_in_millis(self) -> int: ...


@dataclass
class Deadline:
    """When the invocation must stop working, with a margin to report what it did not finish
    (a handler cut off by the Lambda timeout reports nothing, and the whole batch is retried)."""

    ends_at: float
    clock: Callable[[], float] = field(default=time.monotonic)

    @classmethod
    def from_context(
        cls, context: LambdaContext | None, *, margin_ms: int = 3000, fallback_s: float = 60.0
    ) -> Deadline:
        if context is None or not hasattr(context, "get_remaining_time_in_millis"):
            return cls(time.monotonic() + fallback_s)
        remaining = max(0, context.get_remaining_time_in_millis() - margin_ms)
        return cls(time.monotonic() + remaining / 1000)

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def remaining(self) -> float:
        return max(0.0, self.ends_at - self.clock())

    def expired(self) -> bool:
        return self.remaining() <= 0

    def has_time(self) -> bool:
        return not self.expired()


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
