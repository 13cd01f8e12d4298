"""Factories for the shapes tests need: player JSON, Avro records, Lambda trigger events."""

from __future__ import annotations

import base64
import copy
import json
import time
import uuid
from datetime import UTC, datetime
from functools import cache
from typing import Any

from sluice_tools.traffic.generator import STEADY_HEARTBEAT_PAYLOAD, GeneratedEvent, TrafficConfig, generate

from sluice.events.codec import Codec
from sluice.events.json_mapping import EventMapper, iso_millis
from sluice.producers.kinesis import StreamRecord

NOW_MS = 1_795_680_000_000  # 2026-11-26T08:00:00Z

HEARTBEAT_PAYLOAD: dict[str, Any] = dict(STEADY_HEARTBEAT_PAYLOAD)  # a plain dict: the factories deep-copy it


PAYLOADS: dict[str, dict[str, Any]] = {
    "heartbeat": HEARTBEAT_PAYLOAD,
    "pause": {"playhead_ms": 61_000},
    "play": {"playhead_ms": 0, "initial": True, "startup_time_ms": 950},
    "seek": {"from_ms": 61_000, "to_ms": 120_000},
    "error": {"code": "HTTP_503", "message": "segment fetch failed", "fatal": True, "playhead_ms": None},
    "session_start": {"autoplay": False},
}


def player_json(
    event_type: str = "heartbeat", payload: dict[str, Any] | None = None, **overrides: Any
) -> dict[str, Any]:
    """One event as a player sends it."""
    event: dict[str, Any] = {
        "event_id": str(uuid.uuid4()),
        "event_type": event_type,
        "session_id": "3b0f6d2c-6a8e-4e55-9a57-0c1f7b2f9d11",
        "sequence": 7,
        "client_time": "2026-11-26T07:59:58.250Z",
        "player": {"name": "sluice-web", "version": "4.12.1"},
        "device": {"type": "desktop"},
        "content": {"id": "content-0042", "duration_ms": 3_600_000},
        "cdn": {"name": "akamai"},
        "payload": copy.deepcopy(PAYLOADS.get(event_type, HEARTBEAT_PAYLOAD)) if payload is None else payload,
    }
    event.update(overrides)
    return event


def avro_record(
    event_type: str = "heartbeat", payload: dict[str, Any] | None = None, server_time: int = NOW_MS, **overrides: Any
) -> dict[str, Any]:
    """A player_event record of the current schema."""
    return EventMapper().to_record(player_json(event_type, payload, **overrides), server_time=server_time)


def encoded(event_type: str = "heartbeat", **overrides: Any) -> bytes:
    return Codec().encode(avro_record(event_type, **overrides))


def kinesis_trigger_record(
    data: bytes,
    sequence_number: str,
    *,
    shard: str = "shardId-000000000000",
    partition_key: str = "pk",
    arrival: float = NOW_MS / 1000,
    source_arn: str = "arn:aws:kinesis:eu-west-1:123456789012:stream/sluice-raw",
) -> dict[str, Any]:
    """One record as Lambda's Kinesis event source mapping delivers it."""
    return {
        "kinesis": {
            "kinesisSchemaVersion": "1.0",
            "partitionKey": partition_key,
            "sequenceNumber": sequence_number,
            "data": base64.b64encode(data).decode("ascii"),
            "approximateArrivalTimestamp": arrival,
        },
        "eventSource": "aws:kinesis",
        "eventVersion": "1.0",
        "eventID": f"{shard}:{sequence_number}",
        "eventName": "aws:kinesis:record",
        "invokeIdentityArn": "arn:aws:iam::123456789012:role/sluice-processor",
        "awsRegion": "eu-west-1",
        "eventSourceARN": source_arn,
    }


def kinesis_event(
    records: list[bytes],
    *,
    first_sequence: int = 49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898,
) -> dict[str, Any]:
    """A Lambda Kinesis event carrying ``records`` with increasing sequence numbers."""
    return {
        "Records": [kinesis_trigger_record(data, str(first_sequence + index)) for index, data in enumerate(records)]
    }


def clean_record(event_type: str = "heartbeat", *, age_ms: int = 3000, **overrides: Any) -> dict[str, Any]:
    """A record as the processor writes it to the clean stream: stamped by ingest, enriched."""
    from sluice.processor.enrichment import enrich

    now = int(time.time() * 1000)
    record = avro_record(event_type, server_time=now - age_ms + 1000, client_time=now - age_ms, **overrides)
    record["ingest"] = {
        "request_id": "r-1",
        "user_agent": "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "country": "GB",
        "client_ip_prefix": "198.51.100.0/24",
    }
    enrich(record, now)
    return record


def clean_encoded(event_type: str = "heartbeat", **overrides: Any) -> bytes:
    return Codec().encode(clean_record(event_type, **overrides))


@cache
def _mapper() -> EventMapper:
    return EventMapper()  # compiling the schema takes ~11 ms: once, not per generated event


def generated_raw_record(generated: GeneratedEvent, *, server_time: int, clock_behind_ms: int = 0) -> dict[str, Any]:
    """A generated event as ingest writes it to the raw stream: received at ``server_time`` from
    its session's device and country; the player's clock ``clock_behind_ms`` slow (TVs, set-top boxes)."""
    body = json.loads(generated.body)
    if clock_behind_ms:
        body["client_time"] = iso_millis(
            datetime.fromtimestamp((generated.client_time_ms - clock_behind_ms) / 1000, UTC)
        )
    record = _mapper().to_record(body, server_time=server_time)
    record["ingest"] = {
        "request_id": "r",
        "user_agent": generated.session.device.user_agent,
        "country": generated.session.country,
        "client_ip_prefix": None,
    }
    return record


def raw_stream_records(sessions: int, seed: int) -> list[StreamRecord]:
    """Generated sessions started 20 minutes ago, as ingest wrote them to the raw stream a second
    ago (within the processor's lateness and future-skew bounds): in client-time order, as a busy
    stream holds them, Avro-encoded, each keyed by its session."""
    now = int(time.time() * 1000)
    codec = Codec()
    out = []
    for generated in generate(TrafficConfig(sessions=sessions, seed=seed, start_ms=now - 20 * 60_000)):
        record = generated_raw_record(generated, server_time=now - 1000)
        out.append(StreamRecord(codec.encode(record), record["session_id"]))
    return out


def generated_clean_record(generated: GeneratedEvent, *, clock_behind_ms: int = 0) -> dict[str, Any]:
    """A generated event as the processor writes it to the clean stream: ingest received it half a
    second after it happened; the player's clock ``clock_behind_ms`` slow (TVs, set-top boxes)."""
    record = generated_raw_record(
        generated, server_time=generated.client_time_ms + 500, clock_behind_ms=clock_behind_ms
    )
    record["enrichment"] = {
        "device_class": generated.session.device.type,
        "os_family": None,
        "os_version": None,
        "browser_family": None,
        "browser_version": None,
        "ingest_lag_ms": 500 + clock_behind_ms,
        "process_lag_ms": 300,
        "rebuffer_ratio": None,
    }
    return record
