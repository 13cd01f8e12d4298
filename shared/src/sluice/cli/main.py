"""The ``sluice`` command: one entry point, one module per command group."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from sluice import __version__
from sluice.cli import demo, events, failed, generate, health, local, schemas, warehouse
from sluice.cli.errors import UsageError


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="sluice", description="Sluice: a realtime event pipeline for video-player telemetry."
    )
    parser.add_argument("--version", action="version", version=f"sluice {__version__}")
    commands = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for module in (generate, events, schemas, failed, warehouse, health, local, demo):
        module.register(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    try:
        return int(args.run(args))
    except UsageError as exc:
        print(f"sluice: error: {exc}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # `sluice generate | head` is not an error
        return 0
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
