"""``sluice demo``: generated player traffic through the event contract, with a summary."""

from __future__ import annotations

import argparse
import time
from collections import Counter

from sluice.events.codec import Codec
from sluice.events.intake import EventIntake
from sluice.events.validation import check_client_time, check_payload
from sluice.runtime.errors import PoisonRecordError
from sluice.traffic.generator import TrafficConfig, generate


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser("demo", help="run simulated traffic through Sluice and print what happened")
    parser.add_argument("--sessions", type=int, default=300, help="viewing sessions to simulate (default: 300)")
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--bad-rate", type=float, default=0.02, help="fraction of spoilt events (default: 0.02)")
    parser.set_defaults(run=_demo)


def _demo(args: argparse.Namespace) -> int:
    now_ms = int(time.time() * 1000)
    config = TrafficConfig(
        sessions=args.sessions, seed=args.seed, bad_rate=args.bad_rate, start_ms=now_ms - 10 * 60_000
    )
    intake = EventIntake.default()
    codec = Codec()
    sent = 0
    accepted: Counter[str] = Counter()
    rejected: Counter[str] = Counter()
    unexpected = 0
    encoded_bytes = 0
    started = time.perf_counter()
    for event in generate(config):
        sent += 1
        try:
            record = intake.from_bytes(event.body.encode(), server_time=now_ms)
            check_payload(record)
            check_client_time(record, now_ms)
            data = codec.encode(record)
            back = codec.decode(data)
        except PoisonRecordError as exc:
            rejected[f"{type(exc).__name__} ({exc.failure_type})"] += 1
            unexpected += event.bad is None
            continue
        encoded_bytes += len(data)
        accepted[back["event_type"]] += 1
        unexpected += event.bad is not None
    elapsed = time.perf_counter() - started
    total_ok = sum(accepted.values())
    print(f"Sluice demo: {args.sessions} sessions, {sent} events ({config.bad_rate:.0%} spoilt on purpose)\n")
    print(
        f"  accepted and round-tripped through Avro: {total_ok:>7}  ({encoded_bytes / max(total_ok, 1):.0f} bytes/event)"
    )
    for name, count in sorted(rejected.items()):
        print(f"  rejected, {name:<40} {count:>7}")
    print("\n  accepted by event type:")
    for name, count in accepted.most_common():
        print(f"    {name:<18} {count:>7}")
    print(f"\n  {sent / elapsed:,.0f} events/s through parse, validate, encode and decode on one core")
    verdict = (
        "every event accounted for as expected"
        if unexpected == 0 and total_ok + sum(rejected.values()) == sent
        else f"{unexpected} events did not end as labelled"
    )
    print(f"  {verdict}")
    return 0 if unexpected == 0 else 1
