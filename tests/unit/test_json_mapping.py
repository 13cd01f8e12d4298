"""Player JSON to Avro records: every problem named by path, all at once."""

from __future__ import annotations

import pytest
from support.factories import NOW_MS, player_json

from sluice.events.errors import MalformedJsonError, SchemaViolationError
from sluice.events.json_mapping import EventMapper, parse_json, to_json_value


def _errors(event):
    with pytest.raises(SchemaViolationError) as caught:
        EventMapper().to_record(event, server_time=NOW_MS)
    return [str(e) for e in caught.value.errors]


def test_a_valid_event_maps_with_server_time_and_typed_payload():
    record = EventMapper().to_record(player_json("pause", {"playhead_ms": 12}), server_time=NOW_MS)
    assert record["server_time"] == NOW_MS
    assert record["client_time"] == NOW_MS - 1750
    assert record["payload"] == ("sluice.events.PausePayload", {"playhead_ms": 12})
    assert record["device"] == {
        "id": None,
        "type": "desktop",
        "model": None,
        "screen_width": None,
        "screen_height": None,
    }


def test_wrong_type_names_path_expected_type_and_value():
    event = player_json()
    event["payload"]["bitrate_kbps"] = "abc"
    assert _errors(event) == ['payload.bitrate_kbps: expected long, got "abc"']


def test_all_errors_of_an_event_come_at_once():
    event = player_json()
    event["payload"]["bitrate_kbps"] = "abc"
    event["sequence"] = 1.5
    del event["session_id"]
    event["player"]["version"] = 4
    event["event_id"] = "not-a-uuid"
    assert sorted(_errors(event)) == sorted(
        [
            'payload.bitrate_kbps: expected long, got "abc"',
            "sequence: expected long, got 1.5",
            "session_id: required field is missing",
            "player.version: expected string, got 4",
            'event_id: expected a UUID string, got "not-a-uuid"',
        ]
    )


def test_unknown_event_type_is_its_own_code():
    with pytest.raises(SchemaViolationError) as caught:
        EventMapper().to_record(player_json("teleport"), server_time=NOW_MS)
    assert caught.value.codes == {"unknown_event_type"}
    assert str(caught.value) == 'event_type: unknown value "teleport"'


def test_missing_payload_and_mismatched_payload_fields():
    assert _errors(player_json("pause", payload=None) | {"payload": None}) == ["payload: required for event type pause"]
    assert _errors(player_json("seek", {"playhead_ms": 1})) == [
        "payload.from_ms: required field is missing",
        "payload.to_ms: required field is missing",
        "payload.playhead_ms: not a field of this record",
    ]


def test_server_fields_and_unknown_fields_are_refused():
    event = player_json(server_time=1, colour="red")
    assert sorted(_errors(event)) == [
        "colour: not a field of this record",
        "server_time: set by the server; a player must not send it",
    ]


@pytest.mark.parametrize(
    ("value", "ok"),
    [
        ("2026-11-26T08:00:00Z", True),
        ("2026-11-26T09:00:00+01:00", True),
        (1_795_680_000_000, True),
        ("2026-11-26T08:00:00", False),  # no zone: ambiguous
        ("yesterday", False),
        (True, False),
    ],
)
def test_client_time_forms(value, ok):
    event = player_json(client_time=value)
    if ok:
        assert EventMapper().to_record(event, server_time=NOW_MS)["client_time"] == 1_795_680_000_000
    else:
        assert _errors(event)[0].startswith("client_time: expected an ISO-8601 time with a zone or epoch milliseconds")


def test_integer_ranges_and_booleans_are_not_numbers():
    event = player_json("ad_quartile", {"ad_id": "a", "quartile": 2**40})
    assert _errors(event) == [f"payload.quartile: {2**40} does not fit an Avro int"]
    assert _errors(player_json(sequence=True)) == ["sequence: expected long, got true"]


def test_not_an_object():
    assert _errors([1, 2]) == ["expected an event object, got [1, 2]"]


def test_malformed_json_says_where_it_broke():
    with pytest.raises(MalformedJsonError, match="line 1 column 13: Expecting value"):
        parse_json(b'{"event_id":')


def test_to_json_value_renders_times_and_plain_payload():
    record = EventMapper().to_record(player_json("pause", {"playhead_ms": 12}), server_time=NOW_MS)
    value = to_json_value(record, frozenset({"client_time", "server_time"}))
    assert value["server_time"] == "2026-11-26T08:00:00.000Z"
    assert value["client_time"] == "2026-11-26T07:59:58.250Z"
    assert value["payload"] == {"playhead_ms": 12}
