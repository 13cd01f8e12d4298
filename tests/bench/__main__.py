"""`make bench`: every throughput figure of Sluice, each beside its baseline, in one run, on one
core (the benchmarks are single-threaded, as a Lambda invocation is)."""

from __future__ import annotations

import os
import platform
import sys
from pathlib import Path

from bench import codec, sinks, stages

# The benchmarks reuse the test suite's embedded services (tests/support).
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    print(
        f"Sluice benchmarks: Python {platform.python_version()}, {os.cpu_count()} cores (one used), records from the traffic generator\n"
    )
    for result in [*codec.run(), *stages.run(), *sinks.run()]:
        print(result.line())


if __name__ == "__main__":
    main()
