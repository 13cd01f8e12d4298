"""What the web SDK (clients/web) needs of the event contract, generated from the current Avro
schema: every field of the envelope and of each event type's payload, with its type, whether it
may be null, its enum symbols and its bounds. The SDK's tests check every event it emits against
it; ``clients/web/src/contract.generated.js`` is this module's output, and a unit test fails when
the committed file is stale."""

from __future__ import annotations

import json
from typing import Any

from sluice.events.json_mapping import READER_EVENT_TYPES, SERVER_FIELDS, payload_record_name
from sluice.events.registry import PLAYER_EVENT, default_registry

__all__ = ["HEADER", "string_limits", "web_contract", "web_contract_module"]

HEADER = (
    "// Generated from the Avro schema {name} ({fingerprint}) by `sluice schemas render web`.\n"
    "// Do not edit: regenerate with `sluice schemas render web > clients/web/src/contract.generated.js`.\n"
)


def _field(field: dict[str, Any]) -> dict[str, Any]:
    schema = field["type"]
    nullable = isinstance(schema, list) and "null" in schema
    if isinstance(schema, list):
        schema = next(b for b in schema if b != "null")
    described: dict[str, Any] = {"name": field["name"], "nullable": nullable}
    if isinstance(schema, dict) and schema.get("type") == "record":
        described["type"] = "record"
        described["fields"] = [_field(f) for f in schema["fields"]]
    elif isinstance(schema, dict) and schema.get("type") == "enum":
        described["type"] = "enum"
        described["symbols"] = list(schema["symbols"])
    else:
        described["type"] = "timestamp" if field.get("semantic") == "timestamp-millis" else str(schema)
        if field.get("semantic") == "uuid":
            described["type"] = "uuid"
    for attribute, key in (
        ("min_length", "minLength"),
        ("max_length", "maxLength"),
        ("minimum", "min"),
        ("maximum", "max"),
    ):
        if attribute in field:
            described[key] = field[attribute]
    return described


def web_contract() -> dict[str, Any]:
    version = default_registry().latest(PLAYER_EVENT)
    fields = version.schema["fields"]
    # What a client may send: the types only Sluice's readers write are not the SDK's to emit.
    event_types = [
        t
        for t in next(f for f in fields if f["name"] == "event_type")["type"]["symbols"]
        if t not in READER_EVENT_TYPES
    ]
    envelope = [_field(f) for f in fields if f["name"] not in SERVER_FIELDS | {"payload"}]
    next(f for f in envelope if f["name"] == "event_type")["symbols"] = event_types
    payloads = {
        record["name"]: [_field(f) for f in record["fields"]]
        for record in next(f for f in fields if f["name"] == "payload")["type"]
        if record != "null"
    }
    return {
        "schema": version.name,
        "fingerprint": version.fingerprint_hex,
        "envelope": envelope,
        "payloads": {t: payloads[payload_record_name(t).rsplit(".", 1)[-1]] for t in event_types},
    }


def string_limits(contract: dict[str, Any]) -> dict[str, int]:
    """The bound of every string the SDK may fill, by path (``content.id``; payload fields by
    name): all the SDK itself needs, kept apart so a bundle leaves the rest of the contract out."""
    limits: dict[str, int] = {}

    def walk(fields: list[dict[str, Any]], prefix: str) -> None:
        for field in fields:
            if field["type"] == "record":
                walk(field["fields"], f"{prefix}{field['name']}.")
            elif field["type"] == "string" and "maxLength" in field:
                limits[prefix + field["name"]] = field["maxLength"]

    walk(contract["envelope"], "")
    for fields in contract["payloads"].values():
        walk(fields, "")
    return limits


def web_contract_module() -> str:
    contract = web_contract()
    header = HEADER.format(name=contract["schema"], fingerprint=contract["fingerprint"])
    limits = json.dumps(string_limits(contract), indent=2)
    return (
        header
        + f"export const STRING_LIMITS = {limits};\n\nexport const CONTRACT = {json.dumps(contract, indent=2)};\n"
    )
