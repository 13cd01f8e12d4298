"""The OpenSearch index template for the event indices, generated from the schema columns.

``dynamic: strict``: a document with a field the template does not know is rejected (and becomes
a failed event), so an index never grows a guessed mapping.
"""

from __future__ import annotations

from typing import Any

from sluice.artifacts.columns import Column, event_columns
from sluice.events.registry import PLAYER_EVENT, default_registry

__all__ = ["index_template"]

_TYPES: dict[str, dict[str, Any]] = {
    "uuid": {"type": "keyword"},
    "enum": {"type": "keyword"},
    "long": {"type": "long"},
    "int": {"type": "integer"},
    "boolean": {"type": "boolean"},
    "float": {"type": "float"},
    "double": {"type": "double"},
    "timestamp": {"type": "date", "format": "strict_date_optional_time||epoch_millis"},
}
# Long free text is searched by words as well as filtered on exactly.
_TEXT_LENGTH = 512


def _mapping(column: Column) -> dict[str, Any]:
    # ignore_above counts characters and the schema's max_length bytes, so no accepted value is
    # ever left out of the keyword index.
    if column.avro_type == "string" and column.max_length >= _TEXT_LENGTH:
        return {"type": "text", "fields": {"raw": {"type": "keyword", "ignore_above": column.max_length}}}
    if column.avro_type == "string":
        return {"type": "keyword", "ignore_above": column.max_length}
    return dict(_TYPES[column.avro_type])


def index_template(prefix: str = "sluice-events", *, shards: int = 1, replicas: int = 1) -> dict[str, Any]:
    version = default_registry().latest(PLAYER_EVENT)
    return {
        "index_patterns": [f"{prefix}-*"],
        "priority": 100,
        "template": {
            "settings": {
                "number_of_shards": shards,
                "number_of_replicas": replicas,
                # Realtime views tolerate seconds of delay; a 1 s refresh costs indexing throughput.
                "refresh_interval": "5s",
            },
            "mappings": {
                "dynamic": "strict",
                "_meta": {"schema": version.name, "fingerprint": version.fingerprint_hex},
                "properties": {c.name: _mapping(c) for c in event_columns()},
            },
        },
    }
