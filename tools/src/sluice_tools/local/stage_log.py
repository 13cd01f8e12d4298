"""The stages' log of ``sluice local up``: every line the stages write, kept in the state
directory, and read back by stage (``sluice local logs --stage NAME``).

A stage's lines are one JSON object each: its Powertools log lines name it in ``stage``, its EMF
metric lines in the ``Stage`` dimension (the health evaluation's as ``monitor-evaluator``, which
``--stage monitor`` shows with the monitor's); the local runtime's lines about an invocation name
its mapping in ``stage`` (``processor (cdn logs)`` is the processor's). A line a container writes
that names no stage (the runtime client's own, a crash's traceback) is kept inside an object that
names the container's.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

__all__ = ["named", "read", "stage_of"]


def stage_of(line: str) -> str | None:
    """The stage a line names, or None (not JSON, or no stage in it)."""
    try:
        value = json.loads(line)
    except ValueError:
        return None
    if not isinstance(value, dict):
        return None
    stage = value.get("stage") or value.get("Stage")
    return stage if isinstance(stage, str) else None


def named(stage: str, line: str) -> str:
    """The line as it is when it names its stage, else inside an object that names ``stage``."""
    text = line.rstrip("\n")
    return text if stage_of(text) else json.dumps({"stage": stage, "message": text})


def _of(line: str, stage: str | None) -> bool:
    if stage is None:
        return True
    named_stage = stage_of(line)
    # "monitor-evaluator" (the evaluation's metrics), "processor (cdn logs)" (its second mapping)
    return named_stage is not None and named_stage.split(" ")[0].split("-")[0] == stage


def read(
    path: Path, stage: str | None = None, *, follow: Callable[[], bool] | None = None, poll_s: float = 0.25
) -> Iterator[str]:
    """The log's lines of ``stage`` (every line when None); with ``follow``, then each new one as it
    is written, for as long as ``follow()`` says the pipeline is still running."""
    with path.open(encoding="utf-8", errors="replace") as log:
        pending = ""
        while True:
            chunk = log.readline()
            if chunk:
                pending += chunk
                if pending.endswith("\n"):  # a line still being written is read whole
                    if _of(pending, stage):
                        yield pending.rstrip("\n")
                    pending = ""
                continue
            if follow is None or not follow():
                if pending and _of(pending, stage):
                    yield pending
                return
            time.sleep(poll_s)
