"""Failed events: the typed envelope every stage writes for a record it cannot process."""

from __future__ import annotations

import time
import uuid
from dataclasses import asdict, dataclass, field
from typing import Any

from sluice.runtime.errors import PoisonRecordError

FAILURE_TYPES = ("size", "format", "schema", "validation", "late", "future", "enrichment", "sink_rejection")


@dataclass(slots=True)
class FailedEvent:
    """One record a stage gave up on, with the original bytes for replay (failed_event schema)."""

    failure_type: str
    stage: str
    error_code: str
    error: str
    original: bytes
    fingerprint: str | None = None
    event_id: str | None = None
    event_type: str | None = None
    source: str | None = None
    shard_id: str | None = None
    sequence_number: str | None = None
    sub_sequence_number: int | None = None
    arrival_time: int | None = None
    failed_time: int = field(default_factory=lambda: int(time.time() * 1000))
    failure_id: str = field(default_factory=lambda: str(uuid.uuid4()))

    def __post_init__(self) -> None:
        if self.failure_type not in FAILURE_TYPES:
            raise ValueError(f"unknown failure type {self.failure_type!r}")

    @classmethod
    def from_error(cls, error: PoisonRecordError, *, stage: str, original: bytes, **context: Any) -> FailedEvent:
        return cls(
            failure_type=error.failure_type,
            stage=stage,
            error_code=type(error).__name__,
            error=str(error),
            original=original,
            **context,
        )

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> FailedEvent:
        return cls(**record)
