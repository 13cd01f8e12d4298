"""`make image-report`: size and layers of every stage image, and its cold start: from `docker
run` to the first response through the Runtime API (the image's share of a Lambda cold start),
beside a bare awslambdaric "hello" image built on the same base in the same run: the floor no
stage can go under, so the ratio is the stages' own import and setup cost.

    python -m sluice_tools.local.image_report [--lock images.lock.json] [--runs 3]

Whatever stops a measurement (no lock file, no engine, a build or run the engine refuses, an image
that answers its probe with an error or not at all) ends the report with one line naming it and
exit status 1: a figure the report could not take is never printed as if it had been.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import subprocess
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from sluice.runtime.errors import SluiceError
from sluice_tools.local.containers import STAGES, docker_binary, stage_container
from sluice_tools.local.runtime_api import InvocationError

__all__ = [
    "HELLO",
    "LOCK_KEYS",
    "PROBES",
    "PROBE_TIMEOUT_S",
    "ReportError",
    "build_hello",
    "main",
    "measure",
    "read_lock",
    "report",
]

# How long a probe may take to answer: a cold start is seconds; a minute is an image that hangs.
PROBE_TIMEOUT_S = 60.0


class ReportError(SluiceError):
    """A measurement the report cannot take, said in one line."""


# A trigger each stage answers without reaching any service, with the settings it needs to start.
_DUMMY = {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1", "AWS_ENDPOINT_URL": "http://127.0.0.1:9"}
PROBES: dict[str, tuple[dict[str, str], dict[str, Any]]] = {
    "ingest": (
        {"SLUICE_RAW_STREAM": "raw"},
        {"version": "2.0", "requestContext": {"http": {"method": "OPTIONS"}, "requestId": "r"}, "headers": {}},
    ),
    "processor": (
        {"SLUICE_LAKE_FIREHOSE": "l", "SLUICE_CLEAN_STREAM": "c", "SLUICE_FAILED_FIREHOSE": "f"},
        {"Records": []},
    ),
    "indexer": ({"SLUICE_OPENSEARCH_URL": "http://127.0.0.1:9", "SLUICE_FAILED_FIREHOSE": "f"}, {"Records": []}),
    "loader": (
        {"SLUICE_WAREHOUSE_URL": "postgresql+psycopg2://u@127.0.0.1:9/db", "SLUICE_FAILED_FIREHOSE": "f"},
        # The test event S3 sends when a notification is configured: nothing to load.
        {"Records": [{"eventSource": "aws:sqs", "messageId": "m", "body": '{"Event": "s3:TestEvent"}'}]},
    ),
    "monitor": (
        {
            "SLUICE_ALERT_TOPIC_ARN": "arn:aws:sns:eu-west-1:123456789012:a",
            "SLUICE_HEALTH_TABLE": "t",
            "SLUICE_FAILED_FIREHOSE": "f",
        },
        {
            "Records": [],
            "window": {"start": "2026-11-26T08:00:00Z", "end": "2026-11-26T08:01:00Z"},
            "state": {},
            "isFinalInvokeForWindow": False,
        },
    ),
}


# The baseline: awslambdaric answering "hello" from a one-line module, nothing else imported.
HELLO = "hello"
_HELLO_RECIPE = """FROM {base}
USER root
RUN mkdir -p /opt/hello && printf 'def handle(event, context):\\n    return "hello"\\n' > /opt/hello/hello.py \\
    && /opt/venv/bin/python -m compileall -q --invalidation-mode unchecked-hash /opt/hello
USER 10001
ENV PYTHONPATH=/opt/hello SLUICE_HANDLER=hello.handle
"""
PROBES[HELLO] = ({}, {})


def _engine_said(exc: subprocess.CalledProcessError) -> str:
    """The engine's own last line (its stderr is captured, so a failure would otherwise say only
    "returned non-zero exit status 1")."""
    said = [line for line in str(exc.stderr or exc.stdout or "").splitlines() if line.strip()]
    return said[-1].strip() if said else f"exit status {exc.returncode}"


def build_hello(base: str) -> str:
    """The baseline image on the stages' own base (no build context: the recipe is all there is)."""
    tag = "sluice/hello:cold-start-baseline"
    try:
        subprocess.run(
            [docker_binary(), "build", "-q", "-t", tag, "-"],
            input=_HELLO_RECIPE.format(base=base),
            text=True,
            capture_output=True,
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        raise ReportError(f"building the bare image on {base}: {_engine_said(exc)}") from None
    return tag


def measure(image: str, stage: str) -> tuple[float, float]:
    """(ms to the runtime's first poll, ms to the first response) from `docker run`."""
    env, event = PROBES[stage]
    try:
        with stage_container(image, {**_DUMMY, **env}) as container:
            try:
                container.invoke(event, timeout_s=PROBE_TIMEOUT_S)
            except (InvocationError, TimeoutError) as exc:
                raise ReportError(f"{stage} ({image}) did not answer its probe: {exc}") from None
            answered = container.api.invocations[next(iter(container.api.invocations))].answered_at or time.monotonic()
            polled = container.api.first_poll_at or answered
            return (polled - container.started_at) * 1000, (answered - container.started_at) * 1000
    except subprocess.CalledProcessError as exc:
        raise ReportError(f"running {image}: {_engine_said(exc)}") from None


# What the report reads from the lock file `make build-images` writes.
LOCK_KEYS = ("version", "git_revision", "python_image", "base", "stages")


def read_lock(path: Path) -> dict[str, Any]:
    try:
        lock = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportError(f"{path}: not found (build the images first: make build-images)") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read it ({exc})") from None
    if not isinstance(lock, dict):
        raise ReportError(f"{path}: not a lock file of make build-images (not a JSON object)")
    missing = [key for key in LOCK_KEYS if key not in lock]
    if missing or not isinstance(lock["base"], dict) or "image" not in lock["base"]:
        raise ReportError(f"{path}: not a lock file of make build-images (no {', '.join(missing) or 'base image'})")
    return {str(key): value for key, value in lock.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lock", default="images.lock.json")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs {args.runs}: give at least 1")
    try:
        lock = read_lock(Path(args.lock))
        if shutil.which(docker_binary()) is None:
            raise ReportError(f"no container engine: {docker_binary()!r} is not a command (install it or set DOCKER)")
        report(lock, args.runs)
    except ReportError as exc:
        print(f"image-report: error: {exc}", file=sys.stderr)
        return 1
    return 0


def report(lock: dict[str, Any], runs: int) -> None:
    print(
        f"Sluice images {lock['version']} at {lock['git_revision']} on {lock['python_image']} "
        f"(median of {runs} cold starts each; the bare image started in turn with every stage)\n"
    )
    hello = build_hello(lock["base"]["image"])
    measure(hello, HELLO)  # warm-up: the first container of a run pays the engine's own start
    rows, hello_runs = [], []
    unbuilt = [stage for stage in STAGES if stage not in lock["stages"]]
    if unbuilt:
        print(f"not in the lock file (not built): {', '.join(unbuilt)}")
    for stage in STAGES:
        if stage in unbuilt:
            continue
        entry = lock["stages"][stage]
        measure(entry["image"], stage)  # warm-up, so page-cache state favours no image
        # In turn with the bare image: a slower or busier moment of the machine weighs on both.
        timings = []
        for _ in range(runs):
            hello_runs.append(measure(hello, HELLO)[1])
            timings.append(measure(entry["image"], stage))
        rows.append((stage, entry, statistics.median(t[0] for t in timings), statistics.median(t[1] for t in timings)))
    # The baseline: the median of all the bare image's starts of this run (--runs beside each stage).
    baseline = statistics.median(hello_runs) if hello_runs else 0.0
    print(f"{'stage':<10} {'size':>9} {'layers':>7} {'runtime ready':>14} {'first response':>15} {'vs hello':>9}")
    print(f"{HELLO:<10} {'-':>9} {'-':>7} {'':>14} {baseline:>13.0f}ms {'1.00x':>9}")
    for stage, entry, ready, first in rows:
        print(
            f"{stage:<10} {entry['size_bytes'] / 1e6:>7.1f}MB {entry['layers']:>7} {ready:>12.0f}ms "
            f"{first:>13.0f}ms {first / baseline:>8.2f}x"
        )


if __name__ == "__main__":
    sys.exit(main())
