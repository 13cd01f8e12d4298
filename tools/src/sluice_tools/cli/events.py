"""``sluice events encode | decode``: JSON lines to Kinesis-shaped records and back."""

from __future__ import annotations

import argparse
import base64
import binascii
import json
import sys
import time
from datetime import datetime

from sluice.events.codec import Codec
from sluice.events.intake import EventIntake
from sluice.events.json_mapping import timestamp_fields, to_json_value
from sluice.runtime.errors import PoisonRecordError
from sluice_tools.cli.errors import UsageError
from sluice_tools.cli.io import open_input, open_output

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "events",
        help="encode and decode events",
        description="Encode JSON lines into single-object Avro records (base64, one per line, as Kinesis carries them) and back.",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    encode = sub.add_parser(
        "encode",
        help="JSON lines in, base64 single-object records out",
        description="Each input line is one event as a player sends it. A bad line is reported on stderr with its line number and the reason; the rest are still encoded; the exit status is 1 if any line was bad.",
    )
    encode.add_argument("input", nargs="?", help="JSON lines file (default: stdin)")
    encode.add_argument("-o", "--output", help="output file (default: stdout)")
    encode.add_argument("--server-time", help="server receive time to stamp, ISO-8601 (default: now)")
    encode.set_defaults(run=_encode)
    decode = sub.add_parser(
        "decode",
        help="base64 single-object records in, JSON lines out",
        description="Each input line is one base64 record. A bad line is reported on stderr with its line number and a typed error; the rest still decode; the exit status is 1 if any line was bad.",
    )
    decode.add_argument("input", nargs="?", help="file of base64 records, one per line (default: stdin)")
    decode.add_argument("-o", "--output", help="output file (default: stdout)")
    decode.set_defaults(run=_decode)


def _server_time(text: str | None) -> int:
    if text is None:
        return int(time.time() * 1000)
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise UsageError(f"--server-time {text!r} is not an ISO-8601 time") from None
    if parsed.tzinfo is None:
        raise UsageError(f"--server-time {text!r} needs a time zone (for example Z)")
    return int(parsed.timestamp() * 1000)


def _report(line_number: int, error: Exception) -> None:
    print(f"line {line_number}: {type(error).__name__}: {error}", file=sys.stderr)


def _encode(args: argparse.Namespace) -> int:
    server_time = _server_time(args.server_time)
    intake = EventIntake.default()
    codec = Codec()
    bad = 0
    with open_input(args.input) as source, open_output(args.output) as out:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                record = intake.from_bytes(line.rstrip(b"\r\n"), server_time=server_time)
                out.write(base64.b64encode(codec.encode(record)).decode("ascii") + "\n")
            except PoisonRecordError as exc:
                bad += 1
                _report(number, exc)
    return 1 if bad else 0


def _decode(args: argparse.Namespace) -> int:
    codec = Codec()
    timestamps = timestamp_fields(codec.writer.schema)
    bad = 0
    with open_input(args.input) as source, open_output(args.output) as out:
        for number, line in enumerate(source, start=1):
            if not line.strip():
                continue
            try:
                data = base64.b64decode(line.strip(), validate=True)
            except binascii.Error as exc:
                bad += 1
                print(f"line {number}: InvalidBase64Error: {exc}", file=sys.stderr)
                continue
            try:
                out.write(json.dumps(to_json_value(codec.decode(data), timestamps), separators=(",", ":")) + "\n")
            except PoisonRecordError as exc:
                bad += 1
                _report(number, exc)
    return 1 if bad else 0
