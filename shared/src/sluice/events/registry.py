"""The schemas Sluice ships, looked up by subject, version or fingerprint.

Schemas are versioned ``<subject>.v<N>.avsc`` files inside the package. The newest version of a
subject is its *reader* schema: everything is decoded into that shape, whatever version wrote it.
"""

from __future__ import annotations

import json
import os
import re
import zlib
from dataclasses import dataclass, field
from functools import cache, cached_property
from typing import Any

from sluice.events.fingerprint import fingerprint_hex
from sluice.runtime.errors import SluiceError

__all__ = [
    "FAILED_EVENT",
    "FINGERPRINTS_FILE",
    "PLAYER_EVENT",
    "Registry",
    "SchemaNotFoundError",
    "SchemaVersion",
    "default_registry",
    "fingerprints_manifest",
    "fullname",
    "load_schema_file",
]

PLAYER_EVENT = "player_event"
FAILED_EVENT = "failed_event"

_FILE_NAME = re.compile(r"^(?P<subject>[a-z_]+)\.v(?P<version>\d+)\.avsc$")


@dataclass(frozen=True)
class SchemaVersion:
    """One shipped schema version. Its fingerprint and parsed form are computed on first use (with
    fastavro): the loader reads the schema's columns and never needs either."""

    subject: str
    version: int
    schema: dict[str, Any] = field(repr=False)
    # From fingerprints.json when it was made from this very file (see default_registry).
    precomputed: int | None = field(default=None, repr=False, compare=False)

    @cached_property
    def fingerprint(self) -> int:
        if self.precomputed is not None:
            return self.precomputed
        from sluice.events.fingerprint import crc64_avro

        return crc64_avro(self.schema)

    @property
    def fingerprint_hex(self) -> str:
        return fingerprint_hex(self.fingerprint)

    @property
    def name(self) -> str:
        return f"{self.subject}.v{self.version}"

    @cached_property
    def parsed(self) -> Any:
        # Parsed once per version and process: fastavro's parse is far slower than a read.
        from fastavro import parse_schema

        return parse_schema(self.schema)


class SchemaNotFoundError(SluiceError, LookupError):
    """No shipped schema matches the name or fingerprint asked for."""


class Registry:
    """Every shipped schema version, by fingerprint and by subject."""

    def __init__(self, versions: list[SchemaVersion]) -> None:
        self._versions = versions
        self._by_subject: dict[str, list[SchemaVersion]] = {}
        for v in sorted(versions, key=lambda v: (v.subject, v.version)):
            self._by_subject.setdefault(v.subject, []).append(v)

    def versions(self, subject: str | None = None) -> list[SchemaVersion]:
        if subject is None:
            return [v for vs in self._by_subject.values() for v in vs]
        try:
            return list(self._by_subject[subject])
        except KeyError:
            raise SchemaNotFoundError(f"no subject {subject!r}; known: {', '.join(self._by_subject)}") from None

    def latest(self, subject: str) -> SchemaVersion:
        return self.versions(subject)[-1]

    @cached_property
    def _by_fingerprint(self) -> dict[int, SchemaVersion]:
        return {v.fingerprint: v for v in self._versions}

    def by_fingerprint(self, fingerprint: int) -> SchemaVersion | None:
        return self._by_fingerprint.get(fingerprint)

    def find(self, name_or_fingerprint: str) -> SchemaVersion:
        """Look up ``player_event`` (latest), ``player_event.v1``, or a 16-hex-digit fingerprint."""
        text = name_or_fingerprint.strip()
        if re.fullmatch(r"(0x)?[0-9a-fA-F]{16}", text):
            found = self.by_fingerprint(int(text.removeprefix("0x"), 16))
            if found is None:
                raise SchemaNotFoundError(f"no shipped schema has fingerprint {text}")
            return found
        subject, _, version = text.partition(".v")
        versions = self.versions(subject)
        if not version:
            return versions[-1]
        for v in versions:
            if str(v.version) == version:
                return v
        raise SchemaNotFoundError(f"{subject} has no version {version}; shipped: {', '.join(v.name for v in versions)}")


def fullname(schema: dict[str, Any]) -> str:
    """The full name of a named schema (``sluice.events.HeartbeatPayload``)."""
    name = str(schema["name"])
    return name if "." in name or "namespace" not in schema else f"{schema['namespace']}.{name}"


def load_schema_file(text: str) -> dict[str, Any]:
    schema = json.loads(text)
    if not isinstance(schema, dict):
        raise ValueError("a Sluice schema must be a JSON object (a named record)")
    return schema


# The CRC-64-AVRO of each shipped file, computed once (``sluice schemas render fingerprints``):
# fastavro's pure-Python CRC over four canonical forms is ~3 ms of every stage's cold start.
FINGERPRINTS_FILE = "fingerprints.json"


def _schema_files() -> list[tuple[str, bytes]]:
    """(name, bytes) of every shipped schema file. Plain file reads: they are package data, and
    importlib.resources (pathlib, tempfile, zipfile) would add ~8 ms to every stage's cold start."""
    import sluice.schemas

    directory = os.path.dirname(sluice.schemas.__file__)
    files = []
    for name in sorted(os.listdir(directory)):
        if _FILE_NAME.match(name) or name == FINGERPRINTS_FILE:
            with open(os.path.join(directory, name), "rb") as file:
                files.append((name, file.read()))
    return files


@cache
def default_registry() -> Registry:
    """The registry of the schemas packaged with this version of the library."""
    files = dict(_schema_files())
    known = json.loads(files.pop(FINGERPRINTS_FILE, b"{}"))
    versions = []
    for name, raw in files.items():
        match = _FILE_NAME.match(name)
        assert match is not None
        entry = known.get(name) or {}
        # Only for the very bytes it was computed from (CRC-32 of the file): an edited schema
        # whose fingerprints.json was not re-rendered is fingerprinted afresh, never wrongly.
        precomputed = int(entry["fingerprint"], 16) if entry.get("file_crc32") == zlib.crc32(raw) else None
        schema = load_schema_file(raw.decode("utf-8"))
        versions.append(SchemaVersion(match["subject"], int(match["version"]), schema, precomputed))
    return Registry(versions)


def fingerprints_manifest() -> dict[str, dict[str, Any]]:
    """What ``fingerprints.json`` holds: per shipped schema file, its CRC-32 and its fingerprint."""
    from sluice.events.fingerprint import crc64_avro

    return {
        name: {
            "file_crc32": zlib.crc32(raw),
            "fingerprint": fingerprint_hex(crc64_avro(load_schema_file(raw.decode()))),
        }
        for name, raw in _schema_files()
        if name != FINGERPRINTS_FILE
    }
