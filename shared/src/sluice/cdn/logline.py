"""One CloudFront real-time log line, read in the field order of the deployed configuration.

A line is the fields' values separated by tabs, in the order ``GetRealtimeLogConfig`` reports
(``sluice.cdn.config``), each URL-encoded by CloudFront, ``-`` for a field with no value. Each
value is decoded once and typed by its field's format (``sluice.cdn.fields``). A line that
cannot be read (too long, not UTF-8, a control character, the wrong number of fields, a typed
value that is not of its type) raises a ``LogLineError`` naming the field: a poison record,
which becomes a failed event with the line's bytes; nothing here raises anything else.

``format_line`` is its exact inverse (``parse_line(format_line(v, order), order) == v``): a line
as CloudFront writes it, for the traffic generator and the local CDN stand-in.
"""

from __future__ import annotations

import re
import urllib.parse
from collections.abc import Mapping, Sequence

from sluice.cdn.fields import BY_NAME, FieldFormat
from sluice.runtime.errors import PoisonRecordError

__all__ = [
    "MAX_LINE_BYTES",
    "MAX_LONG",
    "FieldCountError",
    "FieldValueError",
    "LineEncodingError",
    "LineTooLongError",
    "LogLineError",
    "Value",
    "format_line",
    "parse_line",
]

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


# What CloudFront leaves as it is in a text value: RFC 3986's unreserved characters, sub-delimiters
# and ":@/?" (a logged user agent reads "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)" and
# "Slackbot%201.0%20(+https://api.slack.com/robots)"); a space, "%", '"', "#", control and
# non-ASCII bytes are percent-encoded. A CMCD field's value is the player's, encoded in full
# ("..%2F720p%2Fseg_00043.m4s"); a query keeps its "&" and "=" between encoded names and values,
# as the player sent it ("CMCD=br%3D3200%2Csid%3D%226e2f%22").
_TEXT_SAFE = "!$&'()*+,;=:@/?"
# Values that need no encoding at all, written as they are (most of a line: quote() is the cost).
_PLAIN_TEXT = re.compile(r"[A-Za-z0-9_.~!$&'()*+,;=:@/?-]*")
_PLAIN_CMCD = re.compile(r"[A-Za-z0-9_.~-]*")
# "-" is a field with no value: a text value that is "-" itself is written encoded.
_NO_VALUE = "-"
_NO_VALUE_ENCODED = "%2D"


def format_line(values: Mapping[str, Value], order: Sequence[str]) -> str:
    """One line as CloudFront writes it: ``values`` in ``order``, tab-separated, a field absent or
    None as ``-``, each value in its field's format (``sluice.cdn.fields``); a value whose field is
    not in ``order`` is left out, as CloudFront writes only the configured fields. No newline: a
    record on the stream is one line. A value its field cannot hold (a negative number, a float
    for an integer, an ms timestamp before 1970) raises ``ValueError`` naming the field."""
    return "\t".join(_formatted(name, values.get(name)) for name in order)


def _formatted(name: str, value: Value) -> str:
    if value is None:
        return _NO_VALUE
    field = BY_NAME.get(name)
    fmt = field.format if field is not None else FieldFormat.TEXT
    if fmt is FieldFormat.EPOCH_SECONDS:
        if type(value) is not int or value < 0:
            raise ValueError(f"{name}: epoch milliseconds (an int of at least 0), got {value!r}")
        return f"{value // 1000}.{value % 1000:03d}"
    if fmt is FieldFormat.SECONDS:
        return _seconds(name, value)
    if fmt is FieldFormat.INTEGER:
        if type(value) is not int or not 0 <= value <= MAX_LONG:
            raise ValueError(f"{name}: a whole number from 0 to {MAX_LONG}, got {value!r}")
        # CloudFront writes a status of three digits, 000 when the viewer left before it.
        return f"{value:03d}" if name == "sc-status" else str(value)
    if not isinstance(value, str):
        raise ValueError(f"{name}: text, got {value!r}")
    if value == _NO_VALUE:
        return _NO_VALUE_ENCODED
    try:
        if fmt is FieldFormat.CMCD:
            return value if _PLAIN_CMCD.fullmatch(value) else urllib.parse.quote(value, safe="")
        if name == "cs-uri-query":
            return _query(value)
        return value if _PLAIN_TEXT.fullmatch(value) else urllib.parse.quote(value, safe=_TEXT_SAFE)
    except UnicodeEncodeError:
        raise ValueError(f"{name}: text that is not UTF-8 (a lone surrogate) in {_shown(value)}") from None


def _seconds(name: str, value: Value) -> str:
    """Seconds with 3 decimals, as CloudFront writes them (0.002); more only when the value has
    more, so that the line reads back as the same float."""
    if type(value) is not float or not 0 <= value < 1e9:
        raise ValueError(f"{name}: seconds (a float from 0 under 1e9), got {value!r}")
    for places in range(3, 10):
        text = f"{value:.{places}f}"
        if float(text) == value:
            return text
    raise ValueError(f"{name}: {value!r} has more than 9 decimals, which no line holds")


def _query(query: str) -> str:
    """A query as the player sent it: each name and value encoded, the "&" and "=" between them not."""
    return "&".join(
        "=".join(urllib.parse.quote(part, safe="") for part in pair.split("=", 1)) for pair in query.split("&")
    )


def _shown(raw: str, limit: int = 40) -> str:
    """A value in an error message: quoted, cut, so an error stays short whatever came."""
    return repr(raw if len(raw) <= limit else raw[:limit] + "...")
