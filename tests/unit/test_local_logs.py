"""Where `sluice local` keeps its state, and `sluice local logs` over a kept stage log: one stage's
lines with `--stage` (its metrics and its mappings' lines included), new lines with `--follow`
until the pipeline stops, a container's plain lines kept under its stage's name."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

from sluice_tools.cli.local import state_file
from sluice_tools.local.stage_log import named

LINES = [
    {"level": "INFO", "stage": "ingest", "message": "accepted"},
    {"_aws": {"CloudWatchMetrics": []}, "Stage": "ingest", "EventsAccepted": 3.0},
    {"level": "WARNING", "stage": "processor (cdn logs)", "message": "invocation failed"},
    {"level": "INFO", "stage": "processor", "message": "processed"},
    {"_aws": {"CloudWatchMetrics": []}, "Stage": "monitor-evaluator", "WindowsJudged": 1.0},
    {"level": "WARNING", "service": "sluice-local", "message": "CDN log flush failed"},
]


def test_the_state_is_the_users_unless_sluice_local_state_names_another(monkeypatch, tmp_path):
    monkeypatch.delenv("SLUICE_LOCAL_STATE", raising=False)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    monkeypatch.setenv("XDG_STATE_HOME", str(tmp_path / "xdg"))
    assert state_file() == tmp_path / "xdg/sluice/local/state.json"
    monkeypatch.setenv("XDG_STATE_HOME", "relative/dir")  # invalid by the XDG specification: ignored
    assert state_file() == tmp_path / "home/.local/state/sluice/local/state.json"
    monkeypatch.delenv("XDG_STATE_HOME")
    assert state_file() == tmp_path / "home/.local/state/sluice/local/state.json"
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("SLUICE_LOCAL_STATE", "here/state.json")
    assert state_file() == tmp_path / "here/state.json"


def _running(tmp_path: Path, pid: int) -> Path:
    log = tmp_path / "state.stages.log"
    log.write_text("".join(json.dumps(line) + "\n" for line in LINES))
    state = {"pid": pid, "runtime": "inprocess", "stages": ["ingest", "processor", "loader", "monitor"]}
    (tmp_path / "state.json").write_text(json.dumps({**state, "stage_log": str(log)}))
    return log


def _logs(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLUICE_LOCAL_STATE": str(tmp_path / "state.json")}
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", "local", "logs", *args],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )


def test_logs_of_one_stage_are_its_lines_its_metrics_and_its_mappings(tmp_path):
    _running(tmp_path, os.getpid())
    stages = {
        "ingest": [0, 1],
        "processor": [2, 3],  # its second mapping's lines too
        "monitor": [4],  # the health evaluation's metrics too
        "loader": [],
    }
    for stage, indices in stages.items():
        result = _logs(tmp_path, "--stage", stage)
        assert result.returncode == 0, result.stderr
        assert [json.loads(line) for line in result.stdout.splitlines()] == [LINES[i] for i in indices]
    everything = _logs(tmp_path)
    assert [json.loads(line) for line in everything.stdout.splitlines()] == LINES


def test_logs_follow_prints_new_lines_until_the_pipeline_stops(tmp_path):
    pipeline = subprocess.Popen(["sleep", "6"])  # stands in for the pipeline's process
    log = _running(tmp_path, pipeline.pid)
    env = {**os.environ, "SLUICE_LOCAL_STATE": str(tmp_path / "state.json")}
    follow = subprocess.Popen(
        [sys.executable, "-m", "sluice_tools", "local", "logs", "--stage", "loader", "--follow"],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    time.sleep(2)
    with log.open("a") as out:
        out.write(json.dumps({"stage": "loader", "message": "loaded"}) + "\n")
        out.write(json.dumps({"stage": "ingest", "message": "accepted"}) + "\n")
    assert follow.stdout is not None
    assert json.loads(follow.stdout.readline()) == {"stage": "loader", "message": "loaded"}
    pipeline.wait()
    assert follow.wait(timeout=10) == 0  # it ended with the pipeline
    assert follow.stdout.read() == ""


def test_a_containers_plain_line_is_kept_under_its_stage():
    assert json.loads(named("loader", "Traceback (most recent call last):\n")) == {
        "stage": "loader",
        "message": "Traceback (most recent call last):",
    }
    own = json.dumps({"level": "INFO", "stage": "loader", "message": "merged"})
    assert named("loader", own + "\n") == own
