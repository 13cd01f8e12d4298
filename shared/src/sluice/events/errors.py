"""Typed errors of the event contract. Each kind of bad input has its own class, so a stage can
route it to the right failed-event type and a test can tell them apart."""

from __future__ import annotations

from dataclasses import dataclass

from sluice.runtime.errors import PoisonRecordError

__all__ = [
    "BadMagicError",
    "CorruptBodyError",
    "DecodeError",
    "EncodeError",
    "FieldError",
    "FutureEventError",
    "LateEventError",
    "MalformedJsonError",
    "OversizedEventError",
    "SchemaViolationError",
    "TrailingBytesError",
    "TruncatedBodyError",
    "UnknownFingerprintError",
    "ValidationError",
]


class DecodeError(PoisonRecordError):
    """A Kinesis record that is not a well-formed single-object encoded event."""

    failure_type = "format"


class BadMagicError(DecodeError):
    """The record does not start with the single-object marker C3 01."""


class UnknownFingerprintError(DecodeError):
    """The writer-schema fingerprint is not one this registry ships."""

    failure_type = "schema"

    def __init__(self, message: str, fingerprint: int) -> None:
        super().__init__(message)
        self.fingerprint = fingerprint


class TruncatedBodyError(DecodeError):
    """The Avro body ended before the writer schema was fully read."""


class TrailingBytesError(DecodeError):
    """Bytes remain after the Avro body: the record is not what its header claims."""


class CorruptBodyError(DecodeError):
    """The Avro body is the right length but not valid for its writer schema."""


class EncodeError(PoisonRecordError):
    """A datum does not fit the schema it is written with."""

    failure_type = "schema"


class MalformedJsonError(PoisonRecordError):
    """The text a player sent is not JSON (or not a JSON object)."""

    failure_type = "format"


class OversizedEventError(PoisonRecordError):
    """An event is bigger than the configured per-event byte limit."""

    failure_type = "size"


@dataclass(frozen=True, slots=True)
class FieldError:
    """One problem with one field: ``payload.bitrate_kbps: expected long, got "abc"``."""

    path: str
    code: str
    message: str

    def __str__(self) -> str:
        return f"{self.path}: {self.message}" if self.path else self.message


class SchemaViolationError(PoisonRecordError):
    """Fields of an event do not match the schema; carries every problem of the event at once."""

    failure_type = "schema"

    def __init__(self, errors: list[FieldError]) -> None:
        super().__init__("; ".join(str(e) for e in errors))
        self.errors = errors

    @property
    def codes(self) -> set[str]:
        return {e.code for e in self.errors}


class ValidationError(PoisonRecordError):
    """A well-typed event that makes no sense (for example, no payload for its event type)."""

    failure_type = "validation"


class FutureEventError(ValidationError):
    """Client time is further in the future than the allowed clock skew."""

    failure_type = "future"


class LateEventError(ValidationError):
    """Client time is older than the late-arrival limit."""

    failure_type = "late"
