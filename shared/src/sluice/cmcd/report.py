"""CMCD reports, typed: a version-2 report line (event or response mode, as players POST them to
a collector), a version-1 query string (``CMCD=...``) or the four version-1 ``CMCD-*`` headers.
The same code reads all three; a wrong type on a known key is a ``CmcdError`` naming the key. A
value of the right type that Sluice still cannot use (a ``url`` the URL parser refuses) is
dropped from the report and listed, with why, in ``CmcdReport.invalid``: never a reason to lose
the rest of the report, nor a 5xx."""

from __future__ import annotations

import base64
import json
import urllib.parse
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any

from sluice.cmcd.keys import HEADERS, KEYS, TOKENS, Kind, is_custom
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
from sluice.runtime.errors import PoisonRecordError

# A report line is a few hundred bytes; longer is not CMCD (a bound before any parsing).
MAX_REPORT_BYTES = 8 * 1024


class CmcdError(PoisonRecordError):
    """A report that cannot be read: malformed syntax, or a known key with a value of the wrong type."""

    failure_type = "format"

    def __init__(self, reason: str, key: str | None = None) -> None:
        super().__init__(f"{key}: {reason}" if key else reason)
        self.key = key
        self.reason = reason


@dataclass(frozen=True)
class CmcdReport:
    values: dict[str, Any]  # known key -> int, float, str or bool
    custom: dict[str, Any] = field(default_factory=dict)  # custom (and future) keys -> their value
    invalid: dict[str, str] = field(default_factory=dict)  # key dropped -> why
    canonical: str = ""  # every member as sent, in one normal form (structured.canonical)

    def get(self, key: str, default: Any = None) -> Any:
        return self.values.get(key, default)


def parse_report(text: str) -> CmcdReport:
    """One report: a Structured Field Dictionary."""
    if len(text.encode()) > MAX_REPORT_BYTES:
        raise CmcdError(f"a report is at most {MAX_REPORT_BYTES} bytes")
    try:
        members = parse_dictionary(text.strip())
    except StructuredFieldError as exc:
        raise CmcdError(f"not CMCD (Structured Field syntax) {exc}") from None
    return _typed(members)


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
    object_type = _object_type(members.get("ot"))
    for key, member in members.items():
        kind = KEYS.get(key)
        if kind is None or is_custom(key):
            custom[key] = _plain(member)  # custom or a later revision's key: kept as sent
            continue
        value = _value(key, kind, member, object_type)
        problem = _UNUSABLE[key](value) if key in _UNUSABLE else None
        if problem is None:
            values[key] = value
        else:
            invalid[key] = problem
    return CmcdReport(values, custom, invalid, canonical(members))


def _url_problem(value: str) -> str | None:
    """Why the URL parser refuses ``url`` (an unclosed or invalid ``[IPv6]`` host), or None: the
    contract reads the CDN's host out of it."""
    try:
        urllib.parse.urlsplit(value)
    except ValueError as exc:
        return f"the URL parser refuses it ({exc})"
    return None


# Keys whose value, of the right type, can still be unusable: checked here, so that nothing
# downstream parses a value that can raise.
_UNUSABLE: dict[str, Callable[[Any], str | None]] = {"url": _url_problem}


def _object_type(member: Member | None) -> str | None:
    if isinstance(member, Item) and isinstance(member.value, Token):
        return member.value.value
    return None


def _value(key: str, kind: Kind, member: Member, object_type: str | None) -> Any:
    if kind is Kind.INNER_LIST and isinstance(member, InnerList):
        if not member.items:
            raise CmcdError("an empty inner list", key)
        # The value for the report's own object type, else the first (as version 1 reads it).
        chosen = next((i for i in member.items if _object_type_of(i) == object_type), member.items[0])
        return _integer(key, chosen.value)
    if kind is Kind.STRINGS and isinstance(member, InnerList):
        if not member.items:
            raise CmcdError("an empty inner list", key)
        texts = [_string(key, i.value) for i in member.items]
        return texts[0] if key == "nor" else ",".join(texts)  # the next object; every error code
    if isinstance(member, InnerList):
        raise CmcdError(f"expected {kind.value}, got an inner list", key)
    value = member.value
    if kind in (Kind.INTEGER, Kind.INNER_LIST):
        return _integer(key, value)
    if kind is Kind.DECIMAL:
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise CmcdError(f"expected a decimal, got {_describe(value)}", key)
        return float(value)
    if kind in (Kind.STRING, Kind.STRINGS):
        return _string(key, value)
    if kind is Kind.BOOLEAN:
        if not isinstance(value, bool):
            raise CmcdError(f"expected a boolean (the bare key), got {_describe(value)}", key)
        return value
    if not isinstance(value, Token) or value.value not in TOKENS[key]:
        allowed = ", ".join(sorted(TOKENS[key]))
        raise CmcdError(f"expected one of {allowed}, got {_describe(value)}", key)
    return value.value


def _object_type_of(item: Item) -> str | None:
    value = item.params.get("ot")
    return value.value if isinstance(value, Token) else None


def _integer(key: str, value: BareItem) -> int:
    if type(value) is not int:
        raise CmcdError(f"expected an integer, got {_describe(value)}", key)
    return value


def _string(key: str, value: BareItem) -> str:
    if not isinstance(value, str):
        raise CmcdError(f'expected a "string", got {_describe(value)}', key)
    return value


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
