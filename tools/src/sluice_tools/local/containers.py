"""A stage's container image run against a Runtime API endpoint on the host network: how the
tests, `make image-report` and the local pipeline's ``--runtime docker`` invoke real images."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import threading
import time
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sluice_tools.local.runtime_api import RuntimeAPI

__all__ = ["STAGES", "StageContainer", "docker_binary", "engine_available", "locked_image", "stage_container"]

STAGES = ("ingest", "processor", "indexer", "loader", "monitor")


def docker_binary() -> str:
    return os.environ.get("DOCKER") or shutil.which("docker") or "docker"


def engine_available() -> bool:
    try:
        return subprocess.run([docker_binary(), "info"], capture_output=True, timeout=20, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def locked_image(stage: str, lock_file: Path) -> str:
    lock = json.loads(lock_file.read_text())
    return str(lock["stages"][stage]["image"])


@dataclass
class StageContainer:
    name: str
    api: RuntimeAPI
    started_at: float

    def invoke(self, event: dict[str, Any], timeout_s: float = 60.0) -> Any:
        return self.api.invoke(event, timeout_s)

    def logs(self) -> str:
        result = subprocess.run([docker_binary(), "logs", self.name], capture_output=True, text=True, check=False)
        return result.stdout + result.stderr


@contextmanager
def stage_container(
    image: str,
    env: Mapping[str, str] | None = None,
    *,
    mounts: Mapping[str, str] | None = None,
    name: str | None = None,
    handler: str | None = None,
    log: Callable[[str], None] | None = None,
) -> Iterator[StageContainer]:
    """The image running under a fresh Runtime API endpoint; removed on exit. With ``log``, each
    line the container writes is passed to it as it is written (the container is removed on
    exit, and its logs with it)."""
    container = name or f"sluice-{os.getpid()}-{time.monotonic_ns()}"
    with RuntimeAPI() as api:
        command = [
            docker_binary(),
            "run",
            "-d",
            "--rm",
            "--network",
            "host",
            "--name",
            container,
            "-e",
            f"AWS_LAMBDA_RUNTIME_API={api.address}",
        ]
        for key, value in (env or {}).items():
            command += ["-e", f"{key}={value}"]
        for host_path, container_path in (mounts or {}).items():
            command += ["-v", f"{host_path}:{container_path}"]
        command.append(image)
        if handler:
            command.append(handler)  # replaces the image's CMD, as a function's image_config does
        started = time.monotonic()
        subprocess.run(command, capture_output=True, text=True, check=True)
        follower = _follow(container, log) if log is not None else None
        try:
            yield StageContainer(container, api, started)
        finally:
            subprocess.run([docker_binary(), "rm", "-f", container], capture_output=True, check=False)
            if follower is not None:
                follower.join(timeout=10)  # `docker logs --follow` ends with the container


def _follow(container: str, log: Callable[[str], None]) -> threading.Thread:
    """`docker logs --follow` (from the container's first line) into ``log``, line by line."""
    follow = subprocess.Popen(
        [docker_binary(), "logs", "--follow", container],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        errors="replace",
    )

    def pump() -> None:
        assert follow.stdout is not None
        with follow.stdout:
            for line in follow.stdout:
                log(line)
        follow.wait()

    thread = threading.Thread(target=pump, name=f"sluice-logs-{container}", daemon=True)
    thread.start()
    return thread
