"""The processor's second input against the AWS API emulator: CloudFront real-time log lines put
on a Kinesis stream, read as Lambda's mapping delivers them; one ``cdn_request`` event per media
request in the lake and on the clean stream, a line that cannot be read a failed event holding it."""

from __future__ import annotations

import json
import time
import uuid

import pytest
from support.aws import CDN_LOG_STREAM as LOG_STREAM  # the log_stream fixture's
from support.aws import bucket_lines, failed_events, kinesis_events_by_shard, read_stream, sluice_cli, stream_events
from support.cdn_lines import line
from support.factories import avro_record, kinesis_event
from support.stages import processor

from sluice.cdn.fields import field_names
from sluice.cdn.requests import CDN_REQUEST_NAMESPACE
from sluice.events.codec import Codec
from sluice.processor.config import ProcessorConfig
from sluice.runtime.config import ConfigError
from sluice.runtime.deadline import Deadline

SID = "6e4c2c3e-8f1a-4d7b-9c55-2f0d1a7b9e01"


def _put(kinesis, lines: list[bytes]) -> None:
    kinesis.put_records(
        StreamName=LOG_STREAM, Records=[{"Data": data, "PartitionKey": str(i)} for i, data in enumerate(lines)]
    )


def _lines(now_s: float) -> dict[str, bytes]:
    stamp = f"{now_s - 2:.3f}"
    return {
        "segment": line(timestamp=stamp, x_edge_request_id="req-segment-1"),
        "cmcd_segment": line(
            timestamp=stamp,
            x_edge_request_id="req-segment-2",
            cs_uri_stem="/vod/big-buck-bunny/1080p/seg_00043.m4s",
            cs_uri_query=f"CMCD=br%3D3200%2Cbl%3D12000%2Csid%3D%22{SID}%22%2Ccid%3D%22bbb%22",
            x_edge_location="FRA56-P2",
            x_edge_result_type="Error",
            sc_status="503",
        ),
        "manifest": line(
            timestamp=stamp,
            x_edge_request_id="req-manifest",
            cs_uri_stem="/vod/big-buck-bunny/master.m3u8",
            sc_content_type="application/vnd.apple.mpegurl",
        ),
        "favicon": line(
            timestamp=stamp, x_edge_request_id="req-favicon", cs_uri_stem="/favicon.ico", sc_content_type="image/x-icon"
        ),
        "unreadable": line(
            timestamp=stamp,
            x_edge_request_id="req-torn",
            cs_headers="Cookie:session%3Dsecret%0ACMCD-Session:sid%3D%22x%22%0A",
        ).replace(b"\t", b" ", 3),
    }


def test_cdn_log_lines_become_one_event_per_media_request(aws, pipeline, log_stream):
    # GIVEN CloudFront's lines on the log stream: two segments, a manifest, a favicon, a torn
    # line, and one line delivered twice (real-time logs are at-least-once)
    now_s = round(time.time(), 3)
    lines = _lines(now_s)
    _put(log_stream, [*lines.values(), lines["segment"]])
    stage = processor(
        aws, pipeline, cdn_log_stream=LOG_STREAM, cdn_log_fields=tuple(field_names()), cdn_sampling_rate=50
    )
    # WHEN the processor gets the log stream as Lambda's second mapping delivers it
    records = read_stream(aws, LOG_STREAM)
    responses = [stage.handle(event, Deadline.after(30)) for event in kinesis_events_by_shard(records)]
    # THEN every media request is one cdn_request event, in the lake and on the clean stream
    assert responses == [{"batchItemFailures": []}]
    lake = [json.loads(row) for row in bucket_lines(aws, pipeline.lake_bucket, "events/")]
    expected = {
        str(uuid.uuid5(CDN_REQUEST_NAMESPACE, f"req-{name}")) for name in ("segment-1", "segment-2", "manifest")
    }
    assert sorted(row["event_id"] for row in lake) == sorted(expected)
    assert {row["event_type"] for row in lake} == {"cdn_request"}
    clean = {r["payload"][1]["cdn_edge_request_id"]: r for r in stream_events(aws, pipeline.clean_stream)}
    assert set(clean) == {"req-segment-1", "req-segment-2", "req-manifest"}
    failing = clean["req-segment-2"]
    payload = failing["payload"][1]
    assert failing["session_id"] == SID and failing["content"]["id"] == "bbb"
    assert (payload["cdn_edge_location"], payload["cdn_status"], payload["cdn_result_type"]) == (
        "FRA56-P2",
        503,
        "Error",
    )
    assert (payload["cmcd_br"], payload["cmcd_bl"], payload["cmcd_source"]) == (3200, 12000, "query")
    assert payload["cdn_sampling_rate"] == 50
    # the full client address stays on the log stream: what is stored is its network
    assert failing["ingest"]["client_ip_prefix"] == "198.51.100.0/24"
    # the event time is the request's; received is when the line reached the stream
    arrival = {r["kinesis"]["sequenceNumber"]: r["kinesis"]["approximateArrivalTimestamp"] for r in records}
    assert failing["client_time"] == round((now_s - 2) * 1000)
    assert failing["server_time"] in {int(a * 1000) for a in arrival.values()}
    assert failing["enrichment"] is not None and failing["enrichment"]["device_class"] == "desktop"
    # the line a session without sid makes gets an inferred session, flagged
    assert clean["req-segment-1"]["payload"][1]["cmcd_session_inferred"] is True
    # the torn line is a failed event holding its bytes; the favicon is counted, not stored
    (failed,) = failed_events(aws, pipeline.lake_bucket)
    # (the viewer's address truncated and the cookie left out: all else as CloudFront wrote it)
    assert failed.original == lines["unreadable"].replace(b"198.51.100.7", b"198.51.100.0/24").replace(
        b"Cookie:session%3Dsecret", b"Cookie:-"
    )
    assert failed.error_code == "FieldCountError"
    assert stage.cdn is not None and stage.cdn.counts.not_media == 1
    # every line that reached the stream is accounted for: stored, counted, failed or a duplicate
    duplicates = 1
    assert len(records) == len(lake) + stage.cdn.counts.not_media + 1 + duplicates
    assert stage.cdn.counts.lines == len(records) and stage.cdn.counts.unreadable == 1


def test_raw_records_still_take_the_first_input(aws, pipeline, log_stream):
    # GIVEN a processor with both inputs, and a batch from the raw stream (Avro, from ingest)
    stage = processor(aws, pipeline, cdn_log_stream=LOG_STREAM, cdn_log_fields=tuple(field_names()))
    # WHEN it arrives (the factory's records come from the raw stream's ARN)
    now = int(time.time() * 1000)
    raw = [Codec().encode(avro_record(server_time=now - 2000, client_time=now - 3000)) for _ in range(3)]
    response = stage.handle(kinesis_event(raw), Deadline.after(30))
    # THEN they are read as Avro, not as log lines
    assert response == {"batchItemFailures": []}
    assert len(stream_events(aws, pipeline.clean_stream)) == 3
    assert failed_events(aws, pipeline.lake_bucket) == []


@pytest.mark.parametrize(
    ("environ", "message"),
    [
        ({}, "SLUICE_CDN_LOG_STREAM needs SLUICE_CDN_REALTIME_LOG_CONFIG"),
        ({"SLUICE_CDN_LOG_FIELDS": "timestamp,x-edge-request-id,x-bogus"}, "names no real-time log field: x-bogus"),
        ({"SLUICE_CDN_LOG_FIELDS": "timestamp,c-ip"}, "SLUICE_CDN_LOG_FIELDS lacks x-edge-request-id"),
    ],
)
def test_a_second_input_that_cannot_be_read_is_a_configuration_error(environ, message):
    base = {
        "SLUICE_LAKE_FIREHOSE": "lake",
        "SLUICE_CLEAN_STREAM": "clean",
        "SLUICE_FAILED_FIREHOSE": "failed",
        "SLUICE_CDN_LOG_STREAM": LOG_STREAM,
    }
    with pytest.raises(ConfigError, match=message):
        ProcessorConfig.from_env({**base, **environ})


def test_a_failed_line_is_replayed_to_the_log_stream_only(aws, pipeline, log_stream):
    # GIVEN a torn line the processor made a failed event of
    torn = _lines(time.time())["unreadable"]
    _put(log_stream, [torn])
    stage = processor(aws, pipeline, cdn_log_stream=LOG_STREAM, cdn_log_fields=tuple(field_names()))
    for event in kinesis_events_by_shard(read_stream(aws, LOG_STREAM)):
        stage.handle(event, Deadline.after(30))
    # WHEN an operator replays every failure onto the raw stream
    to_raw = sluice_cli(
        aws, "failed", "replay", "--bucket", pipeline.lake_bucket, "--stream", pipeline.raw_stream, "--execute"
    )
    # THEN the line is refused there (it would fail as an Avro record), and goes back to its own stream
    assert to_raw.returncode == 1
    assert f"came from {LOG_STREAM}; replay it there (--stream {LOG_STREAM})" in to_raw.stdout
    assert read_stream(aws, pipeline.raw_stream) == []
    back = sluice_cli(aws, "failed", "replay", "--bucket", pipeline.lake_bucket, "--stream", LOG_STREAM, "--execute")
    assert back.returncode == 0, back.stdout + back.stderr
    assert len(read_stream(aws, LOG_STREAM)) == 2
