"""``sluice cdn``: CloudFront real-time logs as the reader sees them."""

from __future__ import annotations

import argparse
import os
import sys

from sluice_tools.cli.options import add_format, print_json

__all__ = ["CONFIG_ENV", "register"]

CONFIG_ENV = "SLUICE_CDN_LOG_CONFIG"


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "cdn",
        help="CloudFront real-time logs",
        description="CloudFront real-time logs: the fields their lines carry, in order.",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    fields = sub.add_parser(
        "fields",
        help="the field order of the real-time log lines, one per line",
        description=(
            "Print the fields of the real-time log lines in the order the lines carry them. With "
            "--config (or $SLUICE_CDN_LOG_CONFIG): the deployed configuration's order, as "
            "CloudFront's GetRealtimeLogConfig reports it (the order on the stream). Without: the "
            "order Sluice configures and the local CDN stand-in writes."
        ),
    )
    fields.add_argument(
        "--config",
        metavar="NAME-OR-ARN",
        default=os.environ.get(CONFIG_ENV),
        help=f"the real-time log configuration's name or ARN (default: ${CONFIG_ENV})",
    )
    add_format(fields)
    fields.set_defaults(run=_fields)


def _fields(args: argparse.Namespace) -> int:
    from sluice.cdn.config import deployed_fields, local_fields, missing_fields

    if args.config:
        from sluice.aws.clients import client

        names = deployed_fields(client("cloudfront"), args.config)
    else:
        names = local_fields()
    if args.format == "json":
        print_json(names)
    else:
        print("\n".join(names))
    missing = missing_fields(names)
    if missing:
        print(f"sluice: the reader cannot use this configuration: it lacks {', '.join(missing)}", file=sys.stderr)
        return 1
    return 0
