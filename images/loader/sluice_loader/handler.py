"""Lambda handler of the loader stage: S3 notifications (through SQS, or direct) in, warehouse
rows out, SQS partial batch response back."""

from __future__ import annotations

from functools import cache
from typing import Any

from sluice.loader.service import Loader
from sluice.runtime.deadline import Deadline
from sluice.runtime.logging import setup_logging

log = setup_logging("loader")


@cache
def _loader() -> Loader:
    """Built on the first invocation (not at import), reused while the environment is warm."""
    return Loader.from_env()


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    log.bind(context)
    return _loader().handle(event, Deadline.from_context(context, margin_ms=5000))
