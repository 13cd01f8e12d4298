"""The lake's Glue table, generated from the schemas: the columns of the lake's JSON lines and the
event types its partition projection enumerates. Athena reads the lake through it; the loader
reads the same objects; nothing else describes them (no crawler)."""

from __future__ import annotations

from typing import Any

from sluice.artifacts.columns import event_columns
from sluice.events.registry import PLAYER_EVENT, default_registry

__all__ = ["event_types", "glue_columns", "glue_table"]

_HIVE_TYPES = {
    "string": "string",
    "uuid": "string",
    "enum": "string",
    "long": "bigint",
    "int": "int",
    "boolean": "boolean",
    "double": "double",
    "float": "float",
    "timestamp": "timestamp",
}
_PARTITIONS = frozenset({"event_type"})  # a partition key in the table; not a column as well


def glue_columns() -> list[dict[str, str]]:
    return [
        # Glue caps a column comment at 255 characters.
        {"name": c.name, "type": _HIVE_TYPES[c.avro_type], "comment": c.doc[:255]}
        for c in event_columns()
        if c.name not in _PARTITIONS
    ]


def event_types() -> list[str]:
    """The event_type partition's values: the schema's enum symbols."""
    schema = default_registry().latest(PLAYER_EVENT).schema
    field = next(f for f in schema["fields"] if f["name"] == "event_type")
    return list(field["type"]["symbols"])


def glue_table() -> dict[str, Any]:
    """terraform/generated/glue_table.json: what the lake module's table is made of."""
    return {"columns": glue_columns(), "event_types": event_types()}
