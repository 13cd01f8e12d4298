"""The BACKWARD_TRANSITIVE check catches each way a new version can break old data."""

from __future__ import annotations

import copy
from typing import Any

from sluice_tools.schemas.compatibility import backward_problems, backward_transitive_problems

from sluice.events.registry import PLAYER_EVENT, default_registry


def _current() -> dict[str, Any]:
    return copy.deepcopy(default_registry().latest(PLAYER_EVENT).schema)


def _field(schema: dict[str, Any], name: str) -> dict[str, Any]:
    return next(f for f in schema["fields"] if f["name"] == name)


def _payload(schema: dict[str, Any], record: str) -> dict[str, Any]:
    return next(b for b in _field(schema, "payload")["type"] if b != "null" and b["name"] == record)


def _problems(proposed: dict[str, Any]) -> list[str]:
    return backward_transitive_problems([v.schema for v in default_registry().versions(PLAYER_EVENT)], proposed)


def test_adding_an_optional_field_with_a_default_is_compatible():
    proposed = _current()
    proposed["fields"].append({"name": "experiment", "type": ["null", "string"], "default": None, "doc": "A/B cell."})
    assert _problems(proposed) == []


def test_adding_a_field_without_default_breaks_every_earlier_version():
    proposed = _current()
    proposed["fields"].append({"name": "experiment", "type": "string", "doc": "A/B cell."})
    assert _problems(proposed) == [
        "v1: experiment: field added without a default",
        "v2: experiment: field added without a default",
        "v3: experiment: field added without a default",
        "v4: experiment: field added without a default",
        "v5: experiment: field added without a default",
    ]


def test_narrowing_a_type_is_caught():
    proposed = _current()
    _field(proposed, "sequence")["type"] = "int"
    assert "v1: sequence: writer type long cannot be read as int" in _problems(proposed)


def test_widening_by_promotion_is_allowed():
    proposed = _current()
    _field(_payload(proposed, "HeartbeatPayload"), "frame_rate")["type"] = ["null", "double"]
    assert _problems(proposed) == []


def test_removing_an_enum_symbol_is_caught():
    proposed = _current()
    _field(proposed, "event_type")["type"]["symbols"].remove("pause")
    assert any("lacks symbols ['pause']" in p for p in _problems(proposed))


def test_changing_a_field_inside_a_payload_names_the_branch_and_field():
    proposed = _current()
    _field(_payload(proposed, "HeartbeatPayload"), "bitrate_kbps")["type"] = "string"
    assert "v1: payload<HeartbeatPayload>.bitrate_kbps: writer type long cannot be read as string" in _problems(
        proposed
    )


def test_removing_a_payload_branch_is_caught():
    proposed = _current()
    payload = _field(proposed, "payload")
    payload["type"] = [b for b in payload["type"] if b == "null" or b["name"] != "AdSkipPayload"]
    assert any("AdSkipPayload matches no branch" in p for p in _problems(proposed))


def test_an_older_reader_can_ignore_newer_fields():
    v1, v2 = (v.schema for v in default_registry().versions(PLAYER_EVENT)[:2])
    assert backward_problems(v2, v1) == []
