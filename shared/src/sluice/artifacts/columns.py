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

__all__ = ["Column", "Flattener", "compact_flattener", "compact_row", "event_columns", "flattener"]


@dataclass(frozen=True, slots=True)
class Column:
    name: str
    avro_type: str  # string, long, int, boolean, float, double, timestamp, uuid or enum
    nullable: bool
    doc: str
    max_length: int = 0  # UTF-8 bytes, for strings: the schema's bound (sluice.events.bounds)
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
    if kind == "string" and "max_length" not in field:
        # Every string a client sends is bounded at ingest; a column without a bound could be
        # narrower than what ingest accepts.
        raise ValueError(f"string field {name} declares no max_length")
    return Column(name, kind, nullable or field_nullable, field["doc"], int(field.get("max_length", 0)), from_payload)


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
    """A function from a decoded event to its flat row, generated once from the schema.

    It runs for every event the processor routes, so it is compiled to one dict display rather
    than interpreted field by field (about 4x faster).
    """
    schema = default_registry().latest(PLAYER_EVENT).schema
    lines = ["def flatten(record):"]
    items = []
    for field in schema["fields"]:
        name = field["name"]
        kind, _, inner = _base_type(field)
        if name == "payload":
            lines.append("    payload = record.get('payload')")
            lines.append("    p = payload[1] if payload else EMPTY")
        elif kind == "record":
            lines.append(f"    r_{name} = record.get({name!r}) or EMPTY")
            items += [f"{name + '_' + sub['name']!r}: r_{name}.get({sub['name']!r})" for sub in inner["fields"]]
        elif kind == "timestamp":
            items.append(f"{name!r}: iso_millis(record.get({name!r}))")
        else:
            items.append(f"{name!r}: record.get({name!r})")
    items += [f"{c.name!r}: p.get({c.name!r})" for c in event_columns() if c.from_payload]
    lines.append("    return {" + ", ".join(items) + "}")
    namespace: dict[str, Any] = {"EMPTY": {}, "iso_millis": iso_millis}
    exec(compile("\n".join(lines), "<sluice flattener>", "exec"), namespace)  # noqa: S102 - code built from the shipped schema only
    flatten: Flattener = namespace["flatten"]
    return flatten


@cache
def compact_flattener() -> Flattener:
    """A function from a decoded event to its flat row without null columns (the lake line and
    the search document), generated once from the schema.

    The processor and the indexer run it for every event. It touches only the fields the event
    can have: the envelope, then its own payload's fields (one generated branch per payload
    record), so an event does not pay for the other payloads' ~100 columns. The keys come in the
    same order as :func:`flattener`'s.
    """
    schema = default_registry().latest(PLAYER_EVENT).schema
    order = {c.name: i for i, c in enumerate(event_columns())}
    lines = ["def compact(record):", "    out = {}"]
    payloads: dict[str, list[str]] = {}
    for field in schema["fields"]:
        name = field["name"]
        kind, _, inner = _base_type(field)
        if name == "payload":
            for branch in field["type"]:
                if branch != "null":
                    names = sorted((sub["name"] for sub in branch["fields"]), key=order.__getitem__)
                    payloads[branch["name"]] = names
                    if branch.get("namespace"):
                        payloads[f"{branch['namespace']}.{branch['name']}"] = names
        elif kind == "record":
            lines += [f"    r = record.get({name!r})", "    if r:"]
            for sub in inner["fields"]:
                key = name + "_" + sub["name"]
                if _base_type(sub)[1]:
                    lines += [f"        v = r.get({sub['name']!r})", f"        if v is not None: out[{key!r}] = v"]
                else:  # required: always there in a decoded record
                    lines.append(f"        out[{key!r}] = r[{sub['name']!r}]")
        else:
            value = "iso_millis(v)" if kind == "timestamp" else "v"
            lines += [f"    v = record.get({name!r})", f"    if v is not None: out[{name!r}] = {value}"]
    lines += [
        "    payload = record.get('payload')",
        "    if payload:",
        "        PAYLOADS.get(payload[0], any_payload)(payload[1], out)",
        "    return out",
    ]
    namespace: dict[str, Any] = {"iso_millis": iso_millis}
    functions: dict[str, Callable[[dict[str, Any], dict[str, Any]], None]] = {}
    for record_name, names in payloads.items():
        body = ["def emit(p, out):"] + [f"    v = p.get({n!r})\n    if v is not None: out[{n!r}] = v" for n in names]
        exec(compile("\n".join(body), f"<sluice compact payload {record_name}>", "exec"), namespace)  # noqa: S102 - built from the shipped schema only
        functions[record_name] = namespace.pop("emit")
    payload_columns = sorted({n for names in payloads.values() for n in names}, key=order.__getitem__)

    def any_payload(p: dict[str, Any], out: dict[str, Any]) -> None:
        """A payload record the schema does not name (an older writer's): its known fields."""
        for n in payload_columns:
            if p.get(n) is not None:
                out[n] = p[n]

    namespace.update(PAYLOADS=functions, any_payload=any_payload)
    exec(compile("\n".join(lines), "<sluice compact flattener>", "exec"), namespace)  # noqa: S102 - built from the shipped schema only
    compact: Flattener = namespace["compact"]
    return compact


def compact_row(record: dict[str, Any]) -> dict[str, Any]:
    """The flat row without its null columns: the lake line and the search document. Redshift
    COPY, Athena and OpenSearch read a missing key as NULL, and it halves a typical event."""
    return compact_flattener()(record)
