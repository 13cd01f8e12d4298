"""Writes failed events to the failed-events Firehose, one base64 single-object Avro record per
line (Firehose concatenates records with no delimiter, and single-object records carry no length).

Every failed event fits its Firehose record by construction: base64 makes a line 4/3 of the Avro
record, so an original over ~750 KiB would make a line Firehose refuses, and the item behind it
would be retried for ever. Such an original is cut to what fits and the failed event marked
truncated, with the whole original's size and SHA-256 (failed_event.v2)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from sluice.events.bounds import REPLACEMENT, UNSTORABLE_TEXT, clip
from sluice.producers.batching import Delivery
from sluice.producers.firehose import PUT_RECORD_BATCH_LIMITS, RecordSink
from sluice.runtime.deadline import Deadline

__all__ = ["MAX_LINE_BYTES", "FailedEventWriter", "failed_line"]

if TYPE_CHECKING:
    from sluice.events.codec import Codec
    from sluice.events.failed import FailedEvent

# The failed-events line is the Firehose record: at most 1,000 KiB of data (its own base64 by the
# API does not count), named in sluice.producers.firehose.
MAX_LINE_BYTES = PUT_RECORD_BATCH_LIMITS.max_entry_bytes
# An Avro length grows from 1 byte (an empty original) to at most 10 (a zigzag varint long).
_LENGTH_GROWTH = 9
# In a failed event too big for its line, each text that describes the original (its event_id,
# type, source, ...) is cut to this: a record can carry an event_id of hundreds of KiB (its bound
# is what the processor refused), and the original must still have room. An S3 source (a 1,024-
# byte key, its bucket and line) fits.
_MAX_DESCRIPTION_BYTES = 2048
_DESCRIPTIONS = (
    "stage",
    "error_code",
    "fingerprint",
    "event_id",
    "event_type",
    "source",
    "shard_id",
    "sequence_number",
)
# What no sink can store (events.bounds): a lone surrogate is no UTF-8, so Avro would refuse the
# whole failed event (a lake line's "event_id": "\ud83c" is read by json as one, and the loader
# would fail its object for ever).


def _line(avro: bytes) -> bytes:
    return base64.b64encode(avro) + b"\n"


def _max_avro_bytes(max_line_bytes: int) -> int:
    """The largest Avro record whose base64 line (4 characters per 3 bytes, and a newline) fits."""
    return (max_line_bytes - 1) // 4 * 3


def _max_error_bytes(codec: Codec) -> int:
    (error,) = (f for f in codec.writer.schema["fields"] if f["name"] == "error")
    return int(error["max_length"])


def _encodable(failed: FailedEvent) -> FailedEvent:
    """``failed`` with what no sink can store in its text replaced by U+FFFD."""
    texts = {name: getattr(failed, name) for name in ("error", *_DESCRIPTIONS)}
    bad: dict[str, Any] = {
        name: UNSTORABLE_TEXT.sub(REPLACEMENT, text)
        for name, text in texts.items()
        if text is not None and UNSTORABLE_TEXT.search(text)
    }
    return replace(failed, **bad) if bad else failed


def failed_line(codec: Codec, failed: FailedEvent, max_line_bytes: int = MAX_LINE_BYTES) -> bytes:
    """The failed event's line, its original cut (and the event marked truncated) when the whole
    would not fit ``max_line_bytes``."""
    failed = _encodable(failed)
    whole = codec.encode(failed.to_record())
    if len(_line(whole)) <= max_line_bytes:
        return _line(whole)
    # The error is held to its bound in the schema (its max_length) too, the rest to theirs.
    cuts: dict[str, Any] = {name: clip(getattr(failed, name), _MAX_DESCRIPTION_BYTES) for name in _DESCRIPTIONS}
    cuts["error"] = clip(failed.error, _max_error_bytes(codec))
    described = replace(failed, **cuts)
    room = _max_avro_bytes(max_line_bytes) - len(codec.encode(described.truncated(0).to_record())) - _LENGTH_GROWTH
    if room < 0:
        raise ValueError(f"a failed event of stage {failed.stage} is too big even without its original")
    line = _line(codec.encode(described.truncated(room).to_record()))
    assert len(line) <= max_line_bytes, (len(line), max_line_bytes)
    return line


class FailedEventWriter:
    """Failed events to their Firehose. The Avro codec is built with the first failed event: a
    stage that has none (the loader's lake lines are JSON) never loads it."""

    def __init__(self, producer: RecordSink) -> None:
        self.producer = producer
        self._codec: Codec | None = None

    @property
    def codec(self) -> Codec:
        if self._codec is None:
            from sluice.events.codec import Codec
            from sluice.events.registry import FAILED_EVENT

            self._codec = Codec(FAILED_EVENT)
        return self._codec

    def write(self, failed: Sequence[FailedEvent], deadline: Deadline) -> Delivery:
        # An empty list never touches the codec.
        return self.producer.put([failed_line(self.codec, f) for f in failed], deadline)
