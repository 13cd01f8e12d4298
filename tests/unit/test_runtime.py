"""Structured logs and EMF metrics, as CloudWatch reads them."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
import threading
from types import SimpleNamespace
from typing import Any

import pytest
from aws_lambda_powertools.metrics.exceptions import MetricUnitError, MetricValueError, SchemaValidationError

from sluice.events.codec import Codec
from sluice.events.errors import TrailingBytesError
from sluice.events.failed import FailedEvent
from sluice.runtime.logging import setup_logging
from sluice.runtime.metrics import Metrics


def _lines(text: str) -> list[dict[str, Any]]:
    return [json.loads(line) for line in text.splitlines()]


def _context(request_id: str, function: str = "sluice-processor") -> SimpleNamespace:
    return SimpleNamespace(
        aws_request_id=request_id,
        function_name=function,
        memory_limit_in_mb=512,
        invoked_function_arn=f"arn:aws:lambda:eu-west-1:123456789012:function:{function}",
    )


def test_log_lines_carry_the_stage_the_lambda_context_and_the_extra_fields(capsys):
    # GIVEN a stage's logging, bound to two invocations in turn
    stage = setup_logging("processor")
    log = logging.getLogger("sluice.test.logging")
    for request_id in ("req-1", "req-2"):
        stage.bind(_context(request_id))
        # WHEN a call site logs with extra fields
        log.warning("batch done", extra={"records": 12})
    # THEN each line is a JSON object with the stage, Lambda's context and the fields
    first, second = _lines(capsys.readouterr().out)
    assert first["stage"] == "processor" and first["message"] == "batch done" and first["records"] == 12
    assert first["level"] == "WARNING" and first["name"] == "sluice.test.logging"
    assert (first["function_name"], first["function_memory_size"]) == ("sluice-processor", 512)
    assert first["function_arn"] == "arn:aws:lambda:eu-west-1:123456789012:function:sluice-processor"
    assert (first["function_request_id"], second["function_request_id"]) == ("req-1", "req-2")
    assert (first["cold_start"], second["cold_start"]) == (True, False)
    assert first["timestamp"].endswith("+00:00")  # RFC 3339: Lambda reads the level only then


def test_stages_sharing_a_process_each_log_under_their_own_label(capsys):
    # GIVEN two stages in one process (the local runtime), each invoked from its own thread
    stages = {"ingest": setup_logging("ingest"), "processor": setup_logging("processor")}
    log = logging.getLogger("sluice.test.shared")

    def invoke(stage: str) -> None:
        stages[stage].bind(_context(f"req-{stage}", f"sluice-{stage}"))
        log.warning("invoked")

    # WHEN each logs
    for stage in stages:
        thread = threading.Thread(target=invoke, args=(stage,))
        thread.start()
        thread.join()
    # THEN each line names its own stage, request and cold start
    lines = _lines(capsys.readouterr().out)
    assert [(line["stage"], line["function_request_id"], line["cold_start"]) for line in lines] == [
        ("ingest", "req-ingest", True),
        ("processor", "req-processor", True),
    ]


_LEVEL_PROBE = """
import logging
from types import SimpleNamespace
import sluice_ingest.handler as handler
handler.log.bind(SimpleNamespace(aws_request_id="req-1"))
log = logging.getLogger("sluice.ingest")
log.debug("debug line")
log.info("info line")
log.warning("warning line")
"""


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({}, ["info line", "warning line"]),
        ({"AWS_LAMBDA_LOG_LEVEL": "DEBUG"}, ["debug line", "info line", "warning line"]),
        ({"AWS_LAMBDA_LOG_LEVEL": "WARN"}, ["warning line"]),
        ({"POWERTOOLS_LOG_LEVEL": "DEBUG"}, ["debug line", "info line", "warning line"]),
        # Lambda's advanced logging controls win, as Powertools orders them.
        ({"AWS_LAMBDA_LOG_LEVEL": "INFO", "POWERTOOLS_LOG_LEVEL": "DEBUG"}, ["info line", "warning line"]),
    ],
)
def test_a_stage_logs_at_the_level_lambda_or_powertools_variables_give(variables, expected):
    # GIVEN a fresh process, as Lambda starts one, with the level in its environment
    env = {
        k: v for k, v in os.environ.items() if k not in ("AWS_LAMBDA_LOG_LEVEL", "POWERTOOLS_LOG_LEVEL", "LOG_LEVEL")
    }
    # WHEN the ingest handler is imported and its code logs at each level
    ran = subprocess.run(
        [sys.executable, "-W", "ignore", "-c", _LEVEL_PROBE],
        check=False,
        env={**env, **variables},
        capture_output=True,
        text=True,
    )
    # THEN only the lines at or above that level are written
    assert ran.returncode == 0, ran.stderr
    assert [line["message"] for line in _lines(ran.stdout)] == expected


def test_emf_document_follows_the_specification(monkeypatch):
    # POWERTOOLS_SERVICE_NAME (which the stacks set) adds no dimension the alarms do not watch.
    monkeypatch.setenv("POWERTOOLS_SERVICE_NAME", "sluice-prod")
    monkeypatch.setenv("POWERTOOLS_METRICS_NAMESPACE", "Elsewhere")
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
    assert {m["Name"]: m["Unit"] for m in directive["Metrics"]}["ProcessLagMs"] == "Milliseconds"
    assert document["Stage"] == "processor" and "service" not in document
    assert document["RecordsProcessed"] == 99
    assert document["ProcessLagMs"] == [120, 80]
    assert isinstance(document["_aws"]["Timestamp"], int)


def _documents(stream: io.StringIO) -> list[dict[str, Any]]:
    return _lines(stream.getvalue())


def test_emf_splits_documents_below_one_hundred_metrics():
    stream = io.StringIO()
    metrics = Metrics(stream=stream)
    for index in range(150):
        metrics.add(f"m{index}", index)
    metrics.flush()
    counts = [len(d["_aws"]["CloudWatchMetrics"][0]["Metrics"]) for d in _documents(stream)]
    assert max(counts) <= 100 and sum(counts) == 150


def test_one_metric_s_values_are_split_at_the_emf_limit_of_one_hundred(capsys):
    # GIVEN 101 values of one metric in one invocation (CloudWatch takes 100 in one array)
    stream = io.StringIO()
    metrics = Metrics(dimensions={"Stage": "ingest"}, stream=stream)
    for value in range(101):
        metrics.add("EventLatencyMs", value, "Milliseconds")
    metrics.flush()
    # THEN no document holds more than 100, every value is written, all to the stage's stream
    arrays = [d["EventLatencyMs"] for d in _documents(stream)]
    assert max(len(a) for a in arrays) <= 100
    assert sorted(v for a in arrays for v in a) == list(range(101))
    assert capsys.readouterr().out == ""


@pytest.mark.parametrize(
    ("value", "unit", "error"),
    [
        (1, "Bananas", MetricUnitError),
        ("12", "Count", MetricValueError),
        (float("nan"), "Count", MetricValueError),
        (float("inf"), "Milliseconds", MetricValueError),
    ],
)
def test_a_value_or_unit_cloudwatch_rejects_is_refused_where_it_is_added(value, unit, error):
    metrics = Metrics(dimensions={"Stage": "ingest"}, stream=io.StringIO())
    with pytest.raises(error):
        metrics.add("RecordsProcessed", value, unit)


def test_more_dimensions_than_emf_allows_are_refused():
    with pytest.raises(SchemaValidationError, match="Maximum number of dimensions exceeded"):
        Metrics(dimensions={f"d{index}": "v" for index in range(30)}, stream=io.StringIO())


def test_each_metrics_object_writes_only_its_own_values():
    # Powertools' Metrics class shares one set per process; each stage here has its own.
    ingest, processor = io.StringIO(), io.StringIO()
    a = Metrics(dimensions={"Stage": "ingest"}, stream=ingest)
    b = Metrics(dimensions={"Stage": "processor"}, stream=processor)
    a.add("RecordsAccepted", 3)
    b.add("RecordsProcessed", 5)
    b.flush()
    a.flush()
    (doc_a,), (doc_b,) = _documents(ingest), _documents(processor)
    assert (doc_a["Stage"], doc_a["RecordsAccepted"], "RecordsProcessed" in doc_a) == ("ingest", 3, False)
    assert (doc_b["Stage"], doc_b["RecordsProcessed"], "RecordsAccepted" in doc_b) == ("processor", 5, False)


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
