"""Writes failed events to the failed-events Firehose, one base64 single-object Avro record per
line (Firehose concatenates records with no delimiter, and single-object records carry no length)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import TYPE_CHECKING

from sluice.producers.batching import Delivery
from sluice.producers.firehose import RecordSink
from sluice.producers.retry import Deadline

if TYPE_CHECKING:
    from sluice.events.codec import Codec
    from sluice.events.failed import FailedEvent


def failed_line(codec: Codec, failed: FailedEvent) -> bytes:
    return base64.b64encode(codec.encode(failed.to_record())) + b"\n"


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
