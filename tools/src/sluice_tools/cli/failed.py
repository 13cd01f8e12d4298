"""``sluice failed list | replay | recover``: what failed, and putting it back once the cause is
fixed: failed events from the lake (``replay``), and batches Lambda gave up on from an on-failure
queue (``recover``)."""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import time
from collections import Counter
from datetime import datetime
from typing import TYPE_CHECKING, Any

from sluice.events.json_mapping import iso_millis
from sluice.events.validation import DEFAULT_MAX_LATENESS_MS
from sluice_tools.cli.errors import UsageError
from sluice_tools.cli.options import add_format, positive_int, print_json

__all__ = ["register"]

if TYPE_CHECKING:
    from sluice_tools.failures.store import StoredFailure


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "failed",
        help="failed events in S3: summarise and replay",
        description="Read failed events from the lake bucket (the failed-events Firehose writes them under failed/).",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser(
        "list",
        help="summarise failed events by type, stage and time; --show lists each one",
        description="Count failed events by failure type, stage and error. With --show, first one row per "
        "failed event, in the order the lake holds them: when it failed, the failure type, stage and error "
        "code, the event's type and id, and the reason; with --format json, --show prints one JSON object "
        "per failed event and line (JSON Lines) and no summary.",
    )
    listing.add_argument(
        "--show", action="store_true", help="list each failed event: which event, what failed, why, where and when"
    )
    replay = sub.add_parser(
        "replay",
        help="put the original records back on the raw stream (dry run unless --execute); "
        "a truncated original is named and not sent, and the exit status is 1; originals older than the "
        "processor's late-arrival limit (by server_time) are counted in a warning",
    )
    for p in (listing, replay):
        p.add_argument("--bucket", required=True, help="the lake bucket")
        p.add_argument("--prefix", default="failed/", help="where the failed events are (default: failed/)")
        p.add_argument("--since", help="only failures at or after this ISO-8601 time")
        p.add_argument("--until", help="only failures before this ISO-8601 time")
        p.add_argument("--type", dest="failure_type", help="only this failure type (format, schema, late, ...)")
        p.add_argument("--stage", help="only failures of this stage")
    add_format(listing)
    listing.set_defaults(run=_list)
    recover = sub.add_parser(
        "recover",
        help="put the records of batches Lambda gave up on back on their stream (dry run unless --execute)",
        description="Read an on-failure queue of a Kinesis event source mapping (Lambda sends it only metadata), "
        "fetch each discarded batch's records from the stream by shard and sequence range while the stream "
        "retains them, and put them back on that stream. A message is deleted once its records are back and "
        "the range is recorded in the lake bucket (recovered/), so a copy of the message, or a second run, "
        "puts nothing back twice. A range the stream no longer holds in full, and a message that cannot be "
        "read, are reported and left queued; the exit status is then 1.",
    )
    recover.add_argument(
        "--queue", required=True, help="the on-failure queue: its name (sluice-processor-on-failure) or URL"
    )
    recover.add_argument(
        "--bucket", required=True, help="the lake bucket, where the ranges already put back are recorded (recovered/)"
    )
    recover.add_argument("--execute", action="store_true", help="really put them back (the default only lists them)")
    recover.add_argument(
        "--accept-loss",
        action="store_true",
        help="for a range the stream no longer holds in full: put back what is left and delete its message "
        "(the default reports it and leaves it queued)",
    )
    recover.add_argument(
        "--max-messages", type=positive_int, default=1000, help="at most this many messages (default: 1000)"
    )
    add_format(recover)
    recover.set_defaults(run=_recover)
    replay.add_argument("--stream", required=True, help="the raw stream to put the originals on")
    replay.add_argument(
        "--execute", action="store_true", help="really send (the default only prints what it would send)"
    )
    replay.add_argument(
        "--max-lateness-hours",
        type=positive_int,
        help="the processor's late-arrival limit, to warn about originals it would fail as late again "
        "(default: $SLUICE_MAX_LATENESS_HOURS, else the processor's default, "
        f"{DEFAULT_MAX_LATENESS_MS // 3_600_000})",
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
    from sluice_tools.failures.store import StoredFailure, read_failures

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


def _truncated_note(item: StoredFailure) -> str:
    event = item.event
    return (
        f"{event.failure_id} ({item.key} line {item.line}): original truncated from {event.original_size} "
        f"to {len(event.original)} bytes to fit the failed-events Firehose record, sha256 {event.original_sha256}, "
        f"source {event.source or '-'}"
    )


# --show's table: one row per failed event; the reason last and whole (it is what the operator reads).
_SHOW_COLUMNS = f"{'failed at':<26}{'type':<16}{'stage':<12}{'error':<28}{'event type':<20}{'event id':<38}reason"


def _shown(item: StoredFailure) -> dict[str, Any]:
    """One failed event as --show prints it: which event, what failed, why, where and when."""
    event = item.event
    return {
        "failure_id": event.failure_id,
        "event_id": event.event_id,
        "event_type": event.event_type,
        "failure_type": event.failure_type,
        "error_code": event.error_code,
        "error": event.error,
        "stage": event.stage,
        "failed_time": iso_millis(event.failed_time),
        "arrival_time": iso_millis(event.arrival_time),
        "source": event.source,
        "shard_id": event.shard_id,
        "sequence_number": event.sequence_number,
        "replayable": event.replayable,
        "key": item.key,
        "line": item.line,
    }


def _show_row(shown: dict[str, Any]) -> str:
    # A reason written over several lines (a wrapped validation message) stays on its row.
    reason = " ".join(str(shown["error"]).split())
    return (
        f"{shown['failed_time']:<26}{shown['failure_type']:<16}{shown['stage']:<12}{shown['error_code']:<28}"
        f"{shown['event_type'] or '-':<20}{shown['event_id'] or '-':<38}{reason}"
    )


def _list(args: argparse.Namespace) -> int:
    from sluice_tools.failures.store import StoredFailure

    counts: Counter[tuple[str, str, str]] = Counter()
    truncated: list[StoredFailure] = []
    first: int | None = None
    last: int | None = None
    unreadable = 0
    json_lines = args.show and args.format == "json"
    if args.show and not json_lines:
        print(_SHOW_COLUMNS)
    for item in _selected(args):
        if not isinstance(item, StoredFailure):
            unreadable += 1
            if args.format == "table":
                print(f"unreadable: {item.key} line {item.line}: {item.error}")
            elif json_lines:
                # stdout holds failed events only, so each line reads with one schema.
                print(f"sluice: unreadable: {item.key} line {item.line}: {item.error}", file=sys.stderr)
            continue
        event = item.event
        if args.show:
            shown = _shown(item)
            print(json.dumps(shown, sort_keys=True) if json_lines else _show_row(shown), flush=True)
        counts[(event.failure_type, event.stage, event.error_code)] += 1
        if not event.replayable:
            truncated.append(item)
        first = event.failed_time if first is None else min(first, event.failed_time)
        last = event.failed_time if last is None else max(last, event.failed_time)
    status = 1 if unreadable else 0
    if json_lines:
        return status
    total = sum(counts.values())
    if args.format == "json":
        print_json(
            {
                "total": total,
                "unreadable": unreadable,
                "first": iso_millis(first),
                "last": iso_millis(last),
                "groups": [
                    {"failure_type": t, "stage": st, "error_code": c, "count": n}
                    for (t, st, c), n in sorted(counts.items(), key=lambda kv: -kv[1])
                ],
                "truncated": [
                    {
                        "failure_id": i.event.failure_id,
                        "key": i.key,
                        "line": i.line,
                        "source": i.event.source,
                        "original_size": i.event.original_size,
                        "original_kept": len(i.event.original),
                        "original_sha256": i.event.original_sha256,
                    }
                    for i in truncated
                ],
            }
        )
        return status
    if args.show:
        print()
    if not total:
        print("no failed events" + (f" ({unreadable} unreadable lines)" if unreadable else ""))
        return status
    print(f"{total} failed events from {iso_millis(first)} to {iso_millis(last)}")
    print(f"  {'type':<16}{'stage':<12}{'error':<28}{'count':>8}")
    for (failure_type, stage, code), count in sorted(counts.items(), key=lambda kv: -kv[1]):
        print(f"  {failure_type:<16}{stage:<12}{code:<28}{count:>8}")
    if truncated:
        print(f"{len(truncated)} truncated (cannot be replayed; the whole record is at its source):")
        for item in truncated:
            print(f"  {_truncated_note(item)}")
    return status


def _lateness_limit_ms(args: argparse.Namespace) -> int:
    """The limit the processor judges ``late`` by: the flag, else its own variable as it reads it."""
    from sluice.runtime.config import ConfigError, Env

    if args.max_lateness_hours is not None:
        return int(args.max_lateness_hours) * 3_600_000
    try:
        hours = Env(os.environ).integer("SLUICE_MAX_LATENESS_HOURS", DEFAULT_MAX_LATENESS_MS // 3_600_000, minimum=1)
    except ConfigError as exc:
        raise UsageError(f"{exc} (or pass --max-lateness-hours)") from None
    return hours * 3_600_000


class _LateCheck:
    """Counts the originals the processor would fail as ``late`` again. It judges by
    ``server_time`` (when ingest first received the event), which a replay keeps, so an original
    older than its limit makes only a new late failed event unless the limit is raised."""

    def __init__(self, limit_ms: int) -> None:
        from sluice.events.codec import Codec

        self.limit_ms = limit_ms
        self.now_ms = int(time.time() * 1000)
        self.codec = Codec()
        self.late = 0
        self.oldest_ms: int | None = None

    def add(self, original: bytes) -> None:
        from sluice.runtime.errors import PoisonRecordError

        try:
            received = self.codec.decode(original).get("server_time")
        except PoisonRecordError:
            return  # not a readable event (a format or schema failure): it fails for its own reason
        if isinstance(received, int) and received < self.now_ms - self.limit_ms:
            self.late += 1
            self.oldest_ms = received if self.oldest_ms is None else min(self.oldest_ms, received)

    def warn(self, total: int) -> None:
        if not self.late or self.oldest_ms is None:
            return
        limit_h = self.limit_ms // 3_600_000
        oldest_h = (self.now_ms - self.oldest_ms) / 3_600_000
        print(
            f"sluice: warning: {self.late} of {total} originals were received (server_time) more than {limit_h} h "
            f"ago, the oldest {oldest_h:.1f} h: the processor fails them as late again. For the replay, raise "
            f"SLUICE_MAX_LATENESS_HOURS on the processor to at least {math.ceil(oldest_h) + 1} until they are "
            "processed (if the processor runs with another limit, give it with --max-lateness-hours)",
            file=sys.stderr,
        )


def _from_another_stream(source: str | None, stream: str) -> str | None:
    """The name of the Kinesis stream a failed record came from, when it is not ``stream``."""
    if not source or ":kinesis:" not in source or ":stream/" not in source:
        return None  # from a request or an object: any stream may take it
    name = source.rsplit(":stream/", 1)[1]
    target = stream.rsplit(":stream/", 1)[-1]
    return None if name == target else name


def _replay(args: argparse.Namespace) -> int:
    from sluice.aws.clients import client
    from sluice.producers.kinesis import KinesisProducer, StreamRecord
    from sluice.runtime.deadline import Deadline
    from sluice_tools.failures.store import StoredFailure

    late = _LateCheck(_lateness_limit_ms(args))
    records = []
    refused = other_stream = 0
    for item in _selected(args):
        if isinstance(item, StoredFailure):
            event = item.event
            if not event.replayable:
                # Its first bytes alone would go round as a new, broken record.
                refused += 1
                print(f"cannot replay {_truncated_note(item)}")
                continue
            elsewhere = None if event.fingerprint else _from_another_stream(event.source, args.stream)
            if elsewhere:
                # A record that is no Avro event is read as what its own stream carries: a CDN
                # log line put on the raw stream would fail again there, as a new failure.
                other_stream += 1
                print(f"cannot replay {item.key}: it came from {elsewhere}; replay it there (--stream {elsewhere})")
                continue
            records.append(StreamRecord(event.original, event.event_id or event.failure_id))
            late.add(event.original)
            if not args.execute:
                print(
                    f"would send {len(event.original):>6} bytes  {event.failure_type:<12} {event.event_id or '-':<36}  {item.key}"
                )
    not_replayable = (f"; {refused} truncated not replayable" if refused else "") + (
        f"; {other_stream} from another stream" if other_stream else ""
    )
    late.warn(len(records))
    if not args.execute:
        print(f"dry run: {len(records)} records would go to {args.stream}{not_replayable}; add --execute to send them")
        return 1 if refused or other_stream else 0
    delivery = KinesisProducer(client("kinesis"), args.stream).put(records, Deadline.after(300))
    print(f"sent {delivery.delivered} of {len(records)} records to {args.stream}{not_replayable}")
    for index, error in sorted(delivery.failed.items()):
        print(f"  not sent: record {index}: {error}")
    return 0 if delivery.ok and not refused and not other_stream else 1


def _recover(args: argparse.Namespace) -> int:
    from botocore.exceptions import ClientError

    from sluice.aws.clients import client
    from sluice.producers.retry import error_code
    from sluice_tools.failures.recovered import PREFIX, RecoveredRanges
    from sluice_tools.failures.recovery import LOST, recover

    sqs, s3 = client("sqs"), client("s3")
    queue = (
        args.queue
        if args.queue.startswith(("https://", "http://"))
        else sqs.get_queue_url(QueueName=args.queue)["QueueUrl"]
    )
    try:
        s3.head_bucket(Bucket=args.bucket)
    except ClientError as exc:
        raise UsageError(f"--bucket {args.bucket!r}: cannot reach it ({error_code(exc)})") from None
    ledger = RecoveredRanges(s3, args.bucket, PREFIX)
    report = recover(
        sqs,
        client("kinesis"),
        ledger,
        queue,
        execute=args.execute,
        accept_loss=args.accept_loss,
        max_messages=args.max_messages,
    )
    if args.format == "json":
        print_json({"queue": queue, "execute": args.execute, "batches": [b.to_dict() for b in report.batches]})
        return 0 if report.ok else 1
    if not report.batches:
        print(f"no discarded batches in {queue}")
        return 0
    print(f"{'status':<19}{'records':>8}{'missing':>8}  {'stream':<20}{'shard':<24}{'condition':<24}detail")
    for batch in report.batches:
        info = batch.to_dict()
        print(
            f"{batch.status:<19}{batch.records:>8}{batch.missing:>8}  {info['stream'] or '-':<20}"
            f"{info['shard'] or '-':<24}{info['condition'] or '-':<24}{batch.message_id}: {batch.detail}"
        )
    if not args.execute:
        planned = [b for b in report.batches if b.status == "would recover"]
        records = sum(b.records for b in planned)
        print(f"dry run: {records} records of {len(planned)} batches would be put back; add --execute")
    else:
        done = [b for b in report.batches if not b.kept and b.records]
        print(f"put back {sum(b.records for b in done)} records of {len(done)} batches")
    if not report.ok:
        waiting = [b for b in report.batches if not b.settled]
        lost = sum(b.status in LOST for b in waiting)
        print(
            f"{len(waiting)} messages need an operator and stay on the queue"
            + (f" ({lost} with records past the stream's retention: --accept-loss)" if lost else "")
        )
    return 0 if report.ok else 1
