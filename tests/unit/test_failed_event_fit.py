"""A failed event always fits its Firehose record: the writer cuts an original that would not,
whatever its size, and keeps the whole one's size and digest."""

from __future__ import annotations

import base64
import hashlib
import os

import pytest

from sluice.events.codec import Codec
from sluice.events.failed import FailedEvent
from sluice.failures.writer import MAX_LINE_BYTES, failed_line


@pytest.mark.parametrize("size", [0, 1, 700 * 1024, 767_000, 768 * 1024, 1000 * 1024, 1024 * 1024, 5 * 1024 * 1024])
def test_every_original_size_gives_a_line_within_the_firehose_record(size):
    codec = Codec("failed_event")
    original = os.urandom(size)
    line = failed_line(codec, FailedEvent("format", "processor", "BadMagicError", "e" * 10_000, original))
    assert len(line) <= MAX_LINE_BYTES == 1000 * 1024
    back = FailedEvent.from_record(codec.decode(base64.b64decode(line)))
    assert (back.original_size, back.original_sha256) == (size, hashlib.sha256(original).hexdigest())
    assert original.startswith(back.original)
    assert back.original_truncated == (back.original != original)
    if back.original_truncated:
        assert len(line) > MAX_LINE_BYTES - 16  # cut to what fits, not far below
        assert len(back.error.encode()) <= 4096 and not back.replayable


def test_a_failed_event_of_the_first_version_reads_as_whole():
    import io

    from fastavro import schemaless_writer

    from sluice.events.codec import header_for
    from sluice.events.registry import default_registry

    v1 = default_registry().versions("failed_event")[0]
    record = FailedEvent("late", "processor", "LateEventError", "late", b"abc").to_record()
    for name in ("original_size", "original_sha256", "original_truncated"):
        record.pop(name)
    body = io.BytesIO()
    schemaless_writer(body, v1.parsed, record)
    back = FailedEvent.from_record(Codec("failed_event").decode(header_for(v1.fingerprint) + body.getvalue()))
    assert (back.original, back.original_truncated, back.original_size, back.replayable) == (b"abc", False, 3, True)
