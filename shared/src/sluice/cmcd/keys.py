"""Every key of CMCD (CTA-5004, 2020) and its version 2 revision (CTA-5004-B), with its type.

The contract carries each key as a typed field of the ``CmcdPayload`` (``cmcd_<key>``); the
bounds of those fields are declared in the schema like every other, and checked on every report
from there (``sluice.cmcd.report``).
A key of the ``INNER_LIST`` kind may be an integer or, in version 2, an inner list of integers
each tagged with an object type: ``bl=(1200;ot=a 1800;ot=v)`` as the specification writes it,
``bl=(11800;v 9700;a)`` as dash.js 5 does (the type as a bare parameter). See
``sluice.cmcd.report`` for which value the scalar field keeps and where the others go.
Hyphenated keys are custom (``com.example-abc``): kept, never a reason to refuse a report.
"""

from __future__ import annotations

from enum import Enum

__all__ = ["HEADERS", "KEYS", "OBJECT_TYPES", "TOKENS", "Kind", "field_name", "is_custom"]


class Kind(Enum):
    INTEGER = "integer"
    INNER_LIST = "integer or inner list of integers"
    DECIMAL = "decimal"
    STRING = "string"
    STRINGS = "string or inner list of strings"
    CODES = "string, token or integer, or an inner list of them"  # error codes as players write them
    TOKEN = "token"  # noqa: S105 - the Structured Field type, not a secret
    BOOLEAN = "boolean"


KEYS: dict[str, Kind] = {
    # CTA-5004 (version 1), request keys
    "br": Kind.INNER_LIST,  # encoded bitrate, kbps
    "d": Kind.INTEGER,  # object duration, ms
    "ot": Kind.TOKEN,  # object type
    "tb": Kind.INNER_LIST,  # top bitrate, kbps
    "bl": Kind.INNER_LIST,  # buffer length, ms
    "dl": Kind.INTEGER,  # deadline, ms
    "mtp": Kind.INNER_LIST,  # measured throughput, kbps
    "nor": Kind.STRINGS,  # next object request
    "nrr": Kind.STRING,  # next range request (version 1 only)
    "su": Kind.BOOLEAN,  # startup: the object is needed urgently (startup, seek, recovery)
    "cid": Kind.STRING,  # content id
    "pr": Kind.DECIMAL,  # playback rate
    "sf": Kind.TOKEN,  # streaming format
    "sid": Kind.STRING,  # session id
    "st": Kind.TOKEN,  # stream type
    "v": Kind.INTEGER,  # CMCD version
    "bs": Kind.BOOLEAN,  # buffer starvation since the previous request
    "rtp": Kind.INTEGER,  # requested maximum throughput, kbps
    # CTA-5004-B (version 2), request and common keys
    "ab": Kind.INNER_LIST,  # aggregate encoded bitrate, kbps
    "bg": Kind.BOOLEAN,  # backgrounded
    "bsa": Kind.INNER_LIST,  # buffer starvation absolute count
    "bsd": Kind.INNER_LIST,  # buffer starvation duration, ms
    "bsda": Kind.INNER_LIST,  # buffer starvation duration absolute, ms
    "cdn": Kind.STRING,  # CDN id
    "cs": Kind.STRING,  # content signature
    "df": Kind.INTEGER,  # dropped frames (draft name of dfa)
    "dfa": Kind.INTEGER,  # dropped frames absolute
    "ec": Kind.CODES,  # error code(s): dash.js writes ec=28, the specification a string
    "lab": Kind.INNER_LIST,  # lowest aggregated encoded bitrate, kbps
    "lb": Kind.INNER_LIST,  # lowest encoded bitrate, kbps
    "ltc": Kind.INTEGER,  # live stream latency, ms
    "msd": Kind.INTEGER,  # media start delay, ms
    "nr": Kind.BOOLEAN,  # non-rendered
    "pb": Kind.INNER_LIST,  # playhead bitrate, kbps
    "pt": Kind.INTEGER,  # playhead time, ms
    "sn": Kind.INTEGER,  # sequence number
    "sta": Kind.TOKEN,  # player state
    "tab": Kind.INNER_LIST,  # top aggregated encoded bitrate, kbps
    "tbl": Kind.INNER_LIST,  # target buffer length, ms
    "tpb": Kind.INNER_LIST,  # top playable bitrate, kbps
    # response mode
    "rc": Kind.INTEGER,  # response code
    "ttfb": Kind.INTEGER,  # time to first byte, ms
    "ttfbb": Kind.INTEGER,  # time to first body byte, ms
    "ttlb": Kind.INTEGER,  # time to last byte, ms
    "url": Kind.STRING,  # requested URL
    "cmsdd": Kind.STRING,  # CMSD-Dynamic, base64
    "cmsds": Kind.STRING,  # CMSD-Static, base64
    "smrt": Kind.STRING,  # SMRT-Data, base64
    # event mode
    "e": Kind.TOKEN,  # event type
    "ts": Kind.INTEGER,  # timestamp, ms since the epoch
    "cen": Kind.STRING,  # custom event name
    "h": Kind.STRING,  # hostname
}

TOKENS: dict[str, frozenset[str]] = {
    "ot": frozenset({"m", "a", "v", "av", "i", "c", "tt", "k", "o"}),
    "sf": frozenset({"d", "h", "s", "o"}),
    "st": frozenset({"v", "l"}),
    "sta": frozenset({"s", "p", "k", "r", "a", "w", "e", "f", "q", "d"}),
    "e": frozenset(
        {"abs", "abe", "ae", "as", "b", "bc", "c", "ce", "e", "h", "m", "pc", "pe", "pr", "ps", "rr", "sk", "t", "um"}
    ),
}

# The object types (``ot``'s tokens), as written in a parameter of an inner list's item:
# ``;ot=a`` or, as dash.js 5 writes them, the bare ``;a``.
OBJECT_TYPES = TOKENS["ot"]

# CMCD version 1 travels in four headers on segment requests to the CDN (CTA-5004, 3.1)
HEADERS = ("cmcd-request", "cmcd-object", "cmcd-status", "cmcd-session")


def field_name(key: str) -> str:
    """The contract's field for a key: ``cmcd_br``."""
    return f"cmcd_{key}"


def is_custom(key: str) -> bool:
    return "-" in key
