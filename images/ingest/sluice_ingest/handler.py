"""Lambda handler of the ingest stage: API Gateway (HTTP API 2.0 or REST 1.0) in, raw stream out."""

from __future__ import annotations

from functools import cache
from typing import Any

from sluice.ingest.service import IngestService
from sluice.runtime.deadline import Deadline
from sluice.runtime.logging import setup_logging

log = setup_logging("ingest")


@cache
def _service() -> IngestService:
    """Built on the first invocation (not at import), reused while the environment is warm."""
    return IngestService.from_env()


def handle(event: dict[str, Any], context: Any) -> dict[str, Any]:
    log.bind(context)
    # API Gateway gives up after 29 s, whatever the function's timeout: answer well before, so
    # the player learns what was stored.
    return _service().handle(event, Deadline.from_context(context, margin_ms=1500, fallback_s=25, cap_s=26))
