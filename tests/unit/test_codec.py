"""Single-object encoding: round trips, version resolution, typed errors, and interop with the
official Apache avro package in both directions."""

from __future__ import annotations

import io
import json

import avro.io
import avro.schema
import pytest
from support.factories import NOW_MS, avro_record, encoded

from sluice.events.codec import MAGIC, Codec, header_for
from sluice.events.errors import (
    BadMagicError,
    CorruptBodyError,
    DecodeError,
    TrailingBytesError,
    TruncatedBodyError,
    UnknownFingerprintError,
)
from sluice.events.registry import PLAYER_EVENT, default_registry


def _official_schema(version: str) -> avro.schema.Schema:
    return avro.schema.parse(json.dumps(default_registry().find(version).schema))


def test_round_trip_keeps_every_field():
    record = avro_record("heartbeat")
    back = Codec().decode(Codec().encode(record))
    assert back == record


def test_header_is_magic_then_little_endian_fingerprint():
    data = encoded()
    current = default_registry().latest(PLAYER_EVENT)
    assert data[:2] == b"\xc3\x01"
    assert data[2:10] == current.fingerprint.to_bytes(8, "little")


def test_a_v1_record_decodes_into_the_current_schema_with_defaults():
    v1 = default_registry().find("player_event.v1")
    record = avro_record("heartbeat")
    for field in ("ingest", "enrichment"):
        del record[field]
    payload_name, payload = record["payload"]
    record["payload"] = (payload_name, {k: v for k, v in payload.items() if k != "frame_rate"})
    body = io.BytesIO()
    from fastavro import schemaless_writer

    schemaless_writer(body, v1.parsed, record)
    back = Codec().decode(header_for(v1.fingerprint) + body.getvalue())
    assert back["ingest"] is None and back["enrichment"] is None
    assert back["payload"][1]["frame_rate"] is None
    assert back["payload"][1]["bitrate_kbps"] == payload["bitrate_kbps"]


def test_bad_magic_unknown_fingerprint_truncated_and_trailing_are_four_distinct_errors():
    data = encoded()
    cases = {
        BadMagicError: b"\x00\x01" + data[2:],
        UnknownFingerprintError: MAGIC + (12345).to_bytes(8, "little") + data[10:],
        TruncatedBodyError: data[:-3],
        TrailingBytesError: data + b"\x00",
    }
    for error, bad in cases.items():
        with pytest.raises(DecodeError) as caught:
            Codec().decode(bad)
        assert type(caught.value) is error
    assert len(set(cases)) == 4 and not any(issubclass(a, b) for a in cases for b in cases if a is not b)


def test_a_truncated_header_is_a_truncated_record():
    with pytest.raises(TruncatedBodyError, match="header"):
        Codec().decode(encoded()[:6])


def test_every_cut_of_a_record_fails_as_truncated_never_decodes():
    data = encoded()
    for cut in range(10, len(data)):
        with pytest.raises((TruncatedBodyError, CorruptBodyError)):
            Codec().decode(data[:cut])


def test_a_failed_event_fingerprint_is_named_when_decoding_player_events():
    failed = default_registry().latest("failed_event")
    with pytest.raises(UnknownFingerprintError, match=f"{failed.fingerprint_hex} is {failed.name}"):
        Codec().decode(header_for(failed.fingerprint) + b"\x00")


def test_records_from_sluice_decode_with_the_official_avro_package():
    data = encoded("heartbeat")
    official = _official_schema("player_event")
    assert data[2:10] == official.fingerprint("CRC-64-AVRO")
    datum = avro.io.DatumReader(official).read(avro.io.BinaryDecoder(io.BytesIO(data[10:])))
    assert datum["event_type"] == "heartbeat"
    assert datum["payload"]["bitrate_kbps"] == 3000
    assert datum["server_time"] == NOW_MS


def test_single_object_records_from_the_official_package_decode_with_sluice():
    for version in ("player_event.v1", "player_event.v2"):
        official = _official_schema(version)
        datum = {
            "event_id": "0b7f1f4e-2c1a-4f7e-9a6b-1d2e3f405162",
            "event_type": "heartbeat",
            "session_id": "s-1",
            "sequence": 3,
            "client_time": NOW_MS - 1000,
            "server_time": NOW_MS,
            "player": {"name": "sluice-web", "version": "4.12.1"},
            "device": {"id": None, "type": "tv", "model": None, "screen_width": None, "screen_height": None},
            "content": {"id": "c-1", "title": None, "duration_ms": None, "live": True},
            "cdn": {"name": "fastly", "host": None},
            "payload": {
                "playhead_ms": 5,
                "bitrate_kbps": 800,
                "buffer_length_ms": 1,
                "dropped_frames": 0,
                "watch_time_ms": 1,
                "rebuffer_time_ms": 0,
                "interval_ms": 10,
                "frame_rate": None,
            },
        }
        if version.endswith("v2"):
            datum.update(ingest=None, enrichment=None)
        else:
            del datum["payload"]["frame_rate"]
        body = io.BytesIO()
        avro.io.DatumWriter(official).write(datum, avro.io.BinaryEncoder(body))
        record = MAGIC + official.fingerprint("CRC-64-AVRO") + body.getvalue()
        back = Codec().decode(record)
        assert back["payload"] == ("sluice.events.HeartbeatPayload", {**datum["payload"], "frame_rate": None})
        assert back["cdn"]["name"] == "fastly"


def test_filling_the_last_field_gives_the_bytes_a_full_encode_gives():
    """The processor's clean record: the raw bytes with the enrichment filled in must be the very
    record a full encode writes, for every kind of event."""
    import time

    from sluice_tools.cost.traffic import generated_events

    from sluice.events.json_mapping import EventMapper
    from sluice.processor.enrichment import enrich

    codec, mapper, now = Codec(), EventMapper(), int(time.time() * 1000)
    for event in generated_events(sessions=40, seed=9):
        record = mapper.to_record(event, server_time=now)
        record["ingest"] = {
            "request_id": "r",
            "user_agent": "Mozilla/5.0 (X11; Linux x86_64) Firefox/120.0",
            "country": "GB",
            "client_ip_prefix": None,
        }
        raw = codec.encode(record)
        datum = codec.decode(raw)
        enrich(datum, now)
        assert codec.with_last_field(raw, datum["enrichment"]) == codec.encode(datum)


def test_filling_the_last_field_refuses_a_record_it_cannot_splice():
    from sluice.events.errors import EncodeError

    codec = Codec()
    record = avro_record()
    record["enrichment"] = {
        "device_class": "tv",
        "os_family": None,
        "os_version": None,
        "browser_family": None,
        "browser_version": None,
        "ingest_lag_ms": 1,
        "process_lag_ms": 2,
        "rebuffer_ratio": 0.5,
        "traffic_class": "bot",
        "traffic_reason": "parser:Spider",  # a filled last field whose final byte is not 0
    }
    with pytest.raises(EncodeError):
        codec.with_last_field(codec.encode(record), record["enrichment"])  # already filled: not null
    older = default_registry().versions(PLAYER_EVENT)[0]
    with pytest.raises(EncodeError):
        codec.with_last_field(header_for(older.fingerprint) + b"\x00", {})  # another writer
