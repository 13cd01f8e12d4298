"""Lambda handler of the monitor stage: clean Kinesis stream with tumbling windows in; window
state back, and on each window's final invocation metrics, rollups and alerts."""

from __future__ import annotations

from functools import cache
from typing import Any

from sluice.monitor.service import Monitor
from sluice.producers.retry import Deadline
from sluice.runtime.logging import bind_request, setup_logging

setup_logging("monitor")


@cache
def _monitor() -> Monitor:
    """Built on the first invocation (not at import), reused while the environment is warm."""
    return Monitor.from_env()


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    bind_request(context)
    return _monitor().handle(event, Deadline.from_context(context))
