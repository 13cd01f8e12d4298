"""Codec throughput beside raw fastavro, on the same records in the same run.

The codec adds the single-object header, the fingerprint lookup and the typed error checks to
fastavro's schemaless writer and reader; the goal is to cost at most 20% (ratio >= 0.8).
"""

from __future__ import annotations

from io import BytesIO
from typing import Any

from fastavro import schemaless_reader, schemaless_writer
from sluice_tools.traffic.generator import TrafficConfig, generate

from bench.timing import Result, best_rate
from sluice.events.codec import HEADER_SIZE, Codec
from sluice.events.intake import EventIntake

START_MS = 1_795_680_000_000


def sample_records(sessions: int) -> list[dict[str, Any]]:
    intake = EventIntake.default()
    return [
        intake.from_bytes(e.body.encode(), server_time=START_MS)
        for e in generate(TrafficConfig(sessions=sessions, seed=42, start_ms=START_MS))
    ]


def run(sessions: int = 400) -> list[Result]:
    records = sample_records(sessions)
    codec = Codec()
    schema = codec.writer.parsed
    encoded = [codec.encode(r) for r in records]
    bodies = [e[HEADER_SIZE:] for e in encoded]

    def raw_encode() -> None:
        for record in records:
            buffer = BytesIO()
            schemaless_writer(buffer, schema, record)
            buffer.getvalue()

    def codec_encode() -> None:
        for record in records:
            codec.encode(record)

    def raw_decode() -> None:
        for body in bodies:
            schemaless_reader(BytesIO(body), schema, None, return_record_name=True, return_record_name_override=True)

    def codec_decode() -> None:
        for data in encoded:
            codec.decode(data)

    n = len(records)
    return [
        Result(
            "codec encode", best_rate(codec_encode, n), "raw fastavro schemaless_writer", best_rate(raw_encode, n), 0.8
        ),
        Result(
            "codec decode", best_rate(codec_decode, n), "raw fastavro schemaless_reader", best_rate(raw_decode, n), 0.8
        ),
    ]
