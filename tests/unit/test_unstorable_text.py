"""Text no sink can store (U+0000, a lone surrogate): refused in what a client sends, on the fast
path and the slow one, at ingest and in the processor; replaced in what Sluice fills itself."""

from __future__ import annotations

import pytest
from support.factories import avro_record, player_json

from sluice.events.bounds import RecordBounds, clip
from sluice.events.errors import SchemaViolationError
from sluice.events.json_mapping import EventMapper


@pytest.mark.parametrize(
    ("path", "value"),
    [
        ("session_id", "s\x00"),  # min_length 1: the fast test of a required identifier
        ("content.title", "\x00"),  # max_length only
        ("content.title", "Titre é\x00"),  # not ASCII: the slow path
        ("content.title", "Film \ud83c"),
        ("player.version", "\udfac"),
    ],
)
def test_ingest_and_the_processor_refuse_it_in_every_kind_of_string_field(path, value):
    outer, name = path.split(".") if "." in path else (None, path)
    event = player_json()
    (event[outer] if outer else event)[name] = value
    with pytest.raises(SchemaViolationError) as caught:
        EventMapper().to_record(event, server_time=0)
    assert caught.value.codes == {"unstorable_text"} and str(caught.value).startswith(f"{path}: holds ")
    record = avro_record()
    (record[outer] if outer else record)[name] = value
    assert [(p.path, p.code) for p in RecordBounds().problems(record)] == [(path, "unstorable_text")]


def test_only_nul_and_lone_surrogates_are_refused_not_other_control_characters_or_noncharacters():
    # Redshift and PostgreSQL store these (see bounds.UNSTORABLE_TEXT)
    stored = "Film 🎬\t\x01\x7f\ufffe\ufdd0"
    assert EventMapper().to_record(player_json(content={"id": "c", "title": stored}), server_time=0)
    with pytest.raises(SchemaViolationError):
        EventMapper().to_record(player_json(content={"id": "c", "title": stored + "\x00"}), server_time=0)


def test_what_sluice_fills_from_a_clients_text_is_made_storable_not_refused():
    assert clip("Mozilla\x00/5.0", 64) == "Mozilla\ufffd/5.0"
    assert clip("agent \ud83c", 64) == "agent \ufffd"
    # the replacement is three UTF-8 bytes: the clip still holds the bound
    assert clip("a" * 8 + "\x00" * 4, 10) == "a" * 8
    assert clip("plain", 64) == "plain"
