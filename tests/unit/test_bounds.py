"""The bounds of the event contract: declared once in the schemas, enforced at ingest, and what
every derived key, column and mapping is made from."""

from __future__ import annotations

import json

import pytest
from sluice_tools.artifacts.opensearch import index_template
from sluice_tools.artifacts.warehouse import create_table_ddl
from support.factories import NOW_MS, player_json

from sluice.artifacts.columns import event_columns
from sluice.events.bounds import RecordBounds, clip, field_bounds, max_bytes
from sluice.events.errors import SchemaViolationError
from sluice.events.json_mapping import EventMapper
from sluice.events.registry import PLAYER_EVENT, default_registry
from sluice.ingest.body import split_events
from sluice.monitor.aggregate import DIMENSION_FIELDS, max_value_bytes
from sluice.monitor.incidents import MAX_IMPACTED, AlertMessage, incident_id
from sluice.monitor.outputs import sns_subject
from sluice.monitor.rules import RULE_NAMES
from sluice.monitor.store import alert_sort_key

# Fields Sluice sets itself: its own clock, and differences of two bounded timestamps.
SERVER_COMPUTED = {"server_time", "ingest_lag_ms", "process_lag_ms"}


def _leaf_fields(record, path=""):
    for field in record["fields"]:
        branches = field["type"] if isinstance(field["type"], list) else [field["type"]]
        nested = [b for b in branches if isinstance(b, dict) and b.get("type") == "record"]
        if nested:
            for branch in nested:
                yield from _leaf_fields(branch, f"{path}{field['name']}.")
        else:
            kind = next((b for b in branches if b != "null"), None)
            yield f"{path}{field['name']}", field, kind if isinstance(kind, str) else kind["type"]


@pytest.mark.parametrize("version", default_registry().versions(PLAYER_EVENT), ids=lambda v: v.name)
def test_every_string_and_number_a_client_sends_is_bounded_in_every_shipped_version(version):
    for path, field, kind in _leaf_fields(version.schema):
        if kind == "string":
            assert "max_length" in field, f"{version.name}: {path} has no max_length"
        elif kind in ("int", "long", "float", "double") and path.rsplit(".", 1)[-1] not in SERVER_COMPUTED:
            assert "minimum" in field and "maximum" in field, f"{version.name}: {path} is not bounded"
            # ingest takes an in-bound integer as sent: the bound must lie inside the Avro type
            low, high = {"int": (-(2**31), 2**31 - 1), "long": (-(2**63), 2**63 - 1)}.get(kind, (-1e308, 1e308))
            assert low <= field["minimum"] <= field["maximum"] <= high, f"{path}: bound outside {kind}"


def _event_with(path: str, value):
    event = player_json("heartbeat")
    target = event
    *parents, leaf = path.split(".")
    for parent in parents:
        target = target[parent]
    target[leaf] = value
    return event


def _problems(event) -> list[str]:
    with pytest.raises(SchemaViolationError) as caught:
        EventMapper().to_record(event, server_time=NOW_MS)
    return [f"{e.path}:{e.code}" for e in caught.value.errors]


@pytest.mark.parametrize(
    ("path", "value", "problem"),
    [
        ("session_id", "", "session_id:too_short"),
        ("session_id", "   ", "session_id:too_short"),  # the processor trims: a blank partition key
        ("session_id", "s" * 257, "session_id:too_long"),
        ("content.id", "c" * 2100, "content.id:too_long"),
        ("player.name", "é" * 33, "player.name:too_long"),  # 66 bytes of UTF-8, over 64
        ("cdn.name", "İ" * 22, "cdn.name:too_long"),  # 44 bytes, 66 once lower-cased by the processor
        ("payload.rebuffer_time_ms", -10_000, "payload.rebuffer_time_ms:out_of_range"),
        ("payload.watch_time_ms", -1, "payload.watch_time_ms:out_of_range"),
        ("payload.bitrate_kbps", 10**15, "payload.bitrate_kbps:out_of_range"),
        ("sequence", -1, "sequence:out_of_range"),
        ("client_time", -(2**62), "client_time:out_of_range"),
    ],
)
def test_an_out_of_bounds_field_is_that_events_schema_error(path, value, problem):
    assert _problems(_event_with(path, value)) == [problem]


def test_a_5000_digit_number_is_that_events_schema_error_not_the_requests():
    good = json.dumps(player_json())
    huge = json.dumps(player_json()).replace('"bitrate_kbps": 3000', '"bitrate_kbps": ' + "9" * 5000)
    assert "9" * 5000 in huge
    events = split_events(f"[{good},{huge}]".encode(), "application/json", 10)
    EventMapper().to_record(events[0].value, server_time=NOW_MS)
    with pytest.raises(SchemaViolationError) as caught:
        EventMapper().to_record(events[1].value, server_time=NOW_MS)
    assert [e.code for e in caught.value.errors] == ["out_of_range"]
    assert "5000 digits" in str(caught.value)
    # and in NDJSON, line by line
    ndjson = split_events(f"{good}\n{huge}\n".encode(), "application/x-ndjson", 10)
    assert [e.error for e in ndjson] == [None, None]


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity", "1e999"])
def test_non_finite_numbers_are_refused(literal):
    text = json.dumps(player_json()).replace('"bitrate_kbps": 3000', f'"frame_rate": {literal}, "bitrate_kbps": 3000')
    (event,) = split_events(text.encode(), "application/json", 1)
    assert _problems(event.value) == ["payload.frame_rate:out_of_range"]


def test_values_at_their_bounds_are_accepted():
    event = _event_with("session_id", "s" * 128)
    event["content"]["id"] = "é" * 256  # 512 bytes
    event["payload"]["rebuffer_time_ms"] = 0
    EventMapper().to_record(event, server_time=NOW_MS)


def test_the_processor_checks_the_same_bounds_on_decoded_records():
    record = EventMapper().to_record(player_json(), server_time=NOW_MS)
    assert RecordBounds().problems(record) == []
    record["session_id"] = " "
    record["payload"][1]["rebuffer_time_ms"] = -5
    assert sorted(str(p) for p in RecordBounds().problems(record)) == [
        "payload.rebuffer_time_ms: -5 is below the minimum of 0",
        "session_id: must not be blank",
    ]


def test_derived_keys_are_legal_at_the_bounds():
    # Kinesis partition key: 1 to 256 Unicode characters (at most one per byte).
    assert 1 <= max_bytes("session_id") <= 256
    # OpenSearch _id (the event id): at most 512 bytes.
    assert max_bytes("event_id") <= 512
    # The monitor's DynamoDB keys hold window starts, shard ids and incident ids, never a
    # client's value; its largest message, with the longest values the schema allows in its
    # cause and its listed knock-ons, still fits SNS (256 KB; subject 100 ASCII characters).
    longest = {d: "v" * max_value_bytes(d) for d in DIMENSION_FIELDS}
    cause = (("content", longest["content"]), ("player_version", longest["player_version"]))
    pair = {"cdn": longest["cdn"], "country": longest["country"]}
    message = AlertMessage(
        incident_id(cause, "2026-11-26T08:00:00Z"),
        "opened",
        "2026-11-26T08:00:00Z",
        "2026-11-26T08:01:00Z",
        max(RULE_NAMES, key=len),
        "video_start_failure_rate",
        dict(cause),
        0.5,
        0.01,
        10**9,
        1.0,
        0.01,
        rules=[{"rule": r, "metric": r, "observed": 0.5, "baseline": 0.01} for r in RULE_NAMES],
        impacted=[pair] * MAX_IMPACTED,
        impacted_total=10**6,
        detail="x" * 200,
    )
    assert len(alert_sort_key(message).encode()) <= 1024  # DynamoDB's sort key limit
    assert len(json.dumps(message.to_dict(), indent=2).encode()) <= 256 * 1024
    subject = sns_subject(message.subject())
    assert len(subject) < 100 and subject.isascii() and subject.isprintable()


def test_columns_and_mappings_come_from_the_same_bounds():
    bounds = field_bounds()
    columns = {c.name: c for c in event_columns()}
    assert columns["player_name"].max_length == bounds["player.name"].max_length == 64
    assert columns["content_id"].max_length == 512
    ddl = create_table_ddl("postgresql")
    assert "player_name VARCHAR(64)" in ddl and "content_id VARCHAR(512)" in ddl
    properties = index_template()["template"]["mappings"]["properties"]
    assert properties["cdn_name"] == {"type": "keyword", "ignore_above": 64}
    assert properties["message"]["fields"]["raw"]["ignore_above"] == 2048


def test_clip_never_cuts_a_character():
    assert clip("é" * 10, 5) == "éé"
    assert clip("plain", 64) == "plain"
    assert clip(None, 3) is None


def test_the_bounds_left_every_shipped_fingerprint_as_it_was():
    # Extra attributes are not part of the Parsing Canonical Form: records written before the
    # bounds existed still decode by the fingerprint they carry.
    shipped = {v.name: v.fingerprint_hex for v in default_registry().versions(PLAYER_EVENT)}
    assert shipped == {
        "player_event.v1": "3f0ae8db344cbe06",
        "player_event.v2": "f9830803403edb9a",
        "player_event.v3": "018f282da165033e",  # CMCD reports
        "player_event.v4": "ccf6fd37554be9f2",  # not-viewing flags; CMCD keys dropped, by type, inferred sessions
        "player_event.v5": "6cee76ef2b58f6dc",  # CDN requests from real-time logs
    }
