"""`make image-report` when a measurement cannot be taken: one line naming what failed and exit
status 1, never a traceback (the engine is a stand-in script here: no image is built)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from sluice_tools.local import image_report

LOCK = {
    "version": "0.2.0",
    "git_revision": "abc123",
    "python_image": "python:3.12.8-slim-bookworm",
    "base": {"image": "sluice/base:abc123"},
    "stages": {"ingest": {"image": "sluice/ingest:abc123", "size_bytes": 1, "layers": 1}},
}


def fake_engine(tmp_path: Path, *, build: str = "ok", run: str = "ok") -> Path:
    """A `docker` that builds (or refuses to, as an engine that is down), and runs a container
    that answers the Runtime API with an error, or never polls it."""
    script = tmp_path / "docker"
    script.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            f"""
            import json, subprocess, sys, urllib.request
            command = sys.argv[1]
            if command == "run" and "--entrypoint" in sys.argv:  # the schema the images write
                from sluice.events.codec import Codec
                print(Codec().fingerprint)
                sys.exit(0)
            if command == "build" and {build!r} == "down":
                sys.stderr.write("ERROR: Cannot connect to the Docker daemon at unix:///var/run/docker.sock. "
                                 "Is the docker daemon running?\\n")
                sys.exit(1)
            if command == "run" and {run!r} == "fails":
                api = next(a.split("=", 1)[1] for a in sys.argv if a.startswith("AWS_LAMBDA_RUNTIME_API="))
                child = '''
            import json, sys, urllib.request
            base = "http://" + sys.argv[1] + "/2018-06-01/runtime/invocation/"
            with urllib.request.urlopen(base + "next") as r:
                request_id = r.headers["Lambda-Runtime-Aws-Request-Id"]
            body = json.dumps({{"errorType": "ConfigError", "errorMessage": "SLUICE_RAW_STREAM is not set"}}).encode()
            urllib.request.urlopen(urllib.request.Request(base + request_id + "/error", data=body, method="POST"))
            '''
                # Detached from the engine's output, as a container is from `docker run -d`.
                subprocess.Popen([sys.executable, "-c", child, api], stdin=subprocess.DEVNULL,
                                 stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
            """
        )
    )
    script.chmod(0o755)
    return script


def report(tmp_path: Path, **engine: str) -> subprocess.CompletedProcess[str]:
    lock = tmp_path / "images.lock.json"
    if not lock.exists():
        lock.write_text(json.dumps(LOCK))
    env = {**os.environ, "DOCKER": str(engine.pop("docker", None) or fake_engine(tmp_path, **engine))}
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools.local.image_report", "--lock", str(lock), "--runs", "1"],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


def one_line_error(result: subprocess.CompletedProcess[str]) -> str:
    assert result.returncode == 1, result.stderr
    assert "Traceback" not in result.stderr
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("image-report: error: ")
    return lines[0]


def test_no_lock_file_says_to_build_the_images_first(tmp_path):
    result = subprocess.run(
        [sys.executable, "-m", "sluice_tools.local.image_report", "--lock", str(tmp_path / "images.lock.json")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert one_line_error(result).endswith("images.lock.json: not found (build the images first: make build-images)")


def test_a_lock_file_of_another_shape_is_named(tmp_path):
    (tmp_path / "images.lock.json").write_text('{"stages": {}}')
    assert "not a lock file of make build-images (no version, git_revision, python_image, base)" in one_line_error(
        report(tmp_path)
    )


def test_no_engine_is_one_line(tmp_path):
    message = one_line_error(report(tmp_path, docker=str(tmp_path / "no-docker")))
    assert "no container engine" in message and "set DOCKER" in message


def test_an_engine_that_is_down_is_named_by_its_own_message(tmp_path):
    message = one_line_error(report(tmp_path, build="down"))
    assert message == (
        "image-report: error: building the bare image on sluice/base:abc123: ERROR: Cannot connect to the Docker "
        "daemon at unix:///var/run/docker.sock. Is the docker daemon running?"
    )


def test_an_image_that_answers_with_an_error_is_named_with_the_error(tmp_path):
    message = one_line_error(report(tmp_path, run="fails"))
    assert message == (
        "image-report: error: bare (sluice/bare:first-invocation-baseline) did not answer its probe: "
        "ConfigError: SLUICE_RAW_STREAM is not set"
    )


def test_an_image_that_never_answers_is_named(tmp_path, monkeypatch, capsys):
    (tmp_path / "images.lock.json").write_text(json.dumps(LOCK))
    monkeypatch.setenv("DOCKER", str(fake_engine(tmp_path)))
    monkeypatch.setattr(image_report, "PROBE_TIMEOUT_S", 0.5)

    assert image_report.main(["--lock", str(tmp_path / "images.lock.json"), "--runs", "1"]) == 1

    assert capsys.readouterr().err == (
        "image-report: error: bare (sluice/bare:first-invocation-baseline) did not answer its probe: "
        "the function did not answer within 0.5 s\n"
    )


@pytest.mark.parametrize("runs", ["0", "-1"])
def test_runs_below_one_is_a_usage_error(tmp_path, runs):
    result = subprocess.run(
        [sys.executable, "-m", "sluice_tools.local.image_report", "--runs", runs],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert result.returncode == 2 and "give at least 1" in result.stderr
