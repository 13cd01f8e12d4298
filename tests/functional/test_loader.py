"""The loader against a real embedded PostgreSQL and moto S3/SQS in server mode: S3 notifications
through SQS, each lake object loaded exactly once, bad lines as failed events."""

from __future__ import annotations

import gzip
import json
import uuid

import pytest
from sqlalchemy import text
from support.aws import aws_client, bucket_lines, failed_events, notify_queue, sqs_event
from support.factories import kinesis_event, raw_stream_records
from support.stages import loader, processor

from sluice.events.codec import Codec
from sluice.runtime.deadline import Deadline
from sluice.warehouse.tables import FACT_TABLE


def _rows(engine) -> list[str]:
    with engine.connect() as connection:
        return [r[0] for r in connection.execute(text(f"SELECT event_id FROM {FACT_TABLE}"))]


def _lake_objects_from_traffic(aws, pipeline, sessions: int = 6, seed: int = 3) -> set[str]:
    """Traffic through the processor into the lake (as Firehose delivers it); the event ids."""
    records = [r.data for r in raw_stream_records(sessions, seed)]
    for start in range(0, len(records), 100):
        processor(aws, pipeline).handle(kinesis_event(records[start : start + 100]), Deadline.after(30))
    return {Codec().decode(r)["event_id"] for r in records}


def test_lake_objects_announced_through_sqs_load_exactly_once(aws, pipeline, warehouse):
    queue = notify_queue(aws, pipeline.lake_bucket)
    expected = _lake_objects_from_traffic(aws, pipeline)
    event = sqs_event(aws, queue, max_messages=100)
    assert len(event["Records"]) > 1  # the test event and one per object
    stage = loader(aws, pipeline, warehouse)
    assert stage.handle(event, Deadline.after(60)) == {"batchItemFailures": []}
    rows = _rows(warehouse)
    assert sorted(rows) == sorted(expected)
    # the same notifications again (SQS delivers at least once): nothing changes
    assert stage.handle(event, Deadline.after(60)) == {"batchItemFailures": []}
    assert sorted(_rows(warehouse)) == sorted(expected)
    with warehouse.connect() as connection:
        ledger = connection.execute(text("SELECT count(*), sum(rows_loaded) FROM sluice_load_ledger")).one()
        loaded_at_ok = connection.execute(text(f"SELECT bool_and(loaded_at >= server_time) FROM {FACT_TABLE}")).scalar()
    assert ledger[0] == len(event["Records"]) - 1 and ledger[1] == len(expected)
    assert loaded_at_ok


def test_out_of_order_and_replayed_objects_and_duplicate_lines_give_one_row_per_event(aws, pipeline, warehouse):
    queue = notify_queue(aws, pipeline.lake_bucket)
    s3 = aws_client("s3", aws)
    first = _lake_objects_from_traffic(aws, pipeline, sessions=3, seed=5)
    keys = [o["Key"] for o in s3.list_objects_v2(Bucket=pipeline.lake_bucket, Prefix="events/")["Contents"]]
    # the same events written again in a new object (a replayed Kinesis batch), plus a line twice within one object
    body = s3.get_object(Bucket=pipeline.lake_bucket, Key=keys[0])["Body"].read()
    s3.put_object(
        Bucket=pipeline.lake_bucket, Key="events/replayed.json", Body=body + body.splitlines(keepends=True)[0]
    )
    event = sqs_event(aws, queue, max_messages=100)
    event["Records"].reverse()  # out of order
    assert loader(aws, pipeline, warehouse).handle(event, Deadline.after(60)) == {"batchItemFailures": []}
    rows = _rows(warehouse)
    assert len(rows) == len(set(rows)) == len(first)


def test_a_malformed_object_loads_its_good_lines_and_fails_its_bad_ones(aws, pipeline, warehouse):
    queue = notify_queue(aws, pipeline.lake_bucket)
    _lake_objects_from_traffic(aws, pipeline, sessions=1, seed=8)
    s3 = aws_client("s3", aws)
    key = s3.list_objects_v2(Bucket=pipeline.lake_bucket, Prefix="events/")["Contents"][0]["Key"]
    lines = s3.get_object(Bucket=pipeline.lake_bucket, Key=key)["Body"].read().splitlines()
    good = [json.loads(line) for line in lines[:3]]
    wrong_type = dict(good[1], sequence="seven")
    missing = {k: v for k, v in good[2].items() if k != "session_id"}
    body = (
        b"\n".join(
            [json.dumps(good[0]).encode(), b"{not json", json.dumps(wrong_type).encode(), json.dumps(missing).encode()]
        )
        + b"\n"
    )
    aws_client("sqs", aws).purge_queue(QueueUrl=queue)
    s3.put_object(Bucket=pipeline.lake_bucket, Key="events/mixed.json", Body=body)
    event = sqs_event(aws, queue)
    assert loader(aws, pipeline, warehouse).handle(event, Deadline.after(60)) == {"batchItemFailures": []}
    assert _rows(warehouse) == [good[0]["event_id"]]
    failed = sorted(failed_events(aws, pipeline.lake_bucket), key=lambda f: f.source)
    assert [f.source for f in failed] == [f"s3://{pipeline.lake_bucket}/events/mixed.json#L{n}" for n in (2, 3, 4)]
    assert [f.failure_type for f in failed] == ["format", "schema", "schema"]
    assert "sequence: expected an integer" in failed[1].error
    assert "session_id: required column is missing" in failed[2].error
    assert failed[1].event_id == good[1]["event_id"]
    assert failed[0].original == b"{not json"


def test_a_connection_lost_mid_transaction_rolls_back_and_the_retry_loads_once(aws, pipeline, warehouse):
    queue = notify_queue(aws, pipeline.lake_bucket)
    expected = _lake_objects_from_traffic(aws, pipeline, sessions=2, seed=9)
    # The fault, inside the database: the first MERGE kills its own connection before commit.
    with warehouse.begin() as connection:
        connection.exec_driver_sql("CREATE SEQUENCE sluice_test_cuts")
        connection.exec_driver_sql(
            "CREATE FUNCTION sluice_test_cut() RETURNS trigger AS $$ BEGIN "
            "IF nextval('sluice_test_cuts') = 1 THEN PERFORM pg_terminate_backend(pg_backend_pid()); END IF; "
            "RETURN NULL; END $$ LANGUAGE plpgsql"
        )
        connection.exec_driver_sql(
            f"CREATE TRIGGER sluice_test_cut AFTER INSERT ON {FACT_TABLE} FOR EACH STATEMENT EXECUTE FUNCTION sluice_test_cut()"
        )
    response = loader(aws, pipeline, warehouse).handle(sqs_event(aws, queue, max_messages=100), Deadline.after(60))
    assert response == {"batchItemFailures": []}
    with warehouse.connect() as connection:
        assert connection.execute(text("SELECT last_value FROM sluice_test_cuts")).scalar() >= 2  # the cut happened
    rows = _rows(warehouse)
    assert sorted(rows) == sorted(expected)


def test_a_warm_loader_whose_connection_the_server_closed_reconnects_without_a_retry(aws, pipeline, warehouse, caplog):
    queue = notify_queue(aws, pipeline.lake_bucket)
    stage = loader(aws, pipeline, warehouse)
    first = _lake_objects_from_traffic(aws, pipeline, sessions=1, seed=21)
    assert stage.handle(sqs_event(aws, queue, max_messages=100), Deadline.after(60)) == {"batchItemFailures": []}
    # GIVEN the server closed the kept connection while the environment was idle
    with warehouse.begin() as connection:
        killed = connection.exec_driver_sql(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE pid <> pg_backend_pid() AND datname = current_database() AND backend_type = 'client backend'"
        ).scalar()
    assert killed >= 1
    # WHEN the next batch comes THEN it loads on a new connection, nothing sent back for retry
    second = _lake_objects_from_traffic(aws, pipeline, sessions=1, seed=22)
    with caplog.at_level("WARNING", logger="sluice.loader"):
        assert stage.handle(sqs_event(aws, queue, max_messages=100), Deadline.after(60)) == {"batchItemFailures": []}
    assert not [r.getMessage() for r in caplog.records if "connection lost" in r.getMessage()]
    assert sorted(_rows(warehouse)) == sorted(first | second)


def test_partial_batch_response_names_only_the_messages_that_failed(aws, pipeline, warehouse):
    queue = notify_queue(aws, pipeline.lake_bucket)
    _lake_objects_from_traffic(aws, pipeline, sessions=1, seed=2)
    sqs = aws_client("sqs", aws)
    missing_bucket = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": "no-such-bucket"}, "object": {"key": "events/x.json", "eTag": "abc"}},
            }
        ]
    }
    sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(missing_bucket))
    sqs.send_message(QueueUrl=queue, MessageBody="this is not an S3 event")
    event = sqs_event(aws, queue, max_messages=100)
    by_body = {r["body"]: r["messageId"] for r in event["Records"]}
    response = loader(aws, pipeline, warehouse).handle(event, Deadline.after(60))
    assert response == {"batchItemFailures": [{"itemIdentifier": by_body[json.dumps(missing_bucket)]}]}
    assert len(_rows(warehouse)) > 0
    (unreadable,) = failed_events(aws, pipeline.lake_bucket)
    assert unreadable.error_code == "NotAnS3Notification" and unreadable.original == b"this is not an S3 event"


def test_a_direct_s3_event_loads_and_a_failure_raises(aws, pipeline, warehouse):
    _lake_objects_from_traffic(aws, pipeline, sessions=1, seed=4)
    s3 = aws_client("s3", aws)
    obj = s3.list_objects_v2(Bucket=pipeline.lake_bucket, Prefix="events/")["Contents"][0]
    direct = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {
                    "bucket": {"name": pipeline.lake_bucket},
                    "object": {"key": obj["Key"], "eTag": obj["ETag"].strip('"')},
                },
            }
        ]
    }
    assert loader(aws, pipeline, warehouse).handle(direct, Deadline.after(60)) == {"batchItemFailures": []}
    assert len(_rows(warehouse)) > 0
    direct["Records"][0]["s3"]["bucket"]["name"] = "no-such-bucket"
    from sluice.runtime.errors import RetryableError

    with pytest.raises(RetryableError):
        loader(aws, pipeline, warehouse).handle(direct, Deadline.after(5))


def test_the_handler_reads_the_warehouse_url_from_the_environment(aws, pipeline, warehouse, monkeypatch):
    from sluice_loader import handler
    from support.aws import FakeContext

    from sluice.aws.clients import client

    queue = notify_queue(aws, pipeline.lake_bucket)
    expected = _lake_objects_from_traffic(aws, pipeline, sessions=1, seed=6)
    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)
    monkeypatch.setenv("SLUICE_WAREHOUSE_URL", warehouse.url.render_as_string(hide_password=False))
    monkeypatch.setenv("SLUICE_FAILED_FIREHOSE", pipeline.failed_firehose)
    client.cache_clear()
    handler._loader.cache_clear()
    try:
        response = handler.handle(sqs_event(aws, queue, max_messages=100), FakeContext())
    finally:
        client.cache_clear()
        handler._loader.cache_clear()
    assert response == {"batchItemFailures": []}
    assert sorted(_rows(warehouse)) == sorted(expected)


def _object_with(aws, pipeline, queue: str, key: str, extra: list[bytes], *, good: int = 20) -> list[dict]:
    """The only lake object (and notification): ``good`` lines of the traffic in the lake, then
    ``extra`` lines; the good events."""
    s3 = aws_client("s3", aws)
    lines: list[bytes] = []
    for obj in s3.list_objects_v2(Bucket=pipeline.lake_bucket)["Contents"]:
        lines += s3.get_object(Bucket=pipeline.lake_bucket, Key=obj["Key"])["Body"].read().splitlines()
        s3.delete_object(Bucket=pipeline.lake_bucket, Key=obj["Key"])
    aws_client("sqs", aws).purge_queue(QueueUrl=queue)
    events = [json.loads(line) for line in lines[:good]]
    assert len(events) == good
    s3.put_object(
        Bucket=pipeline.lake_bucket, Key=key, Body=b"\n".join([json.dumps(e).encode() for e in events] + extra) + b"\n"
    )
    return events


def test_lines_the_warehouse_cannot_store_become_failed_events_and_the_rest_loads_exactly_once(
    aws, pipeline, warehouse
):
    queue = notify_queue(aws, pipeline.lake_bucket)
    _lake_objects_from_traffic(aws, pipeline, sessions=2, seed=11)
    template = json.loads(bucket_lines(aws, pipeline.lake_bucket, "events/")[0])
    # GIVEN a lake object of 23 lines: 20 good, one whose string holds U+0000 (PostgreSQL text
    # cannot), one that is not JSON, one whose title is longer than its column
    nul = json.dumps(dict(template, event_id=str(uuid.uuid4()), player_name="web\u0000player")).encode()
    too_long = json.dumps(dict(template, event_id=str(uuid.uuid4()), content_title="t" * 513)).encode()
    not_json = b'{"event_id": "truncated by a writer'
    good = _object_with(aws, pipeline, queue, "events/hostile.json", [nul, not_json, too_long])
    event = sqs_event(aws, queue)
    # WHEN the loader takes its notification THEN the message is done (not sent back for retry)
    stage = loader(aws, pipeline, warehouse)
    assert stage.handle(event, Deadline.after(60)) == {"batchItemFailures": []}
    # THEN the 20 good events are rows, and the 3 others failed events with their reason and line
    assert sorted(_rows(warehouse)) == sorted(e["event_id"] for e in good)
    failed = sorted(failed_events(aws, pipeline.lake_bucket), key=lambda f: f.source)
    url = f"s3://{pipeline.lake_bucket}/events/hostile.json"
    assert [(f.source, f.failure_type, f.stage) for f in failed] == [
        (f"{url}#L21", "sink_rejection", "loader"),
        (f"{url}#L22", "format", "loader"),
        (f"{url}#L23", "sink_rejection", "loader"),
    ]
    assert "player_name: holds U+0000" in failed[0].error
    assert "not JSON" in failed[1].error
    assert "content_title: 513 bytes, over the column's 512" in failed[2].error
    assert [f.original for f in failed] == [nul, not_json, too_long]
    with warehouse.connect() as connection:
        ledger = connection.execute(text("SELECT rows_loaded, bad_lines FROM sluice_load_ledger")).all()
    assert ledger == [(20, 3)]
    # WHEN the same notification comes again (a redrive from the dead-letter queue) THEN nothing changes
    assert stage.handle(event, Deadline.after(60)) == {"batchItemFailures": []}
    assert sorted(_rows(warehouse)) == sorted(e["event_id"] for e in good)
    assert len(failed_events(aws, pipeline.lake_bucket)) == 3


def test_a_line_the_warehouse_still_refuses_is_isolated_and_the_rest_loads(aws, pipeline, warehouse):
    queue = notify_queue(aws, pipeline.lake_bucket)
    _lake_objects_from_traffic(aws, pipeline, sessions=2, seed=12)
    good = _object_with(aws, pipeline, queue, "events/underflow.json", [], good=30)
    # GIVEN a line the checks pass but PostgreSQL refuses: a REAL that underflows (1e-50)
    body = aws_client("s3", aws).get_object(Bucket=pipeline.lake_bucket, Key="events/underflow.json")["Body"].read()
    lines = body.splitlines()
    refused = json.loads(lines[7])
    lines[7] = lines[7][:-1] + b', "frame_rate": 1e-50}'
    aws_client("s3", aws).put_object(Bucket=pipeline.lake_bucket, Key="events/underflow.json", Body=b"\n".join(lines))
    # WHEN it loads THEN the other 29 are rows, the refused line a failed event with the warehouse's reason
    assert loader(aws, pipeline, warehouse).handle(sqs_event(aws, queue), Deadline.after(60)) == {
        "batchItemFailures": []
    }
    assert sorted(_rows(warehouse)) == sorted(e["event_id"] for e in good if e["event_id"] != refused["event_id"])
    (failed,) = failed_events(aws, pipeline.lake_bucket)
    assert (failed.failure_type, failed.event_id, failed.original) == ("sink_rejection", refused["event_id"], lines[7])
    assert "the warehouse refused it" in failed.error and "real" in failed.error
    with warehouse.connect() as connection:
        assert connection.execute(text("SELECT rows_loaded, bad_lines FROM sluice_load_ledger")).all() == [(29, 1)]


def test_lines_redshift_refused_are_failed_events_with_the_whole_line_from_the_lake(aws, pipeline):
    from sluice.loader.load_errors import failed_events

    # GIVEN a gzipped lake object whose third line Redshift refused (STL_LOAD_ERRORS keeps only
    # 1,024 characters of it, its multibyte characters as periods), and a row of an object since gone
    s3 = aws_client("s3", aws)
    refused = json.dumps({"event_id": "e", "content_title": "é" * 2000}, ensure_ascii=False).encode()
    s3.put_object(
        Bucket=pipeline.lake_bucket, Key="events/a.json.gz", Body=gzip.compress(b"{}\n{}\n" + refused + b"\n")
    )
    errors = [
        {
            "filename": f"s3://{pipeline.lake_bucket}/events/a.json.gz",
            "line_number": 3,
            "colname": "content_title",
            "reason": "String length exceeds DDL length",
            "raw_line": "." * 1024,
        },
        {
            "filename": f"s3://{pipeline.lake_bucket}/events/gone.json",
            "line_number": 1,
            "colname": "",
            "reason": "Invalid JSONPath format",
            "raw_line": "{broken",
        },
    ]
    # WHEN they become failed events
    whole, excerpt = failed_events(s3, errors)
    # THEN the first holds the line as the lake has it; the second Redshift's excerpt, marked truncated
    assert (whole.original, whole.original_truncated, whole.failure_type) == (refused, False, "sink_rejection")
    assert whole.source == f"s3://{pipeline.lake_bucket}/events/a.json.gz#L3"
    assert "content_title: String length exceeds DDL length" in whole.error
    assert (excerpt.original, excerpt.original_truncated, excerpt.replayable) == (b"{broken", True, False)
