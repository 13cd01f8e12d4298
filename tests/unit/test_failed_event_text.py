"""A failed event is always written, whatever the record it describes carried in the fields that
describe it: the writer never raises on one (the item behind it would be retried for ever)."""

from __future__ import annotations

import base64

from sluice.events.codec import Codec
from sluice.events.failed import FailedEvent
from sluice.failures.writer import MAX_LINE_BYTES, failed_line
from sluice.loader.lines import parse_object


def _back(codec: Codec, line: bytes) -> FailedEvent:
    return FailedEvent.from_record(codec.decode(base64.b64decode(line)))


def test_a_lake_line_whose_event_id_is_half_a_character_is_written_as_a_failed_event():
    # GIVEN a lake line whose event_id is a lone surrogate escape (json reads it as one)
    (bad,) = parse_object(b'{"event_id": "\\ud83c", "player_name": "web"}\n').bad
    failed = FailedEvent("sink_rejection", "loader", "BadLakeLine", bad.reason, bad.raw, event_id=bad.event_id)
    # WHEN it is written THEN it is a line, its event_id readable, its original the line as it was
    codec = Codec("failed_event")
    back = _back(codec, failed_line(codec, failed))
    assert (back.event_id, back.original, back.replayable) == ("\ufffd", bad.raw, True)


def test_a_record_with_a_huge_event_id_still_fits_its_firehose_record():
    # GIVEN a raw record of 1 MiB whose event_id (the processor refuses it) is 900,000 bytes
    failed = FailedEvent(
        "schema", "processor", "SchemaViolationError", "event_id: too long", b"x" * (1 << 20), event_id="i" * 900_000
    )
    # WHEN it is written THEN the line fits, the original cut and named by its whole size
    codec = Codec("failed_event")
    line = failed_line(codec, failed)
    back = _back(codec, line)
    assert len(line) <= MAX_LINE_BYTES
    assert (back.original_truncated, back.original_size, back.event_id) == (True, 1 << 20, "i" * 2048)
