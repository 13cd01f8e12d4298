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

from sluice_tools.cli.errors import UsageError
from sluice_tools.cli.options import add_format, print_json
from sluice_tools.local.cdn import EDGE_LOCATIONS, CdnFaultError, parse_faults

__all__ = ["STATE", "register"]

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
    up.add_argument(
        "--cdn-fault",
        action="append",
        default=[],
        metavar="EDGE=FAULT",
        help=f"a fault at one of the CDN stand-in's edge locations ({', '.join(EDGE_LOCATIONS)}): "
        "a status for every request (AMS1-C1=503) or a slow first byte in ms (FRA56-P2=slow:1500); repeatable",
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
    try:
        parse_faults(args.cdn_fault)
    except CdnFaultError as exc:
        raise UsageError(f"--cdn-fault {exc}") from None
    STATE.parent.mkdir(parents=True, exist_ok=True)
    opensearch = os.environ.get("SLUICE_OPENSEARCH_URL", "")
    process = subprocess.Popen(
        [sys.executable, "-m", "sluice_tools.local.daemon", str(STATE), args.runtime, opensearch, *args.cdn_fault],
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
    _print_cdn(state.get("cdn"))
    return 0


def _print_cdn(cdn: dict | None) -> None:  # type: ignore[type-arg]
    if cdn is None:
        print("  CDN stand-in          OFF (no CDN log stream in the local settings)")
        return
    if not cdn["serving"]:
        print(f"  CDN stand-in          serving nothing: {cdn['off']}")
    else:
        print("  CDN stand-in          one edge location per port (CORS open, CMCD headers allowed):")
        for location, edge in cdn["edges"].items():
            fault = "" if edge["fault"] == "none" else f"   fault: {edge['fault']}"
            print(f"    {location:<10}  {edge['url']}{fault}")
        # The streams' URLs at the first edge without a fault (the same paths at every edge).
        healthy = [name for name, edge in cdn["edges"].items() if edge["fault"] == "none"]
        shown = healthy[0] if healthy else next(iter(cdn["edges"]))
        for kind, url in cdn["streams"][shown].items():
            print(f"  test stream {kind:<5}     {url}   (at {shown}; the same path at every edge)")
    print(
        f"  CDN real-time logs    stream {cdn['log_stream']} ({cdn['fields']} fields, the order `sluice cdn fields` prints)"
    )
