"""CMCD reports, typed: a version-2 report line (event or response mode, as players POST them to
a collector), a version-1 query string (``CMCD=...``) or the four version-1 ``CMCD-*`` headers.

The same code reads all three, as players write them. A report is refused (``CmcdError``) only
when its line cannot be read at all: not a Structured Field Dictionary, or over
``MAX_REPORT_BYTES``. A known key that cannot be used is dropped from its report and listed, with
why, in ``CmcdReport.invalid``; the rest of the report is kept. A key is unusable when its value
is of the wrong type (``br="high"``), outside the bound the schema declares for its ``cmcd_<key>``
field (dash.js writes ``ttfb`` as an epoch-ms timestamp, over the 24 h bound of a duration) or of
the contract field it fills (``sid`` is the ``session_id``), or otherwise unusable (a ``url`` the
URL parser refuses). Every kept value is within its bounds here, so the contract's checks
downstream never refuse a CMCD event for one of its keys.

Multi-value keys (an inner list of integers, each tagged with an object type): ``;ot=a`` as the
specification writes the type, or a bare ``;a`` as dash.js 5 does (``bl=(11800;v 9700;a)``);
both read the same. The scalar field keeps the value for the report's own ``ot``, else the video
one (``v``, then ``av``), else the first; every typed value is kept in
``CmcdReport.by_object_type`` (``{"bl": {"v": 11800, "a": 9700}}``).
"""

from __future__ import annotations

import base64
import json
import re
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from functools import cache
from typing import Any

from sluice.cmcd.keys import HEADERS, KEYS, OBJECT_TYPES, TOKENS, Kind, field_name, is_custom
from sluice.cmcd.structured import (
    BareItem,
    InnerList,
    Item,
    Member,
    StructuredFieldError,
    Token,
    canonical,
    parse_dictionary,
)
from sluice.events.bounds import Bound, field_bounds
from sluice.runtime.errors import PoisonRecordError, SluiceError

__all__ = [
    "ENVELOPE_FIELDS",
    "EPOCH_MS_2001",
    "MAX_DURATION_MS",
    "MAX_REPORT_BYTES",
    "MAX_UNREAD_KEY_CHARS",
    "PREFERRED_OBJECT_TYPES",
    "CmcdError",
    "CmcdReport",
    "parse_headers",
    "parse_query",
    "parse_report",
]

# A report line is a few hundred bytes; longer is not CMCD (a bound before any parsing).
MAX_REPORT_BYTES = 8 * 1024

# The scalar field of a multi-value key, when the report names no object type of its own: the
# video value (what a version-1 reader and the monitor's bitrate and buffer read), else the first.
PREFERRED_OBJECT_TYPES = ("v", "av")

# A duration key (bounded to at most a day, in ms) holding at least this is a time since the epoch
# (2001-09-09 in ms): what dash.js 5 writes in ttfb, said so in the reason.
EPOCH_MS_2001 = 10**12
MAX_DURATION_MS = 86_400_000

# Keys that also fill a field of the contract's envelope: their value must fit that field's bound
# too (a blank ``sid`` is no session_id), or the contract would refuse the whole event.
ENVELOPE_FIELDS = {"sid": "session_id", "cid": "content.id", "sn": "sequence", "ts": "client_time"}


class CmcdError(PoisonRecordError):
    """A report line that cannot be read at all: not Structured Field syntax, or too long."""

    failure_type = "format"

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class _Unusable(SluiceError):  # internal: caught in _typed, never raised out of this module
    """Why one key of a readable report is dropped from it."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class CmcdReport:
    values: dict[str, Any]  # known key -> int, float, str or bool, within its field's bound
    custom: dict[str, Any] = field(default_factory=dict)  # custom (and future) keys -> their value
    invalid: dict[str, str] = field(default_factory=dict)  # key dropped -> why
    canonical: str = ""  # every member as sent, in one normal form (structured.canonical)
    by_object_type: dict[str, dict[str, int]] = field(default_factory=dict)  # bl -> {"v": 11800, "a": 9700}

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def parse_report(text: str) -> CmcdReport:
    """One report: a Structured Field Dictionary."""
    if len(text.encode()) > MAX_REPORT_BYTES:
        raise CmcdError(f"a report is at most {MAX_REPORT_BYTES} bytes")
    try:
        members = parse_dictionary(text.strip())
    except StructuredFieldError as exc:
        return _salvaged(text.strip(), exc)
    return _typed(members)


def _salvaged(text: str, error: StructuredFieldError) -> CmcdReport:
    """A line the Dictionary grammar refuses as a whole, most often for one member past its limits
    (a timestamp in microseconds has 16 digits, a decimal four places, a string a non-ASCII
    character): its members read one by one, those that read kept and the others named in
    ``invalid``, so that one member never costs the report. A line none of whose members reads is
    not CMCD. The unread members' text is part of the report's normal form (its event id)."""
    members: dict[str, Member] = {}
    unread: dict[str, str] = {}
    for position, piece in enumerate(_top_level_members(text)):
        try:
            members.update(parse_dictionary(piece.strip()))
        except StructuredFieldError as exc:
            key = _LEADING_KEY.match(piece.strip())
            name = key.group()[:MAX_UNREAD_KEY_CHARS] if key else f"member {position + 1}"
            unread[name] = f"not Structured Field syntax {exc}"
    if not members:
        raise CmcdError(f"not CMCD (Structured Field syntax) {error}") from None
    report = _typed(members)
    as_sent = ",".join(sorted(p.strip() for p in _top_level_members(text) if p.strip()))
    return replace(report, invalid={**unread, **report.invalid}, canonical=f"{report.canonical}|{as_sent}")


# A member's key, as far as it can be told from a member that does not read.
_LEADING_KEY = re.compile(r"[a-z*][a-z0-9_\-.*]*")
MAX_UNREAD_KEY_CHARS = 16  # a key named in cmcd_invalid_keys (known keys are at most 5)


def _top_level_members(text: str) -> list[str]:
    """``text`` cut at the commas that separate a Dictionary's members: not those inside a
    string or an inner list (the line is at most MAX_REPORT_BYTES, so this is bounded)."""
    pieces, start, depth, in_string, escaped = [], 0, 0, False, False
    for at, character in enumerate(text):
        if in_string:
            if escaped:
                escaped = False
            elif character == "\\":
                escaped = True
            elif character == '"':
                in_string = False
        elif character == '"':
            in_string, escaped = True, False
        elif character == "(":
            depth += 1
        elif character == ")":
            depth = max(0, depth - 1)
        elif character == "," and depth == 0:
            pieces.append(text[start:at])
            start = at + 1
    pieces.append(text[start:])
    return pieces


def parse_query(query: str) -> CmcdReport:
    """Version 1 on a segment request's URL: the ``CMCD`` query argument (URL-encoded)."""
    values = urllib.parse.parse_qs(query, keep_blank_values=True).get("CMCD", [])
    return parse_report(values[-1]) if values else CmcdReport({})


def parse_headers(headers: Mapping[str, str]) -> CmcdReport:
    """Version 1 in the four ``CMCD-Request|Object|Status|Session`` headers, merged."""
    lowered = {k.lower(): v for k, v in headers.items()}
    return parse_report(",".join(lowered[name] for name in HEADERS if lowered.get(name)))


def _typed(members: dict[str, Member]) -> CmcdReport:
    values: dict[str, Any] = {}
    custom: dict[str, Any] = {}
    invalid: dict[str, str] = {}
    by_object_type: dict[str, dict[str, int]] = {}
    own_type = _own_object_type(members.get("ot"))
    for key, member in members.items():
        kind = KEYS.get(key)
        if kind is None or is_custom(key):
            custom[key] = _plain(member)  # custom or a later revision's key: kept as sent
            continue
        try:
            if kind is Kind.INNER_LIST and isinstance(member, InnerList):
                typed = _typed_values(key, member)
                value = _chosen(member, typed, own_type)
                if typed:
                    by_object_type[key] = typed
            else:
                value = _value(key, kind, member)
            _check(key, value)
        except _Unusable as exc:
            invalid[key] = exc.reason
            by_object_type.pop(key, None)
            continue
        values[key] = value
    return CmcdReport(values, custom, invalid, canonical(members), by_object_type)


def _check(key: str, value: Any) -> None:
    """The value against the bound of its ``cmcd_<key>`` field and of the envelope field it fills."""
    for path, bound, surely_within in _bounds_of(key):
        if surely_within(value):
            continue
        problem = bound.problem(value, path)
        if problem is not None:
            reason = problem.message if path == field_name(key) else f"{problem.message} (as the {path})"
            raise _Unusable(reason + _looks_like_a_time(value, bound))
    check = _UNUSABLE.get(key)
    unusable = check(value) if check is not None else None
    if unusable is not None:
        raise _Unusable(unusable)


def _looks_like_a_time(value: Any, bound: Bound) -> str:
    """What an operator needs to read dash.js 5's ``ttfb``: a duration key holding an epoch-ms time."""
    if type(value) is int and value >= EPOCH_MS_2001 and bound.maximum is not None and bound.maximum <= MAX_DURATION_MS:
        return " (an epoch-ms time, not a duration)"
    return ""


@cache
def _bounds_of(key: str) -> tuple[tuple[str, Bound, Callable[[Any], bool]], ...]:
    """The schema's bounds a key's value must fit, each with its cheap test (Bound.fast_accept):
    built once per key, since every key of every report is checked."""
    bounds = field_bounds()
    paths = [path for path in (field_name(key), ENVELOPE_FIELDS.get(key)) if path is not None and path in bounds]
    return tuple((path, bounds[path], bounds[path].fast_accept()) for path in paths)


def _url_problem(value: str) -> str | None:
    """Why the URL parser refuses ``url`` (an unclosed or invalid ``[IPv6]`` host), or None: the
    contract reads the CDN's host out of it."""
    try:
        urllib.parse.urlsplit(value)
    except ValueError as exc:
        return f"the URL parser refuses it ({exc})"
    return None


def _host_problem(value: str) -> str | None:
    """Why ``h`` is no host name (the contract's ``cdn.host`` and, without ``cdn``, its name); its
    length is the schema's bound on ``cmcd_h``, checked before."""
    if not _HOST.fullmatch(value):
        return "not a host name (letters, digits, '-' and '.')"
    return None


# A DNS name, or an IPv4 address (RFC 1123 labels); an IPv6 host rides in ``url`` instead.
_HOST = re.compile(
    r"[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.?"
)
# Keys whose value, of the right type and within its bound, can still be unusable: checked here,
# so that nothing downstream parses a value that can raise.
_UNUSABLE: dict[str, Callable[[Any], str | None]] = {"url": _url_problem, "h": _host_problem}


def _own_object_type(member: Member | None) -> str | None:
    """The report's own ``ot``, when it is one (an unknown one is dropped as ``ot``'s problem)."""
    if isinstance(member, Item) and isinstance(member.value, Token) and member.value.value in OBJECT_TYPES:
        return member.value.value
    return None


def _object_type_of(item: Item) -> str | None:
    """An item's object type: ``;ot=a`` (the specification) or a bare ``;a`` (dash.js 5)."""
    written = item.params.get("ot")
    if isinstance(written, Token):
        return written.value if written.value in OBJECT_TYPES else None
    return next((name for name, value in item.params.items() if value is True and name in OBJECT_TYPES), None)


def _typed_values(key: str, member: InnerList) -> dict[str, int]:
    """Every item of a multi-value key by its object type (the first of a type twice), each a
    usable value within the key's bound: one item that is not makes the whole key unusable."""
    if not member.items:
        raise _Unusable("an empty inner list")
    typed: dict[str, int] = {}
    for item in member.items:
        object_type = _object_type_of(item)
        value = _integer(item.value)
        try:
            _check(key, value)
        except _Unusable as exc:
            raise _Unusable(f"{object_type or 'an untyped item'}: {exc.reason}") from None
        if object_type is not None:
            typed.setdefault(object_type, value)
    return typed


def _chosen(member: InnerList, typed: dict[str, int], own_type: str | None) -> int:
    for object_type in (own_type, *PREFERRED_OBJECT_TYPES):
        if object_type is not None and object_type in typed:
            return typed[object_type]
    return _integer(member.items[0].value)


def _value(key: str, kind: Kind, member: Member) -> Any:
    if kind is Kind.STRINGS and isinstance(member, InnerList):
        if not member.items:
            raise _Unusable("an empty inner list")
        texts = [_string(i.value) for i in member.items]
        return texts[0] if key == "nor" else ",".join(texts)  # the next object
    if kind is Kind.CODES:
        items = member.items if isinstance(member, InnerList) else (member,)
        if not items:
            raise _Unusable("an empty inner list")
        return ",".join(_code(i.value) for i in items)  # every error code, as text
    if isinstance(member, InnerList):
        raise _Unusable(f"expected {kind.value}, got an inner list")
    value = member.value
    if kind in (Kind.INTEGER, Kind.INNER_LIST):
        return _integer(value)
    if kind is Kind.DECIMAL:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise _Unusable(f"expected a decimal, got {_describe(value)}")
        return float(value)
    if kind in (Kind.STRING, Kind.STRINGS):
        return _string(value)
    if kind is Kind.BOOLEAN:
        if not isinstance(value, bool):
            raise _Unusable(f"expected a boolean (the bare key), got {_describe(value)}")
        return value
    if not isinstance(value, Token) or value.value not in TOKENS[key]:
        allowed = ", ".join(sorted(TOKENS[key]))
        raise _Unusable(f"expected one of {allowed}, got {_describe(value)}")
    return value.value


def _integer(value: BareItem) -> int:
    if type(value) is not int:
        raise _Unusable(f"expected an integer, got {_describe(value)}")
    return value


def _string(value: BareItem) -> str:
    if not isinstance(value, str):
        raise _Unusable(f'expected a "string", got {_describe(value)}')
    return value


def _code(value: BareItem) -> str:
    """An error code as its text: ``ec=28`` (dash.js), ``ec=HTTP_503`` (a token), ``ec="E1"``."""
    if isinstance(value, Token):
        return value.value
    if isinstance(value, str) or type(value) is int:
        return str(value)
    raise _Unusable(f'expected a "string", a token or an integer, got {_describe(value)}')


def _describe(value: BareItem) -> str:
    if isinstance(value, bool):
        return f"the boolean ?{int(value)}"
    if isinstance(value, Token):
        return f"the token {value.value}"
    if isinstance(value, bytes):
        return "a byte sequence"
    return f"{type(value).__name__} {json.dumps(value)}"


def _plain(member: Member) -> Any:
    """A custom key's value as JSON can hold it."""
    if isinstance(member, InnerList):
        return [_plain(item) for item in member.items]
    value = member.value
    if isinstance(value, Token):
        return value.value
    if isinstance(value, bytes):
        return base64.b64encode(value).decode("ascii")
    return value
