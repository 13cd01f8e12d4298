"""Failed events: the typed envelope every stage writes for a record it cannot process."""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sluice.runtime.errors import PoisonRecordError

__all__ = ["FAILURE_TYPES", "FailedEvent"]

FAILURE_TYPES = ("size", "format", "schema", "validation", "late", "future", "enrichment", "sink_rejection")


@dataclass(slots=True)
class FailedEvent:
    """One record a stage gave up on, with the original bytes for replay (failed_event schema).

    ``original_size`` and ``original_sha256`` describe the whole original: filled from
    ``original`` when the event is made, kept when :meth:`truncated` cuts it, and left unknown
    for an original that arrived cut (they would describe the cut)."""

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
    original_size: int | None = None
    original_sha256: str | None = None
    original_truncated: bool = False

    def __post_init__(self) -> None:
        if self.failure_type not in FAILURE_TYPES:
            raise ValueError(f"unknown failure type {self.failure_type!r}")
        if self.original_size is None and not self.original_truncated:
            self.original_size = len(self.original)
            self.original_sha256 = hashlib.sha256(self.original).hexdigest()

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

    @property
    def replayable(self) -> bool:
        """Whether ``original`` is the whole record (a cut one would be replayed as a new, broken one)."""
        return not self.original_truncated

    def truncated(self, keep: int) -> FailedEvent:
        """This failed event with only the first ``keep`` bytes of its original, which stays
        identified by its whole size and digest."""
        return replace(self, original=self.original[: max(0, keep)], original_truncated=True)

    def to_record(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> FailedEvent:
        return cls(**record)
