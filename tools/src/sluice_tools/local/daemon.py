"""`sluice local up` runs this in the background: the local pipeline until it is told to stop."""

from __future__ import annotations

import json
import os
import signal
import sys
import threading
from pathlib import Path

from sluice_tools.local.cdn import parse_faults
from sluice_tools.local.pipeline import LocalOptions, LocalPipeline

__all__ = ["main"]


def main() -> None:
    state_file = Path(sys.argv[1])
    runtime = sys.argv[2] if len(sys.argv) > 2 else "inprocess"
    opensearch_url = sys.argv[3] if len(sys.argv) > 3 and sys.argv[3] else None
    cdn_faults = parse_faults(sys.argv[4:])  # `--cdn-fault` specs, checked by the CLI already
    log = state_file.with_suffix(".log").open("a", encoding="utf-8")
    pipeline = LocalPipeline(
        LocalOptions(
            runtime=runtime,
            opensearch_url=opensearch_url,
            cdn_faults=cdn_faults,
            say=lambda line: print(line, file=log, flush=True),
        )
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        pipeline.start()
        state = {
            "pid": os.getpid(),
            "aws_endpoint": pipeline.endpoint,
            "ingest_url": f"{pipeline.api.url}/events" if pipeline.api else None,
            "warehouse_url": pipeline.warehouse_url,
            "opensearch_url": opensearch_url,
            "runtime": runtime,
            "resources": pipeline.provisioned_by,
            "settings": pipeline.settings,
            "cdn": pipeline.cdn.describe() if pipeline.cdn else None,
        }
        state_file.write_text(json.dumps(state, indent=2))
        stop.wait()
    finally:
        pipeline.stop()
        state_file.unlink(missing_ok=True)


if __name__ == "__main__":
    main()
