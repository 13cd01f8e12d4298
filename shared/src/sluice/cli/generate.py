"""``sluice generate``: simulated player traffic as JSON lines."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from sluice.cli.errors import UsageError
from sluice.cli.io import open_output
from sluice.cli.options import fraction, non_negative_int, positive_int
from sluice.traffic.generator import TrafficConfig, generate


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "generate",
        help="simulated player sessions as JSON lines",
        description="Write simulated player events, one JSON event per line, in client-time order. The same --seed and --start give the same output.",
    )
    parser.add_argument("--sessions", type=positive_int, default=100, help="number of viewing sessions (default: 100)")
    parser.add_argument("--seed", type=non_negative_int, default=1, help="random seed (default: 1)")
    parser.add_argument("--bad-rate", type=fraction, default=0.0, help="fraction of events to spoil, 0..1 (default: 0)")
    parser.add_argument(
        "--start", help="ISO-8601 time the sessions start from (default: the start of the current hour, UTC)"
    )
    parser.add_argument(
        "--labels",
        help="also write one JSON line per event to this file: its event_id and bad-event kind (null when good)",
    )
    parser.add_argument(
        "--with-request",
        action="store_true",
        help="add to each line a `request` object (user_agent, country): what ingest stamps from the request, for `sluice health simulate`",
    )
    parser.add_argument("-o", "--output", help="output file (default: stdout)")
    parser.set_defaults(run=_generate)


def _start_ms(text: str | None) -> int:
    if text is None:
        now = datetime.now(UTC).replace(minute=0, second=0, microsecond=0)
        return int(now.timestamp() * 1000)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--start {text!r} is not an ISO-8601 time") from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return int(parsed.timestamp() * 1000)


def _generate(args: argparse.Namespace) -> int:
    config = TrafficConfig(
        sessions=args.sessions, seed=args.seed, bad_rate=args.bad_rate, start_ms=_start_ms(args.start)
    )
    with open_output(args.output) as out, open_output(args.labels, discard=args.labels is None) as labels:
        for event in generate(config):
            out.write(event.line(with_request=args.with_request) + "\n")
            labels.write(json.dumps({"event_id": event.event_id, "bad": event.bad}) + "\n")
    return 0
