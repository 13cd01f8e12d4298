"""`sluice local up` runs this in the background: the local pipeline until it is told to stop.

Its stdout is the stages' log (the stages in process write their lines to it; the containers'
lines are copied into it), its stderr the progress of the start and anything that goes wrong:
both files in the state directory, which `sluice local up` reads as the pipeline starts and
`sluice local logs` reads afterwards."""

from __future__ import annotations

import argparse
import json
import logging
import os
import signal
import sys
import threading
import warnings
from pathlib import Path
from typing import Any

from sluice_tools.local.cdn import parse_faults
from sluice_tools.local.pipeline import LocalOptions, LocalPipeline

__all__ = ["main", "psql_url"]


def psql_url(url: str) -> str:
    """The warehouse URL as libpq (``psql``) takes it: no SQLAlchemy driver in the scheme. Sluice's
    own commands take it too (a plain ``postgresql://`` URL uses psycopg2)."""
    scheme, _, rest = url.partition("://")
    return f"{scheme.split('+', 1)[0]}://{rest}"


def _arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m sluice_tools.local.daemon")
    parser.add_argument("state_file", type=Path)
    parser.add_argument("--runtime", default="inprocess")
    parser.add_argument("--opensearch-url", default="")
    parser.add_argument("--provisioning", default="auto")
    parser.add_argument("--cdn-fault", action="append", default=[])  # checked by the CLI already
    parser.add_argument("--stage-log", default="")  # where stdout goes: recorded for `sluice local logs`
    return parser.parse_args(argv)


def _log_runtime_lines() -> None:
    """The local runtime's own lines (an invocation that failed, a batch given up on, each naming
    its stage) into the stages' log beside the stages' lines, as JSON lines like theirs."""
    from aws_lambda_powertools.logging.formatter import LambdaPowertoolsFormatter

    handler = logging.StreamHandler(sys.stdout)
    handler.setFormatter(LambdaPowertoolsFormatter(service="sluice-local", utc=True, use_rfc3339=True))
    runtime = logging.getLogger("sluice_tools")
    runtime.addHandler(handler)
    runtime.setLevel(logging.INFO)
    runtime.propagate = False


def main(argv: list[str] | None = None) -> None:
    args = _arguments(sys.argv[1:] if argv is None else argv)
    _log_runtime_lines()
    # pgserver asks platformdirs for a runtime directory it never uses; no news for the user.
    warnings.filterwarnings("ignore", message="XDG_RUNTIME_DIR is not set")
    state_file: Path = args.state_file
    opensearch_url = args.opensearch_url or None
    pipeline = LocalPipeline(
        LocalOptions(
            runtime=args.runtime,
            opensearch_url=opensearch_url,
            provisioning=args.provisioning,
            cdn_faults=parse_faults(args.cdn_fault),
            say=lambda line: print(line, file=sys.stderr, flush=True),
            stage_log=sys.stdout,
        )
    )
    stop = threading.Event()
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    signal.signal(signal.SIGINT, lambda *_: stop.set())
    try:
        pipeline.start()
        state: dict[str, Any] = {
            "pid": os.getpid(),
            "aws_endpoint": pipeline.endpoint,
            "ingest_url": f"{pipeline.api.url}/events" if pipeline.api else None,
            "warehouse_url": psql_url(pipeline.warehouse_url),
            "warehouse_tables": pipeline.warehouse_tables,
            "warehouse_views": pipeline.warehouse_views,
            "opensearch_url": opensearch_url,
            "runtime": args.runtime,
            "stages": pipeline.stages,
            "stage_log": args.stage_log,
            "resources": pipeline.provisioned_by,
            "settings": pipeline.settings,
            "cdn": pipeline.cdn.describe() if pipeline.cdn else None,
        }
        # Whole or not at all: `status` run meanwhile reads either no state or all of it.
        partial = state_file.with_suffix(".partial")
        partial.write_text(json.dumps(state, indent=2))
        partial.replace(state_file)
        stop.wait()
    finally:
        print("  stopping", file=sys.stderr, flush=True)
        pipeline.stop()
        state_file.unlink(missing_ok=True)
        print("  stopped", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
