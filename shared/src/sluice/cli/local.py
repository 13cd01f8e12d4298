"""``sluice local up | down | status``: the whole pipeline on this machine, in the background."""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

from sluice.cli.errors import UsageError
from sluice.cli.options import add_format, print_json

STATE = Path(os.environ.get("SLUICE_LOCAL_STATE", ".sluice-local/state.json"))


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "local",
        help="the pipeline on this machine: up, down, status",
        description="Run the AWS API emulator, an embedded PostgreSQL, the API-Gateway-shaped endpoint and every stage in the background.",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = sub.add_parser("up", help="start everything in the background and print the endpoints")
    up.add_argument(
        "--runtime",
        choices=("inprocess", "docker"),
        default="inprocess",
        help="stages in the background process, or inside their images",
    )
    up.set_defaults(run=_up)
    sub.add_parser("down", help="stop what `up` started").set_defaults(run=_down)
    status = sub.add_parser("status", help="what is running and where")
    add_format(status)
    status.set_defaults(run=_status)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _state() -> dict | None:  # type: ignore[type-arg]
    if not STATE.exists():
        return None
    state = json.loads(STATE.read_text())
    return state if _alive(int(state["pid"])) else None


def _up(args: argparse.Namespace) -> int:
    if _state():
        raise UsageError(f"already up (see `sluice local status`); state in {STATE}")
    STATE.parent.mkdir(parents=True, exist_ok=True)
    opensearch = os.environ.get("SLUICE_OPENSEARCH_URL", "")
    process = subprocess.Popen(
        [sys.executable, "-m", "sluice.local.daemon", str(STATE), args.runtime, opensearch],
        stdout=subprocess.DEVNULL,
        stderr=STATE.with_suffix(".log").open("a"),
        start_new_session=True,
    )
    deadline = time.monotonic() + 300
    while time.monotonic() < deadline and process.poll() is None and not STATE.exists():
        time.sleep(0.5)
    if not STATE.exists():
        raise UsageError(f"the local pipeline did not start; see {STATE.with_suffix('.log')}")
    return _status(args)


def _down(args: argparse.Namespace) -> int:
    state = _state()
    if state is None:
        print("nothing is running")
        return 0
    os.kill(int(state["pid"]), signal.SIGTERM)
    for _ in range(60):
        if not _alive(int(state["pid"])):
            break
        time.sleep(0.5)
    print("stopped")
    return 0


def _status(args: argparse.Namespace) -> int:
    state = _state()
    if getattr(args, "format", "table") == "json":
        print_json({"running": state is not None, **(state or {})})
        return 0 if state is not None else 3
    if state is None:
        print("the local pipeline is not running (start it with `sluice local up`)")
        return 3
    print(f"running (pid {state['pid']}, stages {state['runtime']})")
    print(f"  POST events to        {state['ingest_url']}")
    if state["ingest_url"]:
        print(f"  POST CMCD reports to  {state['ingest_url'].rsplit('/', 1)[0]}/cmcd")
    print(f"  AWS API emulator      {state['aws_endpoint']}   (export AWS_ENDPOINT_URL={state['aws_endpoint']})")
    print(f"  warehouse             {state['warehouse_url']}")
    print(f"  search leg            {state['opensearch_url'] or 'OFF (no SLUICE_OPENSEARCH_URL given)'}")
    print(f"  resources from        {state['resources']}")
    print(
        f"  lake bucket           {state['settings']['lake_bucket']}; health table {state['settings']['health_table']}"
    )
    return 0
