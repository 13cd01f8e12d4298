"""The invocation's deadline: when a stage must stop working, with time left to report.

Every network call a stage makes ends before it (``bind_deadline``: the clients read the bound
one), so a handler is never cut off by Lambda's timeout with nothing reported. In the runtime
package because every layer uses it: the producers, the sinks, the warehouse, the stages.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Protocol

__all__ = ["Deadline", "LambdaContext", "bind_deadline", "current_deadline"]


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
        cls,
        context: LambdaContext | None,
        *,
        margin_ms: int = 3000,
        fallback_s: float = 60.0,
        cap_s: float | None = None,
    ) -> Deadline:
        """``cap_s`` bounds it further, for a caller that gives up before the function's timeout
        (API Gateway answers 504 after 29 s, however long the function may run)."""
        if context is None or not hasattr(context, "get_remaining_time_in_millis"):
            remaining_s = fallback_s
        else:
            remaining_s = max(0, context.get_remaining_time_in_millis() - margin_ms) / 1000
        if cap_s is not None:
            remaining_s = min(remaining_s, cap_s)
        return cls(time.monotonic() + remaining_s)

    @classmethod
    def after(cls, seconds: float) -> Deadline:
        return cls(time.monotonic() + seconds)

    def reserving(self, seconds: float) -> Deadline:
        """An earlier deadline that keeps ``seconds`` for what must still happen after it (writing
        failed events once the sink is given up on)."""
        return Deadline(self.ends_at - seconds, self.clock)

    def share(self, fraction: float) -> Deadline:
        """A deadline ``fraction`` of the way from now to this one: one output's share of the
        time, so that one that keeps failing cannot starve the outputs written after it."""
        return Deadline(self.clock() + self.remaining() * fraction, self.clock)

    def remaining(self) -> float:
        return max(0.0, self.ends_at - self.clock())

    def expired(self) -> bool:
        return self.remaining() <= 0

    def has_time(self) -> bool:
        return not self.expired()


# The deadline of the invocation this thread is working for: every client of a dependency (AWS,
# the warehouse) bounds its calls by it without being handed it through every layer.
_current: ContextVar[Deadline | None] = ContextVar("sluice_deadline", default=None)


def bind_deadline(deadline: Deadline | None) -> None:
    """Bounds every call to a dependency made by this thread from now on by ``deadline``."""
    _current.set(deadline)


def current_deadline() -> Deadline | None:
    return _current.get()
