"""``sluice health report``: the player-health chart an engineer looks at first."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sluice.cli.errors import UsageError

REPORT_DIMENSIONS = ("all", "cdn", "player_version", "device_class")


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "health", help="player health: the report", description="Player-health metrics from the monitor's rollups."
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    report = sub.add_parser(
        "report",
        help="render the metrics over time with the alerts marked (HTML)",
        description="Render the player-health metrics per window (combined over shards) as an HTML page of charts, marking the alerts.",
    )
    report.add_argument(
        "--table",
        default=os.environ.get("SLUICE_HEALTH_TABLE"),
        help="the monitor's DynamoDB table (default: $SLUICE_HEALTH_TABLE)",
    )
    report.add_argument(
        "-o", "--output", default="player-health.html", help="where to write the page (default: player-health.html)"
    )
    report.set_defaults(run=_report)


def _report(args: argparse.Namespace) -> int:
    if not args.table:
        raise UsageError("give --table or set SLUICE_HEALTH_TABLE")
    from botocore.exceptions import BotoCoreError, ClientError, NoRegionError

    from sluice.aws.clients import client
    from sluice.monitor.report import render_html
    from sluice.monitor.store import HealthStore

    store = HealthStore(client("dynamodb"), args.table)
    try:
        records = [r for dimension in REPORT_DIMENSIONS for r in store.windows(dimension, store.values(dimension))]
        alerts = store.alerts()
    except NoRegionError:
        raise UsageError("no AWS region: pass --region or set AWS_REGION") from None
    except (BotoCoreError, ClientError) as exc:
        raise UsageError(f"reading {args.table}: {exc}") from None
    Path(args.output).write_text(render_html(records, alerts), encoding="utf-8")
    windows = len({r.window_start for r in records})
    print(f"wrote {args.output}: {windows} windows, {len(alerts)} alerts")
    return 0
