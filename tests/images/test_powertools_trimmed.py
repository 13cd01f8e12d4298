"""The stage images carry of Powertools what the stages run (Logger and Metrics), not the parts
they never import (docker/Dockerfile removes them at build time)."""

from __future__ import annotations

import json
import subprocess

import pytest
from sluice_tools.local.containers import docker_binary

NEVER_IMPORTED = (
    "aws_lambda_powertools.event_handler",
    "aws_lambda_powertools.middleware_factory",
    "aws_lambda_powertools.utilities.idempotency",
    "aws_lambda_powertools.utilities.parser",
    "aws_lambda_powertools.utilities.data_classes",
)

PROBE = """
import importlib.util, json
from aws_lambda_powertools import Logger, Metrics
Logger(service="probe").info("kept")
metrics = Metrics(namespace="Probe", service="probe")
metrics.add_metric(name="Kept", unit="Count", value=1)
metrics.flush_metrics()
print(json.dumps([m for m in NAMES if importlib.util.find_spec(m) is not None]))
"""


@pytest.mark.parametrize("stage", ["ingest", "processor", "indexer", "loader", "monitor"])
def test_a_stage_image_keeps_logger_and_metrics_and_drops_what_no_stage_imports(images, stage):
    result = subprocess.run(
        [
            docker_binary(),
            "run",
            "--rm",
            "--entrypoint",
            "python3",
            images["stages"][stage]["image"],
            "-c",
            f"NAMES = {NEVER_IMPORTED!r}\n{PROBE}",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    lines = result.stdout.strip().splitlines()
    assert json.loads(lines[0])["message"] == "kept"
    assert json.loads(lines[1])["Kept"] == [1.0]  # the EMF line
    assert json.loads(lines[-1]) == []
