"""Failed events: the typed envelope every stage writes for a record it cannot process."""

from __future__ import annotations

import hashlib
import time
import uuid
from dataclasses import asdict, dataclass, field, replace
from typing import Any

from sluice.runtime.errors import PoisonRecordError

FAILURE_TYPES = ("size", "format", "schema", "validation", "late", "future", "enrichment", "sink_rejection")


@dataclass(slots=True)
class FailedEvent:
    """One record a stage gave up on, with the original bytes for replay (failed_event schema).

    ``original_size`` and ``original_sha256`` describe the whole original; they are filled from
    ``original`` when the event is recorded, and kept when :meth:`truncated` cuts ``original``."""

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
        identified by its full size and digest."""
        whole = self.described()
        return replace(whole, original=whole.original[: max(0, keep)], original_truncated=True)

    def described(self) -> FailedEvent:
        """This failed event with the size and digest of its original filled in."""
        if self.original_size is not None and self.original_sha256 is not None:
            return self
        return replace(
            self, original_size=len(self.original), original_sha256=hashlib.sha256(self.original).hexdigest()
        )

    def to_record(self) -> dict[str, Any]:
        return asdict(self.described())

    @classmethod
    def from_record(cls, record: dict[str, Any]) -> FailedEvent:
        return cls(**record)
