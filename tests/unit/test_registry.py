"""The shipped schemas and their registry."""

from __future__ import annotations

import json
from itertools import combinations
from typing import Any

import avro.schema
import pytest
from sluice_tools.schemas.compatibility import backward_problems, backward_transitive_problems

from sluice.events.registry import FAILED_EVENT, PLAYER_EVENT, SchemaNotFoundError, default_registry

REQUIRED_EVENT_TYPES = {
    "session_start", "session_end", "play", "pause", "seek", "heartbeat", "buffering_start",
    "buffering_end", "bitrate_change", "error", "ad_break_start", "ad_break_end", "ad_start",
    "ad_quartile", "ad_complete", "ad_skip", "ad_error",
}  # fmt: skip


def _fields(schema: Any, path: str = "") -> list[tuple[str, dict[str, Any]]]:
    found: list[tuple[str, dict[str, Any]]] = []
    if isinstance(schema, list):
        for branch in schema:
            found += _fields(branch, path)
    elif isinstance(schema, dict) and schema.get("type") == "record":
        for field in schema["fields"]:
            found.append((f"{path}{schema['name']}.{field['name']}", field))
            found += _fields(field["type"], path)
    elif isinstance(schema, dict) and isinstance(schema.get("type"), dict | list):
        found += _fields(schema["type"], path)
    return found


def test_every_shipped_schema_fingerprint_equals_the_official_avro_package():
    for version in default_registry().versions():
        official = avro.schema.parse(json.dumps(version.schema)).fingerprint("CRC-64-AVRO")
        assert int.from_bytes(official, "little") == version.fingerprint, version.name


def test_at_least_two_envelope_versions_ship_and_the_newest_is_current():
    versions = default_registry().versions(PLAYER_EVENT)
    assert [v.version for v in versions][:2] == [1, 2]
    assert default_registry().latest(PLAYER_EVENT) is versions[-1]


def test_every_field_of_every_schema_has_a_doc():
    for version in default_registry().versions():
        undocumented = [path for path, field in _fields(version.schema) if not field.get("doc", "").strip()]
        assert undocumented == [], version.name


def test_every_required_event_type_has_its_payload_record():
    schema = default_registry().latest(PLAYER_EVENT).schema
    fields = {f["name"]: f for f in schema["fields"]}
    assert set(fields["event_type"]["type"]["symbols"]) >= REQUIRED_EVENT_TYPES
    payload_names = {b["name"] for b in fields["payload"]["type"] if b != "null"}
    for event_type in fields["event_type"]["type"]["symbols"]:
        assert "".join(p.capitalize() for p in event_type.split("_")) + "Payload" in payload_names


def test_v2_only_adds_optional_fields_with_defaults():
    v1, v2 = (v.schema for v in default_registry().versions(PLAYER_EVENT)[:2])
    v1_names = {f["name"] for f in v1["fields"]}
    added = [f for f in v2["fields"] if f["name"] not in v1_names]
    assert [f["name"] for f in added] == ["ingest", "enrichment"]
    assert all(f["default"] is None and f["type"][0] == "null" for f in added)


def test_every_pair_of_versions_is_backward_compatible_both_orders_of_age():
    for subject in (PLAYER_EVENT, FAILED_EVENT):
        versions = default_registry().versions(subject)
        for older, newer in combinations(versions, 2):
            assert backward_problems(older.schema, newer.schema) == [], (older.name, newer.name)
        assert backward_transitive_problems([v.schema for v in versions[:-1]], versions[-1].schema) == []


@pytest.mark.parametrize("text", ["player_event", "player_event.v1", "failed_event.v1"])
def test_find_by_name(text):
    assert default_registry().find(text).name.startswith(text.split(".v")[0])


def test_find_by_fingerprint_and_unknown_names_fail_clearly():
    v1 = default_registry().find("player_event.v1")
    assert default_registry().find(v1.fingerprint_hex) is v1
    with pytest.raises(SchemaNotFoundError, match="no shipped schema has fingerprint"):
        default_registry().find("0123456789abcdef")
    with pytest.raises(SchemaNotFoundError, match="has no version 9"):
        default_registry().find("player_event.v9")


def test_the_committed_fingerprints_are_those_of_the_shipped_files():
    from pathlib import Path

    import sluice.schemas
    from sluice.events.fingerprint import crc64_avro
    from sluice.events.registry import fingerprints_manifest

    committed = json.loads((Path(sluice.schemas.__file__).parent / "fingerprints.json").read_text())
    assert committed == fingerprints_manifest(), (
        "run: sluice schemas render fingerprints > shared/src/sluice/schemas/fingerprints.json"
    )
    # and the registry takes them from there, each the fingerprint of its schema
    for version in default_registry().versions():
        assert version.precomputed is not None, version.name
        assert version.fingerprint == crc64_avro(version.schema)


def test_an_edited_schema_is_fingerprinted_afresh_not_taken_from_a_stale_file(monkeypatch):
    from sluice.events import registry
    from sluice.events.fingerprint import crc64_avro

    edited = [
        (name, raw.replace(b'"session_id"', b'"session_key"', 1) if name == "player_event.v5.avsc" else raw)
        for name, raw in registry._schema_files()
    ]
    monkeypatch.setattr(registry, "_schema_files", lambda: edited)
    registry.default_registry.cache_clear()
    try:
        latest = registry.default_registry().latest(PLAYER_EVENT)
        assert latest.precomputed is None
        assert latest.fingerprint == crc64_avro(latest.schema) != 0x6CEE76EF2B58F6DC  # v5's, as shipped
    finally:
        registry.default_registry.cache_clear()
