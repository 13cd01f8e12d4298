"""CPU time per record of each stage, as `make bench` last measured it (one core, records from
the traffic generator). The file is written by the benchmark and committed: the cost model and the
budget check read it, so no test times anything."""

from __future__ import annotations

import json
from dataclasses import dataclass
from importlib import resources
from pathlib import Path

__all__ = ["FILE", "StageCpu", "load", "write"]

FILE = "data/stage_cpu.json"


@dataclass(frozen=True)
class StageCpu:
    # ingest (per event), processor, indexer, monitor (per record), cdn_processor (per CDN log line)
    us_per_record: dict[str, float]
    evaluation_ms: float  # one health evaluation window over 10,000 dimension values
    measured_on: str

    def us(self, stage: str) -> float:
        return self.us_per_record[stage]


def load(path: Path | None = None) -> StageCpu:
    text = path.read_text() if path else resources.files("sluice_tools.cost").joinpath(FILE).read_text()
    doc = json.loads(text)
    return StageCpu(doc["us_per_record"], doc["evaluation_ms"], doc["measured_on"])


def write(path: Path, us_per_record: dict[str, float], evaluation_ms: float, measured_on: str) -> None:
    doc = {
        "measured_on": measured_on,
        "us_per_record": {k: round(v, 2) for k, v in sorted(us_per_record.items())},
        "evaluation_ms": round(evaluation_ms, 1),
    }
    path.write_text(json.dumps(doc, indent=2) + "\n")
