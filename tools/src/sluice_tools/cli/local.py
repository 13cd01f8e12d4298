"""``sluice local up | down | status | logs``: the whole pipeline on this machine, in the background.

One pipeline per user: its state lives in the user's state directory (the XDG Base Directory
specification's ``$XDG_STATE_HOME``, else ``~/.local/state``), so ``status``, ``logs`` and
``down`` find it from any directory; ``SLUICE_LOCAL_STATE`` names another state file. Beside the
state file: ``state.log`` (what the start said, and anything that went wrong) and
``state.stages.log`` (every line the stages wrote; the previous run's in
``state.stages.previous.log``)."""

from __future__ import annotations

import argparse
import json
import os
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, TextIO

from sluice_tools.cli.errors import UsageError
from sluice_tools.cli.options import print_json
from sluice_tools.local.cdn import EDGE_LOCATIONS, CdnFaultError, parse_faults
from sluice_tools.local.containers import STAGES
from sluice_tools.local.services import AWS_ENV
from sluice_tools.local.stage_log import read

__all__ = ["environment_lines", "register", "state_file"]

# How long `up` waits for the pipeline: Terraform's apply against the emulator takes about a
# minute, the stages' containers a few seconds each.
START_TIMEOUT_S = 300.0
# How long `down` waits for it to stop: each container is removed in turn.
STOP_TIMEOUT_S = 120.0


def state_file() -> Path:
    """``SLUICE_LOCAL_STATE``, else ``sluice/local/state.json`` in the user's state directory."""
    if override := os.environ.get("SLUICE_LOCAL_STATE"):
        return Path(override).absolute()
    # The XDG Base Directory specification: a relative $XDG_STATE_HOME is invalid and ignored.
    base = os.environ.get("XDG_STATE_HOME", "")
    root = Path(base) if os.path.isabs(base) else Path.home() / ".local/state"
    return root / "sluice/local/state.json"


def _progress_log(state: Path) -> Path:
    return state.with_suffix(".log")


def _stage_log(state: Path) -> Path:
    return state.with_suffix(".stages.log")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "local",
        help="the pipeline on this machine: up, down, status, logs",
        description="Run the AWS API emulator, an embedded PostgreSQL, the API-Gateway-shaped endpoint and every "
        "stage in the background. Its state is per user ($XDG_STATE_HOME/sluice/local, else "
        "~/.local/state/sluice/local; SLUICE_LOCAL_STATE names another state file).",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    up = sub.add_parser("up", help="start everything in the background, showing each step, and print the endpoints")
    up.add_argument(
        "--runtime",
        choices=("inprocess", "docker"),
        default="inprocess",
        help="stages in the background process, or inside their images",
    )
    up.add_argument(
        "--provisioning",
        choices=("auto", "terraform", "direct"),
        default="auto",
        help="the resources by terraform apply of terraform/envs/local (auto: when Terraform is installed), "
        "or created directly from its recorded settings (seconds instead of a minute)",
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
    sub.add_parser(
        "down", help="stop what `up` started: the streams, the lake and the warehouse are discarded"
    ).set_defaults(run=_down)
    status = sub.add_parser("status", help="what is running and where, with the shell lines to use it")
    status.add_argument(
        "--format",
        choices=("table", "json", "env"),
        default="table",
        help='table, json, or env: only the export lines (eval "$(sluice local status --format env)")',
    )
    status.set_defaults(run=_status)
    logs = sub.add_parser("logs", help="the stages' log lines (JSON, one a line)")
    logs.add_argument("--stage", metavar="NAME", help=f"one stage's lines ({', '.join(STAGES)})")
    logs.add_argument("--follow", "-f", action="store_true", help="then each new line, until the pipeline stops")
    logs.set_defaults(run=_logs)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _state(path: Path) -> dict[str, Any] | None:
    if not path.exists():
        return None
    state: dict[str, Any] = json.loads(path.read_text())
    return state if _alive(int(state["pid"])) else None


def _up(args: argparse.Namespace) -> int:
    state = state_file()
    if _state(state):
        raise UsageError(f"already up (see `sluice local status`); state in {state}")
    try:
        parse_faults(args.cdn_fault)
    except CdnFaultError as exc:
        raise UsageError(f"--cdn-fault {exc}") from None
    state.parent.mkdir(parents=True, exist_ok=True)
    state.unlink(missing_ok=True)  # a pipeline that died without cleaning up
    stage_log = _stage_log(state)
    if stage_log.exists():
        stage_log.replace(stage_log.with_suffix(".previous.log"))
    command = [sys.executable, "-m", "sluice_tools.local.daemon", str(state), "--runtime", args.runtime]
    command += ["--provisioning", args.provisioning, "--stage-log", str(stage_log)]
    command += ["--opensearch-url", os.environ.get("SLUICE_OPENSEARCH_URL", "")]
    command += [f"--cdn-fault={fault}" for fault in args.cdn_fault]
    print(f"Starting the local pipeline (stages {args.runtime}); state in {state.parent}")
    with stage_log.open("w", encoding="utf-8") as stages, _progress_log(state).open("w", encoding="utf-8") as said:
        process = subprocess.Popen(
            command, stdin=subprocess.DEVNULL, stdout=stages, stderr=said, start_new_session=True
        )
    started = time.monotonic()
    outcome = _show_progress(process, state, started)
    if outcome != "up":
        if outcome == "timed out":
            process.terminate()
        raise UsageError(
            f"the local pipeline did not start ({outcome}); what it said is above and in {_progress_log(state)}"
        )
    print(f"Up in {time.monotonic() - started:.0f} s.\n")
    return _status(args)


def _show_progress(process: subprocess.Popen[bytes], state: Path, started: float) -> str:
    """Each line the starting pipeline says, as it says it, with the time since the start; on a
    terminal the step under way also counts its seconds in place (into a file or a pipe, lines
    only). Returns "up", "exited N" or "timed out"."""
    ticker = _Ticker(sys.stdout, started)
    with _progress_log(state).open(encoding="utf-8", errors="replace") as said:
        pending = ""
        while True:
            pending += said.readline()
            if pending.endswith("\n"):
                ticker.line(pending.strip())
                pending = ""
                continue
            if state.exists():
                outcome = "up"
            elif process.poll() is not None:
                outcome = f"exited {process.returncode}"
            elif time.monotonic() - started > START_TIMEOUT_S:
                outcome = "timed out"
            else:
                ticker.tick()
                time.sleep(0.2)
                continue
            for line in (pending + said.read()).splitlines():
                if line.strip():
                    ticker.line(line.strip())
            ticker.done()
            return outcome


class _Ticker:
    def __init__(self, out: TextIO, started: float) -> None:
        self.out = out
        self.started = started
        self.tty = out.isatty()
        self.drawn = False

    def _clear(self) -> None:
        if self.drawn:
            self.out.write("\r\x1b[K")
            self.drawn = False

    def line(self, text: str) -> None:
        self._clear()
        self.out.write(f"  {time.monotonic() - self.started:5.1f} s  {text}\n")
        self.out.flush()

    def tick(self) -> None:
        if self.tty:
            self.out.write(f"\r  {time.monotonic() - self.started:5.1f} s  ...")
            self.out.flush()
            self.drawn = True

    def done(self) -> None:
        self._clear()
        self.out.flush()


def _down(args: argparse.Namespace) -> int:
    path = state_file()
    state = _state(path)
    if state is None:
        print("nothing is running")
        return 0
    pid = int(state["pid"])
    os.kill(pid, signal.SIGTERM)
    deadline = time.monotonic() + STOP_TIMEOUT_S
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.5)
    if _alive(pid):
        print(f"still stopping after {STOP_TIMEOUT_S:.0f} s (pid {pid}); see {_progress_log(path)}", file=sys.stderr)
        return 1
    print("stopped: its streams, lake objects, warehouse rows and health table are discarded")
    print(f"the stages' logs are kept in {_stage_log(path)}")
    return 0


def environment_lines(state: dict[str, Any]) -> list[str]:
    """The shell lines that point AWS SDKs, the AWS CLI, psql and Sluice's own commands at the
    local pipeline: the emulator's endpoint with its test credentials and region (an SDK needs
    all three), and the warehouse URL."""
    values = {"AWS_ENDPOINT_URL": state["aws_endpoint"], **AWS_ENV, "SLUICE_WAREHOUSE_URL": state["warehouse_url"]}
    if state.get("opensearch_url"):
        values["SLUICE_OPENSEARCH_URL"] = state["opensearch_url"]
    return [f"export {name}={shlex.quote(str(value))}" for name, value in values.items()]


def _status(args: argparse.Namespace) -> int:
    path = state_file()
    state = _state(path)
    form = getattr(args, "format", "table")
    if form == "json":
        print_json({"running": state is not None, **(state or {})})
        return 0 if state is not None else 3
    if state is None:
        print(f"the local pipeline is not running (start it with `sluice local up`; state in {path})")
        return 3
    if form == "env":
        print("\n".join(environment_lines(state)))
        return 0
    stages = state.get("stages") or []
    print(f"running (pid {state['pid']}, stages {state['runtime']}: {', '.join(stages)})")
    print(f"  POST events to        {state['ingest_url']}")
    if state["ingest_url"]:
        print(f"  POST CMCD reports to  {state['ingest_url'].rsplit('/', 1)[0]}/cmcd")
    print(f"  AWS API emulator      {state['aws_endpoint']}")
    print(f"  warehouse             {state['warehouse_url']}")
    print(f"  search leg            {state['opensearch_url'] or 'OFF (no SLUICE_OPENSEARCH_URL given)'}")
    print(f"  resources from        {state['resources']}")
    for label, value in _resources(state["settings"]):
        print(f"  {label:<21} {value}")
    views = "".join(f"; view {view}" for view in state.get("warehouse_views") or [])
    print(f"  warehouse tables      {', '.join(state.get('warehouse_tables') or [])}{views}")
    print(f"  stage logs            sluice local logs [--stage NAME] [--follow]   ({state.get('stage_log')})")
    _print_cdn(state.get("cdn"))
    print('\nIn a shell (or: eval "$(sluice local status --format env)"):')
    for line in environment_lines(state):
        print(f"  {line}")
    print('  # then: aws kinesis list-streams; psql "$SLUICE_WAREHOUSE_URL" -c "select count(*) from player_events"')
    print("`sluice local down` stops it and discards the data.")
    return 0


def _resources(settings: dict[str, Any]) -> list[tuple[str, str]]:
    """The resources by name and what each holds (those the settings name)."""
    rows: list[tuple[str, str]] = []
    streams = [("raw", "raw_stream"), ("clean", "clean_stream"), ("CDN logs", "cdn_log_stream")]
    if named := [f"{settings[key]} ({kind})" for kind, key in streams if settings.get(key)]:
        rows.append(("Kinesis streams", ", ".join(named)))
    bucket = settings.get("lake_bucket")
    firehoses = [("lake_firehose", "events/"), ("failed_firehose", "failed/")]
    if named := [f"{settings[key]} (to s3://{bucket}/{prefix})" for key, prefix in firehoses if settings.get(key)]:
        rows.append(("Firehose streams", ", ".join(named)))
    if bucket:
        rows.append(("S3 bucket", f"{bucket} (the lake: events/, failed events under failed/)"))
    if settings.get("loader_queue"):
        rows.append(("SQS queue", f"{settings['loader_queue'].rsplit('/', 1)[-1]} (new lake objects, for the loader)"))
    if settings.get("health_table"):
        rows.append(("DynamoDB table", f"{settings['health_table']} (player health: windows and incidents)"))
    if settings.get("alert_topic_arn"):
        rows.append(("SNS topic", f"{settings['alert_topic_arn']} (alerts)"))
    return rows


def _print_cdn(cdn: dict[str, Any] | None) -> None:
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


def _logs(args: argparse.Namespace) -> int:
    path = state_file()
    state = _state(path)
    kept = _stage_log(path)
    if state is None:
        last = f"; the last run's stage logs are in {kept}" if kept.exists() else ""
        raise UsageError(f"the local pipeline is not running (start it with `sluice local up`){last}")
    running = state.get("stages") or list(STAGES)
    if args.stage is not None and args.stage not in running:
        if args.stage not in STAGES:
            why = f"no such stage (the stages: {', '.join(STAGES)})"
        else:
            why = "not running here" + (" (it runs with SLUICE_OPENSEARCH_URL set)" if args.stage == "indexer" else "")
        raise UsageError(f"--stage {args.stage}: {why}; this pipeline runs {', '.join(running)}")
    pid = int(state["pid"])
    log = Path(state.get("stage_log") or kept)
    for line in read(log, args.stage, follow=(lambda: _alive(pid)) if args.follow else None):
        print(line, flush=args.follow)
    return 0
