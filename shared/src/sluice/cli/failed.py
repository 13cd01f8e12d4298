"""``sluice failed list | replay``: what failed, and putting it back once the cause is fixed."""

from __future__ import annotations

import argparse
from collections import Counter
from datetime import datetime

from sluice.cli.errors import UsageError
from sluice.events.json_mapping import iso_millis


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "failed",
        help="failed events in S3: summarise and replay",
        description="Read failed events from the lake bucket (the failed-events Firehose writes them under failed/).",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="summarise failed events by type, stage and time")
    replay = sub.add_parser("replay", help="put the original records back on the raw stream (dry run unless --execute)")
    for p in (listing, replay):
        p.add_argument("--bucket", required=True, help="the lake bucket")
        p.add_argument("--prefix", default="failed/", help="where the failed events are (default: failed/)")
        p.add_argument("--since", help="only failures at or after this ISO-8601 time")
        p.add_argument("--until", help="only failures before this ISO-8601 time")
        p.add_argument("--type", dest="failure_type", help="only this failure type (format, schema, late, ...)")
        p.add_argument("--stage", help="only failures of this stage")
    listing.set_defaults(run=_list)
    replay.add_argument("--stream", required=True, help="the raw stream to put the originals on")
    replay.add_argument(
        "--execute", action="store_true", help="really send (the default only prints what it would send)"
    )
    replay.set_defaults(run=_replay)


def _time(text: str | None, flag: str) -> int | None:
    if text is None:
        return None
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"{flag} {text!r} is not an ISO-8601 time") from None
    if parsed.tzinfo is None:
        raise UsageError(f"{flag} {text!r} needs a time zone (for example Z)")
    return int(parsed.timestamp() * 1000)


def _selected(args: argparse.Namespace):  # type: ignore[no-untyped-def]
    from sluice.aws.clients import client
    from sluice.failures.store import StoredFailure, read_failures

    for item in read_failures(
        client("s3"),
        args.bucket,
        args.prefix,
        since_ms=_time(args.since, "--since"),
        until_ms=_time(args.until, "--until"),
    ):
        if isinstance(item, StoredFailure):
            if args.failure_type and item.event.failure_type != args.failure_type:
                continue
            if args.stage and item.event.stage != args.stage:
                continue
        yield item


def _list(args: argparse.Namespace) -> int:
    from sluice.failures.store import StoredFailure

    counts: Counter[tuple[str, str, str]] = Counter()
    first: int | None = None
    last: int | None = None
    unreadable = 0
    for item in _selected(args):
        if not isinstance(item, StoredFailure):
            unreadable += 1
            print(f"unreadable: {item.key} line {item.line}: {item.error}")
            continue
        event = item.event
        counts[(event.failure_type, event.stage, event.error_code)] += 1
        first = event.failed_time if first is None else min(first, event.failed_time)
        last = event.failed_time if last is None else max(last, event.failed_time)
    total = sum(counts.values())
    if not total:
        print("no failed events" + (f" ({unreadable} unreadable lines)" if unreadable else ""))
        return 1 if unreadable else 0
    print(f"{total} failed events from {iso_millis(first)} to {iso_millis(last)}")
    print(f"  {'type':<16}{'stage':<12}{'error':<28}{'count':>8}")
    for (failure_type, stage, code), count in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {failure_type:<16}{stage:<12}{code:<28}{count:>8}")
    return 1 if unreadable else 0


def _replay(args: argparse.Namespace) -> int:
    from sluice.aws.clients import client
    from sluice.failures.store import StoredFailure
    from sluice.producers.kinesis import KinesisProducer, StreamRecord
    from sluice.producers.retry import Deadline

    records = []
    for item in _selected(args):
        if isinstance(item, StoredFailure):
            event = item.event
            records.append(StreamRecord(event.original, event.event_id or event.failure_id))
            if not args.execute:
                print(
                    f"would send {len(event.original):>6} bytes  {event.failure_type:<12} {event.event_id or '-':<36}  {item.key}"
                )
    if not args.execute:
        print(f"dry run: {len(records)} records would go to {args.stream}; add --execute to send them")
        return 0
    delivery = KinesisProducer(client("kinesis"), args.stream).put(records, Deadline.after(300))
    print(f"sent {delivery.delivered} of {len(records)} records to {args.stream}")
    for index, error in sorted(delivery.failed.items()):
        print(f"  not sent: record {index}: {error}")
    return 0 if delivery.ok else 1
