"""Options every command reads alike: the AWS connection (as the AWS CLI spells it), the output
format, and numbers checked before anything runs."""

from __future__ import annotations

import argparse
import json
import os
from collections.abc import Callable, Sequence
from typing import Any, NoReturn

__all__ = [
    "FORMATS",
    "Parser",
    "add_format",
    "apply_aws_options",
    "aws_options",
    "fraction",
    "non_negative_int",
    "positive_int",
    "print_json",
    "split_aws_options",
]

FORMATS = ("table", "json")


class Parser(argparse.ArgumentParser):
    """argparse with its errors on one line (the usage stays one ``--help`` away), exit status 2."""

    def error(self, message: str) -> NoReturn:
        self.exit(2, f"{self.prog}: error: {message} (see `{self.prog} --help`)\n")


def aws_options() -> argparse.ArgumentParser:
    """``--region``, ``--profile`` and ``--endpoint-url``, accepted before or after the command."""
    parser = argparse.ArgumentParser(add_help=False)
    group = parser.add_argument_group("AWS connection (as for the AWS CLI)")
    group.add_argument("--region", help="AWS region (default: $AWS_REGION / $AWS_DEFAULT_REGION / the profile's)")
    group.add_argument("--profile", help="named profile from ~/.aws/config (default: $AWS_PROFILE)")
    group.add_argument(
        "--endpoint-url", help="AWS API endpoint, for example a local emulator (default: $AWS_ENDPOINT_URL)"
    )
    return parser


def apply_aws_options(options: argparse.Namespace) -> None:
    """botocore reads its configuration from the environment: set it there, before any client."""
    if options.region:
        os.environ["AWS_REGION"] = os.environ["AWS_DEFAULT_REGION"] = options.region
    if options.profile:
        os.environ["AWS_PROFILE"] = options.profile
    if options.endpoint_url:
        os.environ["AWS_ENDPOINT_URL"] = options.endpoint_url


def add_format(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format (default: table)")


def print_json(value: Any) -> None:
    print(json.dumps(value, indent=2, sort_keys=True, default=str))


def _bounded(kind: Callable[[str], Any], name: str, low: float | None, high: float | None) -> Callable[[str], Any]:
    def parse(text: str) -> Any:
        try:
            value = kind(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{text!r} is not {name}") from None
        if (low is not None and value < low) or (high is not None and value > high):
            raise argparse.ArgumentTypeError(f"{text} is not {name}")
        return value

    return parse


positive_int = _bounded(int, "a whole number of at least 1", 1, None)
non_negative_int = _bounded(int, "a whole number of at least 0", 0, None)
fraction = _bounded(float, "a fraction from 0 to 1", 0.0, 1.0)


def split_aws_options(argv: Sequence[str]) -> tuple[argparse.Namespace, list[str]]:
    return aws_options().parse_known_args(list(argv))
