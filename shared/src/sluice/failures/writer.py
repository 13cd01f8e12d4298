"""Writes failed events to the failed-events Firehose, one base64 single-object Avro record per
line (Firehose concatenates records with no delimiter, and single-object records carry no length)."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from dataclasses import dataclass, field

from sluice.events.codec import Codec
from sluice.events.failed import FailedEvent
from sluice.events.registry import FAILED_EVENT
from sluice.producers.batching import Delivery
from sluice.producers.firehose import RecordSink
from sluice.producers.retry import Deadline


def failed_line(codec: Codec, failed: FailedEvent) -> bytes:
    return base64.b64encode(codec.encode(failed.to_record())) + b"\n"


@dataclass
class FailedEventWriter:
    producer: RecordSink
    codec: Codec = field(default_factory=lambda: Codec(FAILED_EVENT))

    def write(self, failed: Sequence[FailedEvent], deadline: Deadline) -> Delivery:
        return self.producer.put([failed_line(self.codec, f) for f in failed], deadline)
