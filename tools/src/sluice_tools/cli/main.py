"""The ``sluice`` command: one entry point, one module per command group."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sluice import __version__
from sluice_tools.cli import cdn, cost, demo, events, failed, generate, health, local, schemas, warehouse
from sluice_tools.cli.errors import UsageError
from sluice_tools.cli.options import Parser, apply_aws_options, aws_options, split_aws_options

__all__ = ["build_parser", "main"]


def build_parser() -> argparse.ArgumentParser:
    parser = Parser(
        prog="sluice",
        description="Sluice: a realtime event pipeline for video-player telemetry.",
        parents=[aws_options()],
    )
    parser.add_argument("--version", action="version", version=f"sluice {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (generate, events, schemas, failed, warehouse, health, local, demo, cost, cdn):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    # The AWS options go anywhere on the line, as with the AWS CLI.
    aws, rest = split_aws_options(sys.argv[1:] if argv is None else argv)
    args = parser.parse_args(rest)
    apply_aws_options(aws)
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"sluice: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `sluice generate | head` is not an error
        return 0
    except KeyboardInterrupt:
        return 130
    except Exception as exc:
        message = _known_mistake(exc)
        if message is None:
            raise
        print(f"sluice: error: {message}", file=sys.stderr)
        return 2


def _known_mistake(exc: Exception) -> str | None:
    """One line for what a user can fix (region, credentials, a missing resource, an endpoint
    that does not answer); None for a fault of Sluice's own, which keeps its traceback."""
    try:
        from botocore.exceptions import BotoCoreError, ClientError, NoRegionError
    except ImportError:  # pragma: no cover - botocore is a dependency of the library
        return None
    if isinstance(exc, NoRegionError):
        return "no AWS region: pass --region or set AWS_REGION"
    if isinstance(exc, ClientError):
        error = exc.response.get("Error", {})
        return f"{exc.operation_name}: {error.get('Code', 'error')}: {error.get('Message', '')}".rstrip(": ")
    if isinstance(exc, BotoCoreError):
        return str(exc)
    from sqlalchemy.exc import SQLAlchemyError

    if isinstance(exc, SQLAlchemyError):
        return f"warehouse: {str(exc).splitlines()[0]}"
    return None


if __name__ == "__main__":
    sys.exit(main())
