"""Schema identity: the Parsing Canonical Form and its CRC-64-AVRO fingerprint (Avro spec,
"Schema Fingerprints"). The fingerprint is what travels in every single-object record header."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["canonical_form", "crc64_avro", "fingerprint_hex"]


def canonical_form(schema: Any) -> str:
    """The Parsing Canonical Form of a schema given as parsed JSON (docs, defaults dropped)."""
    from fastavro.schema import to_parsing_canonical_form

    if isinstance(schema, str):
        schema = json.loads(schema)
    return str(to_parsing_canonical_form(schema))


def crc64_avro(schema: Any) -> int:
    """CRC-64-AVRO fingerprint of the schema's canonical form: the unsigned 64-bit integer the
    spec's algorithm computes (Java's ``SchemaNormalization.parsingFingerprint64``).

    On the wire it is written little-endian (``fingerprint.to_bytes(8, "little")``). fastavro
    returns those wire bytes as hex, hence the conversion.
    """
    from fastavro.schema import fingerprint

    wire_hex = fingerprint(canonical_form(schema), "CRC-64-AVRO")
    return int.from_bytes(bytes.fromhex(wire_hex), "little")


def fingerprint_hex(fingerprint: int) -> str:
    """The 16-hex-digit form of the integer, as Java tools print it, used in logs, failed events
    and the CLI. (The wire bytes are the same digits in reverse byte order.)"""
    return f"{fingerprint:016x}"
