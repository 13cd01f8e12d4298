"""Lambda handler of the processor stage: raw Kinesis stream in; lake, clean stream and failed
events out; partial batch response back."""

from __future__ import annotations

from functools import cache
from typing import Any

from sluice.batch.kinesis import PartialBatchResponse
from sluice.processor.service import Processor
from sluice.runtime.deadline import Deadline
from sluice.runtime.logging import setup_logging

log = setup_logging("processor")


@cache
def _processor() -> Processor:
    """Built on the first invocation (not at import), reused while the environment is warm."""
    return Processor.from_env()


def handle(event: dict[str, Any], context: Any) -> PartialBatchResponse:
    log.bind(context)
    return _processor().handle(event, Deadline.from_context(context))
