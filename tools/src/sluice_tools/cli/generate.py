"""``sluice generate``: simulated player traffic as JSON lines, or (``--cdn-logs``) as the
CloudFront real-time log lines of viewers' media requests."""

from __future__ import annotations

import argparse
import json
from datetime import UTC, datetime

from sluice.cdn.config import local_fields, missing_fields
from sluice_tools.cli.errors import UsageError
from sluice_tools.cli.io import open_output
from sluice_tools.cli.options import fraction, non_negative_int, positive_int
from sluice_tools.local.cdn import CdnFaultError, parse_faults
from sluice_tools.traffic.cdn_logs import (
    CMCD_MODES,
    EDGE_LOCATIONS,
    FAULT_KINDS,
    PLAYER_DEFAULTS,
    CdnFault,
    cdn_log_lines,
)
from sluice_tools.traffic.generator import TrafficConfig, generate

__all__ = ["faults", "register"]

# --fault KIND:key=value,...: the keys and the CdnFault field each sets.
_FAULT_KEYS = {
    "edge": ("edge_location", str),
    "origin": ("origin", str),
    "status": ("status", int),
    "first-byte-ms": ("first_byte_ms", float),
    "start": ("start_s", float),
    "end": ("end_s", float),
    "rate": ("rate", float),
}


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
    cdn = parser.add_argument_group(
        "CDN logs",
        "--cdn-logs writes CloudFront real-time log lines instead of events: viewers' players (hls.js, dash.js, "
        "Shaka, ExoPlayer, AVPlayer) fetching a manifest then segments every 4 s through edge locations, "
        "with CMCD v1 on each request; one line per request in timestamp order, in the field order of the "
        "configuration (--fields).",
    )
    cdn.add_argument("--cdn-logs", action="store_true", help="write real-time log lines, not events")
    cdn.add_argument(
        "--duration",
        type=positive_int,
        default=600,
        metavar="SECONDS",
        help="seconds of traffic from --start; sessions start in the first half (default: 600)",
    )
    cdn.add_argument(
        "--cdn-fault",
        type=faults,
        action="append",
        default=[],
        metavar="FAULT",
        help="inject a fault, repeatable: as for `sluice local up`, EDGE=STATUS or EDGE=slow:MS for the whole "
        f"traffic (AMS1-C1=503, FRA56-P2=slow:1500); or KIND:KEY=VALUE,... with KIND one of {', '.join(FAULT_KINDS)} "
        f"and keys {', '.join(_FAULT_KEYS)} (seconds from --start), e.g. status:edge=AMS1-C1,start=60,end=300 or "
        "origin_slow:origin=/vod/*,first-byte-ms=2000",
    )
    cdn.add_argument(
        "--cmcd-mode",
        choices=(PLAYER_DEFAULTS, *CMCD_MODES),
        default=PLAYER_DEFAULTS,
        help="where CMCD rides: each player's own place (players: the query for browser players, headers for "
        "ExoPlayer and AVPlayer), or for every session the query, headers, the configuration's cmcd-* fields, or none "
        "(default: players)",
    )
    cdn.add_argument(
        "--sampling-rate",
        type=_percentage,
        default=100,
        metavar="PERCENT",
        help="the configuration's sampling rate, the percentage of requests logged (default: 100)",
    )
    cdn.add_argument(
        "--fields",
        help="the configuration's field order, comma-separated, as `sluice cdn fields` prints it one a line "
        "(default: the local CDN stand-in's)",
    )
    parser.set_defaults(run=_generate)


def faults(text: str) -> list[CdnFault]:
    """One ``--cdn-fault`` as the faults it injects (argparse's type: a mistake is one line)."""
    kind, _, rest = text.partition(":")
    if kind in FAULT_KINDS:
        return [_fault(kind, rest, text)]
    if "=" not in kind:
        raise argparse.ArgumentTypeError(
            f"{text!r} is not a fault: EDGE=STATUS, EDGE=slow:MS or KIND:KEY=VALUE with KIND one of {', '.join(FAULT_KINDS)}"
        )
    # `sluice local up`'s grammar, read by its own parser, for the generator's edge locations.
    try:
        by_edge = parse_faults([text], EDGE_LOCATIONS)
    except CdnFaultError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    found: list[CdnFault] = []
    for edge, fault in by_edge.items():
        if fault.status is not None:
            found.append(CdnFault("status", edge_location=edge, status=fault.status))
        if fault.first_byte_delay_s:
            found.append(CdnFault("slow_first_byte", edge_location=edge, first_byte_ms=fault.first_byte_delay_s * 1000))
    return found


def _fault(kind: str, rest: str, text: str) -> CdnFault:
    options: dict[str, object] = {}
    for pair in filter(None, rest.split(",")):
        key, equals, value = pair.partition("=")
        if key not in _FAULT_KEYS or not equals:
            raise argparse.ArgumentTypeError(
                f"{pair!r} in {text!r}: KEY=VALUE with KEY one of {', '.join(_FAULT_KEYS)}"
            )
        name, kind_of = _FAULT_KEYS[key]
        try:
            options[name] = kind_of(value)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{key}={value!r} in {text!r} is not a number") from None
    try:
        return CdnFault(kind, **options)  # type: ignore[arg-type]
    except ValueError as exc:
        raise argparse.ArgumentTypeError(f"{text!r}: {exc}") from None


def _percentage(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole percentage from 1 to 100") from None
    if not 1 <= value <= 100:
        raise argparse.ArgumentTypeError(f"{text} is not a whole percentage from 1 to 100")
    return value


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
    if args.cdn_logs:
        return _cdn_logs(args)
    cdn_only = [name for name, given in (("--cdn-fault", args.cdn_fault), ("--fields", args.fields)) if given]
    if cdn_only:
        raise UsageError(f"{', '.join(cdn_only)} only with --cdn-logs")
    config = TrafficConfig(
        sessions=args.sessions, seed=args.seed, bad_rate=args.bad_rate, start_ms=_start_ms(args.start)
    )
    with open_output(args.output) as out, open_output(args.labels, discard=args.labels is None) as labels:
        for event in generate(config):
            out.write(event.line(with_request=args.with_request) + "\n")
            labels.write(json.dumps({"event_id": event.event_id, "bad": event.bad}) + "\n")
    return 0


def _cdn_logs(args: argparse.Namespace) -> int:
    events_only = [
        name
        for name, given in (
            ("--bad-rate", args.bad_rate),
            ("--labels", args.labels),
            ("--with-request", args.with_request),
        )
        if given
    ]
    if events_only:
        raise UsageError(f"{', '.join(events_only)}: for events, not --cdn-logs")
    order = local_fields()
    if args.fields is not None:
        order = [name.strip() for name in args.fields.split(",") if name.strip()]
        missing = missing_fields(order)
        if missing:
            raise UsageError(f"--fields lacks {', '.join(missing)}: without them a line cannot become an event")
    try:
        lines = cdn_log_lines(
            sessions=args.sessions,
            duration_s=args.duration,
            seed=args.seed,
            start_ms=_start_ms(args.start),
            faults=[fault for given in args.cdn_fault for fault in given],
            order=order,
            sampling_rate=args.sampling_rate,
            cmcd_mode=args.cmcd_mode,
        )
    except ValueError as exc:  # what the generator refuses (a fault's edge it has not)
        raise UsageError(str(exc)) from None
    with open_output(args.output) as out:
        for _, line in lines:
            out.write(line + "\n")
    return 0
