"""The CDN log generator's lines through the real processor against the AWS API emulator: every
line put on the log stream is one ``cdn_request`` event in the lake and on the clean stream, with
the edge, status and session the line carries; none fails (every player, CMCD carrier and fault
writes values the contract holds)."""

from __future__ import annotations

import json
import time
from collections import Counter

from sluice_tools.traffic.cdn_logs import CdnFault, cdn_log_lines
from support.aws import CDN_LOG_STREAM as LOG_STREAM  # the log_stream fixture's
from support.aws import bucket_lines, failed_events, kinesis_events_by_shard, read_stream, stream_events
from support.stages import processor

from sluice.cdn.config import local_fields
from sluice.cdn.logline import parse_line
from sluice.runtime.deadline import Deadline

PUT_RECORDS_MAX = 500  # Kinesis PutRecords: at most 500 records a call


def test_every_generated_line_is_one_event_with_its_edge_status_and_session(aws, pipeline, log_stream):
    # GIVEN ten viewers' lines of the last four minutes, CMCD in every carrier, an edge failing
    # and an origin slow, put on the log stream as CloudFront puts them (one line a record)
    start_ms = int(time.time() * 1000) - 5 * 60_000
    faults = [
        CdnFault("status", edge_location="IAD89-C3", status=503, start_s=60),
        CdnFault("origin_slow", origin="/vod/*", first_byte_ms=2000),
    ]
    modes = {"query": 1.0, "headers": 1.0, "fields": 1.0, "none": 0.3}
    lines = [line for _, line in cdn_log_lines(sessions=10, duration_s=240, seed=11, start_ms=start_ms,
                                               faults=faults, cmcd_mode=modes)]  # fmt: skip
    for at in range(0, len(lines), PUT_RECORDS_MAX):
        batch = lines[at : at + PUT_RECORDS_MAX]
        log_stream.put_records(
            StreamName=LOG_STREAM,
            Records=[{"Data": line.encode(), "PartitionKey": str(i)} for i, line in enumerate(batch)],
        )
    stage = processor(aws, pipeline, cdn_log_stream=LOG_STREAM, cdn_log_fields=tuple(local_fields()))
    # WHEN the processor reads the stream as its second mapping delivers it
    events = kinesis_events_by_shard(read_stream(aws, LOG_STREAM))
    responses = [stage.handle(event, Deadline.after(60)) for event in events]
    # THEN every line is one cdn_request event, in the lake and on the clean stream; none failed
    assert all(response == {"batchItemFailures": []} for response in responses)
    assert failed_events(aws, pipeline.lake_bucket) == []
    lake = [json.loads(row) for row in bucket_lines(aws, pipeline.lake_bucket, "events/")]
    assert len(lake) == len(lines) and {row["event_type"] for row in lake} == {"cdn_request"}
    clean = {event["payload"][1]["cdn_edge_request_id"]: event for event in stream_events(aws, pipeline.clean_stream)}
    assert len(clean) == len(lines)
    order = local_fields()
    for line in lines:
        values = parse_line(line, order)
        event = clean[values["x-edge-request-id"]]
        payload = event["payload"][1]
        assert (payload["cdn_edge_location"], payload["cdn_status"]) == (values["x-edge-location"], values["sc-status"])
        assert event["client_time"] == values["timestamp"]
        carried_sid = values["cmcd-session-id"] or _sid_of(values["cs-uri-query"] or values["cs-headers"])
        if carried_sid:
            assert event["session_id"] == carried_sid and payload["cmcd_session_inferred"] is False
        else:
            assert payload["cmcd_session_inferred"] is True
    assert len({event["session_id"] for event in clean.values()}) == 10
    sources = Counter(event["payload"][1]["cmcd_source"] for event in clean.values())
    assert set(sources) >= {"query", "headers", "fields"}
    failing = [e for e in clean.values() if e["payload"][1]["cdn_edge_location"] == "IAD89-C3"]
    assert any(e["payload"][1]["cdn_status"] == 503 for e in failing)


def _sid_of(text: str) -> str | None:
    marker = 'sid="'
    at = text.find(marker)
    return text[at + len(marker) : text.index('"', at + len(marker))] if at >= 0 else None
