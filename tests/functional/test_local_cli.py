"""`sluice local up | status | logs | down` as a new user runs them: `up` shows each step as it
happens, in plain lines when its output is no terminal; the state is the user's, so `status`,
`logs` and `down` run from another directory find the pipeline; the `export` lines `status`
prints, run in a shell with nothing else, reach the emulator and the warehouse; `logs` prints
the stages' lines, one stage's with `--stage`."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import psycopg2
from sluice_tools.traffic.generator import TrafficConfig, generate


def _env(state_home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "SLUICE_LOCAL_STATE" and not k.startswith("AWS_")}
    return {**env, "XDG_STATE_HOME": str(state_home)}


def _sluice(cwd: Path, state_home: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", *args],
        cwd=cwd,
        env=_env(state_home),
        capture_output=True,
        text=True,
        timeout=180,
        check=False,
    )


def _up(cwd: Path, state_home: Path) -> tuple[list[tuple[float, str]], int]:
    """`sluice local up` into a pipe: each line with when it arrived."""
    process = subprocess.Popen(
        [sys.executable, "-m", "sluice_tools", "local", "up", "--provisioning", "direct"],
        cwd=cwd,
        env=_env(state_home),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert process.stdout is not None
    started = time.monotonic()
    lines = [(time.monotonic() - started, line) for line in process.stdout]
    return lines, process.wait(timeout=300)


def _in_a_bare_shell(exports: list[str], command: str) -> subprocess.CompletedProcess[str]:
    """The lines as printed, then the command, in a shell with no other AWS or Sluice variable."""
    script = "\n".join([*exports, command])
    return subprocess.run(
        ["bash", "-c", script],
        env={"PATH": os.environ["PATH"], "HOME": "/nonexistent"},  # no ~/.aws to fall back on
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


def test_local_up_status_logs_down_from_two_directories(tmp_path):
    # GIVEN a user's state directory and two working directories
    state_home, first, second = tmp_path / "state", tmp_path / "first", tmp_path / "second"
    for directory in (first, second):
        directory.mkdir()
    pipeline_pid = None
    try:
        # WHEN the user starts the pipeline from the first, its output into a pipe
        lines, returncode = _up(first, state_home)
        text = "".join(line for _, line in lines)
        assert returncode == 0, text
        # THEN each step was a line of its own as it happened, long before the pipeline was up
        assert "\r" not in text and "\x1b" not in text
        steps = [
            "starting the AWS API emulator",
            "starting the embedded PostgreSQL",
            "resources from",
            "warehouse tables: player_events, sluice_load_ledger; view player_sessions",
            "stages in process: ingest, processor, loader, monitor",
            "ingest endpoint",
            "CDN real-time log lines to sluice-cdn-logs",
            "event source mappings",
            "Up in",
        ]
        when = [next(t for t, line in lines if step in line) for step in steps]
        assert when == sorted(when), text
        assert when[-1] - when[0] > 1.0, text  # the first step was shown while the rest ran
        # and the state is the user's, not the working directory's
        state_file = state_home / "sluice/local/state.json"
        assert state_file.exists() and not any(first.iterdir())
        pipeline_pid = json.loads(state_file.read_text())["pid"]

        # WHEN the user asks for the status from the second directory
        status = _sluice(second, state_home, "local", "status")
        assert status.returncode == 0, status.stdout + status.stderr
        out = status.stdout
        # THEN it names the resources and the warehouse tables
        assert "Kinesis streams       sluice-raw (raw), sluice-clean (clean), sluice-cdn-logs (CDN logs)" in out
        assert "S3 bucket             sluice-lake" in out
        assert "warehouse tables      player_events, sluice_load_ledger; view player_sessions" in out
        # and the export lines it prints, run as printed in a bare shell, reach the emulator
        exports = [line.strip() for line in out.splitlines() if line.strip().startswith("export ")]
        names = {line.split("=", 1)[0].removeprefix("export ") for line in exports}
        assert {"AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_REGION"} <= names
        aws = _in_a_bare_shell(
            exports,
            f'{sys.executable} -c \'import boto3; print(sorted(boto3.client("kinesis").list_streams()["StreamNames"]))\'',
        )
        assert aws.returncode == 0, aws.stderr
        assert aws.stdout.strip() == "['sluice-cdn-logs', 'sluice-clean', 'sluice-raw']"
        # and the warehouse URL is one libpq takes (psql's parser), as psql takes it when installed
        url = _in_a_bare_shell(exports, 'printf %s "$SLUICE_WAREHOUSE_URL"').stdout
        assert url.startswith("postgresql://")
        with psycopg2.connect(url) as connection, connection.cursor() as cursor:
            cursor.execute("select count(*) from player_events")
            assert cursor.fetchone() == (0,)
        if shutil.which("psql"):
            psql = _in_a_bare_shell(exports, 'psql "$SLUICE_WAREHOUSE_URL" -tA -c "select count(*) from player_events"')
            assert (psql.returncode, psql.stdout.strip()) == (0, "0"), psql.stderr
        # and `--format env` is the same lines, for eval
        env_lines = _sluice(second, state_home, "local", "status", "--format", "env").stdout.splitlines()
        assert env_lines == exports

        # WHEN players send events, and the user reads the ingest stage's log from the second directory
        events = list(generate(TrafficConfig(sessions=2, seed=5, start_ms=int(time.time() * 1000) - 60_000)))
        ingest_url = json.loads(_sluice(second, state_home, "local", "status", "--format", "json").stdout)["ingest_url"]
        body = "\n".join(event.line() for event in events).encode()
        request = urllib.request.Request(ingest_url, data=body, headers={"content-type": "application/x-ndjson"})
        assert urllib.request.urlopen(request, timeout=30).status == 200
        deadline = time.monotonic() + 30
        while True:
            ingest = _sluice(second, state_home, "local", "logs", "--stage", "ingest")
            logged = [json.loads(line) for line in ingest.stdout.splitlines()]
            if logged or time.monotonic() > deadline:
                break
            time.sleep(1)
        # THEN the ingest stage's lines are there, and only its lines
        assert ingest.returncode == 0, ingest.stderr
        assert logged and {line.get("stage") or line.get("Stage") for line in logged} == {"ingest"}
        assert sum(line.get("EventsAccepted", 0) for line in logged) == len(events)
        everything = _sluice(second, state_home, "local", "logs").stdout.splitlines()
        assert len(everything) > len(logged)
        # and a stage that does not exist, or does not run, is refused naming what runs
        unknown = _sluice(second, state_home, "local", "logs", "--stage", "ingester")
        assert unknown.returncode == 2
        assert "--stage ingester: no such stage" in unknown.stderr
        assert "this pipeline runs ingest, processor, loader, monitor" in unknown.stderr
        indexer = _sluice(second, state_home, "local", "logs", "--stage", "indexer")
        assert indexer.returncode == 2 and "SLUICE_OPENSEARCH_URL" in indexer.stderr

        # WHEN the user stops it from the second directory
        down = _sluice(second, state_home, "local", "down")
        # THEN it stopped, says the data is gone and where the logs are kept
        assert down.returncode == 0, down.stderr
        assert "discarded" in down.stdout and "state.stages.log" in down.stdout
        assert not state_file.exists()
        pipeline_pid = None
        stopped = _sluice(first, state_home, "local", "status")
        assert stopped.returncode == 3 and "not running" in stopped.stdout
        after = _sluice(first, state_home, "local", "logs", "--stage", "ingest")
        assert after.returncode == 2
        assert "not running" in after.stderr and "the last run's stage logs are in" in after.stderr
        assert (state_home / "sluice/local/state.stages.log").stat().st_size > 0
    finally:
        if pipeline_pid is not None:  # the test failed with the pipeline up: stop what it started
            os.kill(pipeline_pid, 15)
