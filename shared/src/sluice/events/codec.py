"""Avro single-object encoding (Avro spec, "Single-object encoding"), as every record on Kinesis
is written: ``C3 01``, the writer schema's CRC-64-AVRO fingerprint (8 bytes, little-endian), then
the Avro binary body.

Decoding resolves whichever registered version wrote the record to the subject's current reader
schema, so stages only ever see the newest shape. Payload unions keep fastavro's
``(record name, fields)`` tuple form, which says which branch was written without guessing.
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from fastavro import parse_schema, schemaless_reader, schemaless_writer

from sluice.events.errors import (
    BadMagicError,
    CorruptBodyError,
    EncodeError,
    TrailingBytesError,
    TruncatedBodyError,
    UnknownFingerprintError,
)
from sluice.events.fingerprint import fingerprint_hex
from sluice.events.registry import PLAYER_EVENT, Registry, SchemaVersion, default_registry

__all__ = ["HEADER_SIZE", "MAGIC", "Codec", "header_for", "read_header"]

MAGIC = b"\xc3\x01"
HEADER_SIZE = len(MAGIC) + 8


def header_for(fingerprint: int) -> bytes:
    return MAGIC + fingerprint.to_bytes(8, "little")


def read_header(data: bytes) -> int:
    """The writer fingerprint of a single-object record, or a typed error for a bad header."""
    if data[:2] != MAGIC:
        raise BadMagicError(
            f"not a single-object Avro record: starts with {data[:2].hex() or 'nothing'}, expected c301"
        )
    if len(data) < HEADER_SIZE:
        raise TruncatedBodyError(f"record ends inside its header ({len(data)} of {HEADER_SIZE} bytes)")
    return int.from_bytes(data[2:HEADER_SIZE], "little")


def _null_or_record(schema: Any) -> tuple[bytes, Any] | None:
    """(union index bytes, parsed record schema) for a ``["null", record]`` field type."""
    if isinstance(schema, list) and len(schema) == 2 and schema[0] == "null" and isinstance(schema[1], dict):
        return (b"\x02", parse_schema(schema[1])) if schema[1].get("type") == "record" else None  # index 1, zigzag
    return None


class Codec:
    """Encodes with a subject's current schema; decodes any registered version of it."""

    def __init__(self, subject: str = PLAYER_EVENT, registry: Registry | None = None) -> None:
        self.registry = registry or default_registry()
        self.subject = subject
        self.writer: SchemaVersion = self.registry.latest(subject)
        self._header = header_for(self.writer.fingerprint)
        reader = self.writer.parsed
        # Per writer fingerprint: (writer schema, reader schema or None when they are the same,
        # which lets fastavro skip schema resolution on the common path).
        self._readers: dict[int, tuple[Any, Any]] = {
            v.fingerprint: (v.parsed, None if v is self.writer else reader) for v in self.registry.versions(subject)
        }
        self._last = _null_or_record(self.writer.schema["fields"][-1]["type"])

    @property
    def fingerprint(self) -> int:
        return self.writer.fingerprint

    def encode(self, datum: dict[str, Any]) -> bytes:
        buffer = BytesIO()
        buffer.write(self._header)
        try:
            schemaless_writer(buffer, self.writer.parsed, datum)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise EncodeError(f"does not fit {self.writer.name}: {exc}") from exc
        return buffer.getvalue()

    def with_last_field(self, data: bytes, value: Any) -> bytes:
        """``data``, a record this codec's writer schema wrote with its last field null, with that
        field set to ``value``: byte for byte ``encode`` of the record with the field set.

        Avro writes a record as its fields in order and a union as its branch index then the
        value, so a null last field is the body's final byte (index 0); it is swapped for the
        branch's index and ``value`` alone. The processor fills ``enrichment`` this way instead of
        re-encoding the whole event (a third of its time per record). The caller must know the
        field is null (it decoded ``data``): a final 0x00 byte alone could be a filled field's."""
        if self._last is None or read_header(data) != self.fingerprint or data[-1:] != b"\x00":
            raise EncodeError("the record was not written by this schema with its last field null")
        index, schema = self._last
        buffer = BytesIO()
        buffer.write(data[:-1])
        buffer.write(index)
        try:
            schemaless_writer(buffer, schema, value)
        except (ValueError, TypeError, KeyError, AttributeError, OverflowError) as exc:
            raise EncodeError(f"does not fit {self.writer.name}: {exc}") from exc
        return buffer.getvalue()

    def decode(self, data: bytes) -> dict[str, Any]:
        fingerprint = read_header(data)
        schemas = self._readers.get(fingerprint)
        if schemas is None:
            raise UnknownFingerprintError(self._unknown(fingerprint), fingerprint)
        buffer = BytesIO(data)
        buffer.seek(HEADER_SIZE)
        try:
            datum: Any = schemaless_reader(
                buffer,
                schemas[0],
                schemas[1],
                return_record_name=True,
                return_record_name_override=True,
            )
        except (EOFError, StopIteration) as exc:
            raise TruncatedBodyError(f"Avro body ends early at byte {buffer.tell()} of {len(data)}") from exc
        except Exception as exc:
            if buffer.tell() >= len(data):
                raise TruncatedBodyError(f"Avro body ends early at byte {len(data)}: {exc}") from exc
            raise CorruptBodyError(f"Avro body is not valid for its writer schema: {exc!r}") from exc
        if buffer.tell() != len(data):
            raise TrailingBytesError(
                f"{len(data) - buffer.tell()} bytes after the Avro body (body ends at byte {buffer.tell()} of {len(data)})"
            )
        return datum  # type: ignore[no-any-return]  # a record schema reads as a dict

    def _unknown(self, fingerprint: int) -> str:
        other = self.registry.by_fingerprint(fingerprint)
        if other is not None:
            return f"fingerprint {fingerprint_hex(fingerprint)} is {other.name}, not a {self.subject} schema"
        known = ", ".join(v.fingerprint_hex for v in self.registry.versions(self.subject))
        return f"unknown writer schema fingerprint {fingerprint_hex(fingerprint)} (known {self.subject}: {known})"
