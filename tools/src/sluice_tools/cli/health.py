"""``sluice health``: the report an on-call engineer opens first, and the simulation that tunes
the rules on a team's own traffic."""

from __future__ import annotations

import argparse
import os
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from sluice_tools.cli.errors import UsageError
from sluice_tools.cli.io import open_input
from sluice_tools.cli.options import positive_int

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "health",
        help="player health: the report, the simulation",
        description="Player health from the monitor's windows and incidents.",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    report = sub.add_parser(
        "report",
        help="render the QoE metrics over time with the incidents shaded (HTML)",
        description="Render the fleet's QoE metrics per window (all shards combined) as an HTML page of charts, one per metric, with every incident's span shaded and its cause named. Works offline.",
    )
    report.add_argument(
        "--table",
        default=os.environ.get("SLUICE_HEALTH_TABLE"),
        help="the monitor's DynamoDB table (default: $SLUICE_HEALTH_TABLE)",
    )
    report.add_argument("--hours", type=positive_int, default=6, help="how far back to draw (default: 6)")
    report.add_argument(
        "-o", "--output", default="player-health.html", help="where to write the page (default: player-health.html)"
    )
    report.set_defaults(run=_report)

    simulate = sub.add_parser(
        "simulate",
        help="run the monitor and the evaluator over a file of events; print every alert message",
        description="Run the real monitor and evaluator in-process over player events (JSON lines, as `sluice generate` writes them; an optional `request` object per line gives the user_agent and country its request carried), or with --cdn-logs over CloudFront real-time log lines (as `sluice generate --cdn-logs` writes them, in the local field order of `sluice cdn fields`; SLUICE_CDN_SAMPLING_RATE gives the rate they were logged at, 100 by default). Each event's client_time (a line's timestamp) stands for its arrival; sessions split across --shards by session_id as Kinesis splits them. Prints every incident message as one JSON line; tuning comes from the same SLUICE_* variables as the evaluator's.",
    )
    simulate.add_argument("events", nargs="?", help="JSON lines of player events (- for stdin)")
    simulate.add_argument(
        "--cdn-logs", metavar="FILE", help="CloudFront real-time log lines instead of events (- for stdin)"
    )
    simulate.add_argument("--shards", type=positive_int, default=1, help="shards of the clean stream (default: 1)")
    simulate.add_argument(
        "--window-seconds", type=positive_int, default=60, help="the monitor's tumbling window (default: 60)"
    )
    simulate.add_argument(
        "--arrival-delay",
        metavar="SECONDS|POLICY",
        help="events arrive later: SECONDS after they happen, or when the web SDK's delivery policy (interval, "
        "heartbeats) sends them; the simulation also runs under the current policy (interval) and reports how "
        "much later each incident opens",
    )
    simulate.add_argument("--report", help="also write the health report of the simulated windows (HTML)")
    simulate.set_defaults(run=_simulate)


def _report(args: argparse.Namespace) -> int:
    if not args.table:
        raise UsageError("give --table or set SLUICE_HEALTH_TABLE")
    from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

    from sluice.aws.clients import client
    from sluice.monitor.evaluator import iso
    from sluice.monitor.store import DynamoHealthStore
    from sluice_tools.health.report import render_html

    store = DynamoHealthStore(client("dynamodb"), args.table)
    now = datetime.now(UTC)
    try:
        windows = store.fleet_windows(iso(now - timedelta(hours=args.hours)), iso(now))
        alerts = store.alerts()
    except NoRegionError:
        raise UsageError("no AWS region: pass --region or set AWS_REGION") from None
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(f"reading {args.table}: {exc}") from None
    Path(args.output).write_text(render_html(windows, alerts), encoding="utf-8")
    print(f"wrote {args.output}: {len(windows)} windows, {len({a.incident_id for a in alerts})} incidents")
    return 0


def _simulate(args: argparse.Namespace) -> int:
    from dataclasses import replace

    from sluice.monitor.config import evaluation_settings
    from sluice.runtime.config import ConfigError, Env
    from sluice_tools.health.simulate import CdnRequests, CleanEvents, message_line, simulate

    if (args.events is None) == (args.cdn_logs is None):
        raise UsageError("give a file of events, or --cdn-logs FILE of CloudFront real-time log lines (not both)")
    env = Env(os.environ)
    try:
        settings = replace(evaluation_settings(env), window_seconds=args.window_seconds, delay_seconds=0)
        clean: CleanEvents | CdnRequests = CleanEvents()
        if args.cdn_logs is not None:
            rate = env.integer("SLUICE_CDN_SAMPLING_RATE", 100, minimum=1, maximum=100)
            clean = CdnRequests(rate)
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    arrival = None
    if args.arrival_delay is not None:
        from sluice_tools.health.arrival import arrivals
        from sluice_tools.sdk.delivery import POLICIES

        if args.cdn_logs is not None and args.arrival_delay in POLICIES:
            raise UsageError("--arrival-delay with --cdn-logs is seconds: the CDN's log lines are no SDK's requests")
        try:
            arrival = arrivals(args.arrival_delay)
        except ValueError as exc:
            raise UsageError(str(exc)) from None
    with open_input(args.cdn_logs if args.cdn_logs is not None else args.events) as handle:
        lines = [raw.decode("utf-8", "replace") for raw in handle]
    result = simulate(lines, shards=args.shards, settings=settings, clean=clean, arrival=arrival)
    for message in result.messages:
        print(message_line(message))
    if args.report:
        from sluice_tools.health.report import render_html

        windows = result.store.fleet_windows("0", "~")
        Path(args.report).write_text(render_html(windows, result.messages), encoding="utf-8")
    if isinstance(clean, CdnRequests):
        refused = f"{clean.refused} lines unreadable, {clean.not_media} requests not for media, as the processor would"
    else:
        refused = f"{result.refused} refused as ingest would"
    if arrival is not None:
        from sluice_tools.health.arrival import CURRENT_POLICY, alert_delays, arrivals

        # The same lines, arriving as they do today: the SDK's current policy (CDN lines: when logged).
        fresh: CleanEvents | CdnRequests
        if isinstance(clean, CdnRequests):
            fresh, now = CdnRequests(rate), None
        else:
            fresh, now = CleanEvents(), arrivals(CURRENT_POLICY)
        current = simulate(lines, shards=args.shards, settings=settings, clean=fresh, arrival=now)
        print(alert_delays(current.messages, result.messages).line(args.arrival_delay), file=sys.stderr)
    print(
        f"{result.events} events ({refused}) in {result.windows} windows over "
        f"{result.shards} shard(s): {len({m.incident_id for m in result.messages})} incidents, {len(result.messages)} messages; "
        f"{result.flagged} bot or test-player events left out, as the monitor leaves them out",
        file=sys.stderr,
    )
    return 0
