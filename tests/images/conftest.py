"""Image layer: the real images, built and run by a real Docker engine.

In CI (SLUICE_REQUIRE_DOCKER=1) a missing engine fails the run; on a developer machine without
one these tests are skipped with a message saying how to enable them.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sluice_tools.local.containers import engine_available

ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="session")
def images() -> Iterator[dict[str, Any]]:
    """Every image built (layers cached by the engine), and the lock file's contents."""
    if not engine_available():
        message = "no Docker engine: start dockerd (CI: .ci/run does) to run the image tests"
        if os.environ.get("SLUICE_REQUIRE_DOCKER") == "1":
            pytest.fail(message)
        pytest.skip(message)
    env = {**os.environ}
    env.setdefault("PYTHON_IMAGE", os.environ.get("SLUICE_PYTHON_IMAGE", "sluice/debian-python:bookworm"))
    result = subprocess.run(
        [sys.executable, "docker/images.py", "build"], cwd=ROOT, env=env, capture_output=True, text=True, check=False
    )
    if result.returncode != 0:
        pytest.fail(f"make build-images failed:\n{result.stdout[-3000:]}\n{result.stderr[-3000:]}")
    yield json.loads((ROOT / "images.lock.json").read_text())
