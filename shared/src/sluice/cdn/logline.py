"""One CloudFront real-time log line, read in the field order of the deployed configuration.

A line is the fields' values separated by tabs, in the order ``GetRealtimeLogConfig`` reports
(``sluice.cdn.config``), each URL-encoded by CloudFront, ``-`` for a field with no value. Each
value is decoded once and typed by its field's format (``sluice.cdn.fields``). A line that
cannot be read (too long, not UTF-8, a control character, the wrong number of fields, a typed
value that is not of its type) raises a ``LogLineError`` naming the field: a poison record,
which becomes a failed event with the line's bytes; nothing here raises anything else.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Sequence

from sluice.cdn.fields import BY_NAME, FieldFormat
from sluice.runtime.errors import PoisonRecordError

# A line is one viewer request: CloudFront refuses a URL over 8,192 bytes and request headers over
# 20,480 bytes in all (Developer Guide, "How requests are logged when the request URL or headers
# exceed the maximum size"). URL-encoded (at most 3 bytes a byte), the URL, cs-headers and the
# header fields logged again on their own (user agent, referer, accept...) stay under 150 KB.
# Longer is not a CloudFront line: refused before it is split (a Kinesis record holds 1 MiB).
MAX_LINE_BYTES = 256 * 1024

# Epoch seconds with milliseconds (1733100000.123); up to microseconds is read, to the ms.
_EPOCH_SECONDS = re.compile(r"([0-9]{1,11})(?:\.([0-9]{1,6}))?")
# Seconds with a fraction (0.002, 12.5); never negative, never an exponent or inf/nan.
_SECONDS = re.compile(r"[0-9]{1,9}(?:\.[0-9]{1,9})?")
# A whole number that fits an Avro long (19 digits, checked against the maximum after).
_INTEGER = re.compile(r"[0-9]{1,19}")
MAX_LONG = 2**63 - 1
# What a CloudFront line never holds raw: control characters other than the tab between fields
# (CloudFront URL-encodes them in values); a trailing newline is the record's, and is stripped.
_CONTROL = re.compile(r"[\x00-\x08\x0a-\x1f\x7f]")

Value = int | float | str | None


class LogLineError(PoisonRecordError):
    """A real-time log line that cannot be read as the configuration says."""

    failure_type = "format"

    def __init__(self, reason: str, field: str | None = None) -> None:
        super().__init__(f"{field}: {reason}" if field else reason)
        self.reason = reason
        self.field = field


class LineTooLongError(LogLineError):
    pass


class LineEncodingError(LogLineError):
    pass


class FieldCountError(LogLineError):
    pass


class FieldValueError(LogLineError):
    pass


def parse_line(line: bytes | str, order: Sequence[str]) -> dict[str, Value]:
    """The line's values by field name, typed; ``order`` is the deployed configuration's."""
    text = _text(line)
    values = text.split("\t")
    if len(values) != len(order):
        raise FieldCountError(f"{len(values)} tab-separated fields, the configuration has {len(order)}")
    return {name: _typed(name, raw) for name, raw in zip(order, values, strict=True)}


def _text(line: bytes | str) -> str:
    size = len(line) if isinstance(line, bytes) else len(line.encode("utf-8", "surrogatepass"))
    if size > MAX_LINE_BYTES:
        raise LineTooLongError(f"{size} bytes, a CloudFront line is at most {MAX_LINE_BYTES}")
    if isinstance(line, bytes):
        try:
            text = line.decode("utf-8")
        except UnicodeDecodeError as exc:
            raise LineEncodingError(f"not UTF-8 (byte {exc.start})") from None
    else:
        text = line
    text = text.removesuffix("\n").removesuffix("\r")
    control = _CONTROL.search(text)
    if control is not None:
        raise LineEncodingError(f"a raw control character U+{ord(control.group()):04X} at {control.start()}")
    if not text.isascii() and any(0xD800 <= ord(c) <= 0xDFFF for c in text):
        raise LineEncodingError("a lone surrogate (not UTF-8)")
    return text


def _typed(name: str, raw: str) -> Value:
    if raw == "-":
        return None
    field = BY_NAME.get(name)
    # A field this code does not know (CloudFront added one, or the configuration has one more):
    # kept as its decoded text, so a configuration change never makes lines unreadable.
    fmt = field.format if field is not None else FieldFormat.TEXT
    if fmt is FieldFormat.EPOCH_SECONDS:
        match = _EPOCH_SECONDS.fullmatch(raw)
        if match is None:
            raise FieldValueError(f"expected epoch seconds with milliseconds, got {_shown(raw)}", name)
        seconds, fraction = match.groups()
        return int(seconds) * 1000 + int((fraction or "").ljust(3, "0")[:3])
    if fmt is FieldFormat.SECONDS:
        if _SECONDS.fullmatch(raw) is None:
            raise FieldValueError(f"expected seconds (0.002), got {_shown(raw)}", name)
        return float(raw)
    if fmt is FieldFormat.INTEGER:
        if _INTEGER.fullmatch(raw) is None or int(raw) > MAX_LONG:
            raise FieldValueError(f"expected a whole number, got {_shown(raw)}", name)
        return int(raw)
    try:
        return urllib.parse.unquote(raw, errors="strict")
    except UnicodeDecodeError:
        raise FieldValueError(f"URL-encoded bytes that are not UTF-8 in {_shown(raw)}", name) from None


def _shown(raw: str, limit: int = 40) -> str:
    """A value in an error message: quoted, cut, so an error stays short whatever came."""
    return repr(raw if len(raw) <= limit else raw[:limit] + "...")
