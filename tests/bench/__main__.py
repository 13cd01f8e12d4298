"""`make bench`: every throughput figure of Sluice, each beside its baseline, in one run, on one
core (the benchmarks are single-threaded, as a Lambda invocation is). It exits 1 when a figure
misses its goal; it is not part of `make test` (shared machines are too noisy to gate every run).

It also writes the stages' CPU time per record to tools/src/sluice_tools/cost/data/stage_cpu.json:
`sluice cost` and the budget check read it from there (commit it with the code it measures).
"""

from __future__ import annotations

import os
import platform
import sys
from datetime import UTC, datetime
from pathlib import Path

from bench import cdn, codec, sinks, stages
from bench.timing import Result, verdict

# The benchmarks reuse the test suite's embedded services (tests/support).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

STAGE_CPU = Path(__file__).resolve().parents[2] / "tools/src/sluice_tools/cost/data/stage_cpu.json"


def main() -> None:
    machine = f"Python {platform.python_version()}, {os.cpu_count()} cores (one used)"
    print(f"Sluice benchmarks: {machine}, records from the traffic generator\n")
    results = [*codec.run(), *stages.run(), *sinks.run(), *cdn.run()]
    for result in results:
        print(result.line())
    write_stage_cpu(results, machine)
    status, summary = verdict(results)
    print(f"\n{summary}")
    sys.exit(status)


def write_stage_cpu(results: list, machine: str) -> None:  # type: ignore[type-arg]
    from sluice_tools.cost import stage_cpu

    by_name = {r.name.split(" (")[0]: r for r in results if isinstance(r, Result)}
    decode_us = 1e6 / by_name["codec decode"].rate
    us = {
        "ingest": 1e6 / by_name["ingest"].rate,
        "processor": 1e6 / by_name["processor"].rate,
        "monitor": 1e6 / by_name["monitor"].rate,
        # The indexer decodes each clean record, then builds its bulk lines.
        "indexer": decode_us + 1e6 / by_name["indexer bulk body, gzipped"].records_per_s,
        # The processor's second input, per CloudFront real-time log line (sluice_tools.cost.cdn_path).
        "cdn_processor": 1e6 / by_name["processor, CDN log lines"].rate,
    }
    evaluation = next(r for r in results if isinstance(r, stages.WindowCost))
    measured_on = f"{datetime.now(UTC):%Y-%m-%d}, {machine}, {platform.machine()}"
    stage_cpu.write(STAGE_CPU, us, evaluation.seconds * 1000, measured_on)
    print(
        f"\nwrote {STAGE_CPU.relative_to(STAGE_CPU.parents[5])}: " + ", ".join(f"{k} {v:.1f} us" for k, v in us.items())
    )


if __name__ == "__main__":
    main()
