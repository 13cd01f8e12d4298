"""Structured logs and EMF metrics, as CloudWatch reads them."""

from __future__ import annotations

import io
import json
import logging
from types import SimpleNamespace

from sluice.events.codec import Codec
from sluice.events.errors import TrailingBytesError
from sluice.events.failed import FailedEvent
from sluice.runtime.logging import JsonFormatter, bind_request
from sluice.runtime.metrics import Metrics


def test_log_lines_are_json_with_the_request_id_and_extra_fields():
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonFormatter("processor"))
    logger = logging.getLogger("sluice.test.logging")
    logger.addHandler(handler)
    logger.propagate = False
    bind_request(SimpleNamespace(aws_request_id="req-123"))
    logger.warning("batch done", extra={"records": 12})
    line = json.loads(stream.getvalue())
    assert line["request_id"] == "req-123"
    assert line["stage"] == "processor"
    assert line["message"] == "batch done"
    assert line["records"] == 12
    assert line["level"] == "WARNING"


def test_emf_document_follows_the_specification():
    stream = io.StringIO()
    metrics = Metrics("Sluice", {"Stage": "processor"}, stream=stream)
    metrics.add("RecordsProcessed", 99)
    metrics.add("FailedEvents", 1)
    metrics.add("ProcessLagMs", 120, "Milliseconds")
    metrics.add("ProcessLagMs", 80, "Milliseconds")
    metrics.flush()
    document = json.loads(stream.getvalue())
    directive = document["_aws"]["CloudWatchMetrics"][0]
    assert directive["Namespace"] == "Sluice"
    assert directive["Dimensions"] == [["Stage"]]
    assert {m["Name"] for m in directive["Metrics"]} == {"RecordsProcessed", "FailedEvents", "ProcessLagMs"}
    assert document["Stage"] == "processor"
    assert document["RecordsProcessed"] == 99
    assert document["ProcessLagMs"] == [120, 80]
    assert isinstance(document["_aws"]["Timestamp"], int)


def test_emf_splits_documents_at_one_hundred_metrics():
    stream = io.StringIO()
    metrics = Metrics(stream=stream)
    for index in range(150):
        metrics.add(f"m{index}", index)
    metrics.flush()
    assert [
        len(json.loads(line)["_aws"]["CloudWatchMetrics"][0]["Metrics"]) for line in stream.getvalue().splitlines()
    ] == [100, 50]


def test_a_failed_event_encodes_with_the_failed_event_schema():
    error = TrailingBytesError("3 bytes after the Avro body")
    failed = FailedEvent.from_error(
        error,
        stage="processor",
        original=b"\xc3\x01abc",
        shard_id="shardId-000000000001",
        sequence_number="42",
        arrival_time=1,
    )
    codec = Codec("failed_event")
    back = FailedEvent.from_record(codec.decode(codec.encode(failed.to_record())))
    assert back == failed
    assert back.failure_type == "format" and back.error_code == "TrailingBytesError"
