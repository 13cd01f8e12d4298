"""The flat shape of an event, derived from the current player_event schema.

Nested envelope records flatten to ``<field>_<subfield>`` (``player_version``, ``cdn_name``); the
fields of every payload record flatten to their own names (``bitrate_kbps``), which the schema
keeps consistent: a name used by several payloads has one type. This one shape is the lake's JSON
line, the OpenSearch document and the warehouse row.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sluice.events.json_mapping import iso_millis
from sluice.events.registry import PLAYER_EVENT, Registry, default_registry

DEFAULT_STRING_LENGTH = 256


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    avro_type: str  # string, long, int, boolean, float, double, timestamp, uuid or enum
    nullable: bool
    doc: str
    max_length: int = DEFAULT_STRING_LENGTH
    from_payload: bool = False


_SEMANTIC_TYPES = {"timestamp-millis": "timestamp", "uuid": "uuid"}


def _base_type(field: dict[str, Any]) -> tuple[str, bool, Any]:
    """(type, nullable, schema) of a field, seeing through optional unions."""
    schema = field["type"]
    nullable = False
    if isinstance(schema, list):
        branches = [b for b in schema if b != "null"]
        nullable = "null" in schema
        schema = branches[0] if len(branches) == 1 else schema
    if field.get("semantic") in _SEMANTIC_TYPES:
        return _SEMANTIC_TYPES[field["semantic"]], nullable, schema
    if isinstance(schema, dict):
        return str(schema["type"]) if not isinstance(schema["type"], list) else "union", nullable, schema
    return str(schema), nullable, schema


def _column(name: str, field: dict[str, Any], nullable: bool = False, from_payload: bool = False) -> Column:
    kind, field_nullable, _ = _base_type(field)
    return Column(
        name,
        kind,
        nullable or field_nullable,
        field["doc"],
        int(field.get("max_length", DEFAULT_STRING_LENGTH)),
        from_payload,
    )


def event_columns(registry: Registry | None = None) -> list[Column]:
    """Every column of the flat event, in schema order (envelope, then payload fields)."""
    schema = (registry or default_registry()).latest(PLAYER_EVENT).schema
    columns: list[Column] = []
    payload_columns: dict[str, Column] = {}
    for field in schema["fields"]:
        kind, nullable, inner = _base_type(field)
        if field["name"] == "payload":
            for record in field["type"]:
                if record == "null":
                    continue
                for sub in record["fields"]:
                    column = _column(sub["name"], sub, nullable=True, from_payload=True)
                    seen = payload_columns.get(column.name)
                    if seen is not None and (seen.avro_type, seen.max_length) != (column.avro_type, column.max_length):
                        raise ValueError(
                            f"payload field {column.name} has two types: {seen.avro_type} and {column.avro_type}"
                        )
                    payload_columns.setdefault(column.name, column)
        elif kind == "record":
            columns += [_column(f"{field['name']}_{sub['name']}", sub, nullable=nullable) for sub in inner["fields"]]
        else:
            columns.append(_column(field["name"], field))
    clash = {c.name for c in columns} & set(payload_columns)
    if clash:
        raise ValueError(f"payload fields clash with envelope columns: {sorted(clash)}")
    return columns + list(payload_columns.values())


Flattener = Callable[[dict[str, Any]], dict[str, Any]]


@cache
def flattener() -> Flattener:
    """A function from a decoded event to its flat row (compiled once from the columns)."""
    schema = default_registry().latest(PLAYER_EVENT).schema
    nested = []
    plain = []
    timestamps = []
    for field in schema["fields"]:
        kind, _, inner = _base_type(field)
        if field["name"] == "payload":
            continue
        if kind == "record":
            nested.append((field["name"], [(f"{field['name']}_{s['name']}", s["name"]) for s in inner["fields"]]))
        elif kind == "timestamp":
            timestamps.append(field["name"])
        else:
            plain.append(field["name"])
    payload_names = [c.name for c in event_columns() if c.from_payload]

    def flatten(record: dict[str, Any]) -> dict[str, Any]:
        row: dict[str, Any] = {name: record.get(name) for name in plain}
        for name in timestamps:
            row[name] = iso_millis(record.get(name))
        for name, subfields in nested:
            inner = record.get(name) or {}
            for column, key in subfields:
                row[column] = inner.get(key)
        payload = record.get("payload")
        fields = payload[1] if payload else {}
        for name in payload_names:
            row[name] = fields.get(name)
        return row

    return flatten
