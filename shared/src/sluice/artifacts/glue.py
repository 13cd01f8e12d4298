"""The lake's Glue table columns (for Firehose's Parquet conversion and Athena), generated from the
schema columns. Partition columns (event_type, event_date, event_hour) are the table's own."""

from __future__ import annotations

from sluice.artifacts.columns import event_columns

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
