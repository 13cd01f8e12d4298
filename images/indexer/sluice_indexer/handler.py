"""Lambda handler of the indexer stage: clean Kinesis stream in, OpenSearch bulk indexing out,
partial batch response back."""

from __future__ import annotations

from functools import cache
from typing import Any

from sluice.batch.kinesis import PartialBatchResponse
from sluice.indexer.service import Indexer
from sluice.runtime.deadline import Deadline
from sluice.runtime.logging import setup_logging

log = setup_logging("indexer")


@cache
def _indexer() -> Indexer:
    """Built on the first invocation (not at import), reused while the environment is warm."""
    return Indexer.from_env()


def handle(event: dict[str, Any], context: Any) -> PartialBatchResponse:
    log.bind(context)
    return _indexer().handle(event, Deadline.from_context(context))
