"""The processor judges lateness by the server's clock: a player's clock days off is stored with
its skew in the enrichment; only a record ingest received long ago (a replay) or one stamped ahead
of our clock is a ``late`` or ``future`` failed event."""

from __future__ import annotations

import base64
import json
import time

from support.aws import bucket_lines, read_stream
from support.factories import avro_record, kinesis_event
from support.stages import processor

from sluice.batch.kinesis import iter_records
from sluice.events.codec import Codec
from sluice.events.failed import FailedEvent
from sluice.runtime.deadline import Deadline

DAY_MS = 86_400_000


def _ingested(*, server_time: int, client_time: int) -> dict:
    record = avro_record(server_time=server_time, client_time=client_time)
    record["ingest"] = {"request_id": "r-1", "user_agent": "Roku/DVP-12.5", "country": "US", "client_ip_prefix": None}
    return record


def test_a_skewed_player_clock_is_stored_and_only_the_servers_time_makes_late_or_future(aws, pipeline):
    now = int(time.time() * 1000)
    # GIVEN players whose clocks run two days ahead and thirty days behind, received just now,
    # a replay of records ingest received nine days ago, and a record stamped an hour ahead of us
    ahead = _ingested(server_time=now - 1000, client_time=now + 2 * DAY_MS)
    behind = _ingested(server_time=now - 1000, client_time=now - 30 * DAY_MS)
    replayed = _ingested(server_time=now - 9 * DAY_MS, client_time=now - 9 * DAY_MS - 400)
    stamped_ahead = _ingested(server_time=now + 3_600_000, client_time=now + 3_600_000)
    codec = Codec()
    event = kinesis_event([codec.encode(r) for r in (ahead, behind, replayed, stamped_ahead)])
    # WHEN the processor takes the batch
    assert processor(aws, pipeline).handle(event, Deadline.after(30)) == {"batchItemFailures": []}
    # THEN the skewed players are in the lake and on the clean stream, their skew recorded
    lake = {json.loads(line)["event_id"] for line in bucket_lines(aws, pipeline.lake_bucket, "events/")}
    assert lake == {ahead["event_id"], behind["event_id"]}
    records = iter_records({"Records": read_stream(aws, pipeline.clean_stream)})
    clean = {r["event_id"]: r for r in (codec.decode(k.data) for k in records)}
    assert set(clean) == lake
    assert clean[ahead["event_id"]]["enrichment"]["ingest_lag_ms"] == -2 * DAY_MS - 1000
    assert clean[behind["event_id"]]["enrichment"]["ingest_lag_ms"] == 30 * DAY_MS - 1000
    # AND the replay is late, the record from another clock future, each a failed event
    failed_codec = Codec("failed_event")
    failed = {
        f.event_id: f.failure_type
        for f in (
            FailedEvent.from_record(failed_codec.decode(base64.b64decode(line)))
            for line in bucket_lines(aws, pipeline.lake_bucket, "failed/")
        )
    }
    assert failed == {replayed["event_id"]: "late", stamped_ahead["event_id"]: "future"}
