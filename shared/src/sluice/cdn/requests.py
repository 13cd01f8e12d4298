"""A real-time log line as a ``cdn_request`` event: media requests kept, the rest counted.

One line, one event (``to_event``), shaped like the contract's other events so that a later
schema version only has to declare the ``cdn_request`` payload:

- ``event_id``: a UUIDv5 of ``x-edge-request-id``, so a log record delivered twice is one event;
- ``client_time``: the request's ``timestamp`` (the player's request time as the edge saw it);
- ``session_id``: CMCD ``sid``, else ``sluice.cmcd.session.inferred_session_id`` of the viewer's
  network (``c-ip``, truncated as ingest truncates it), user agent, CMCD ``cid`` (not the
  path-derived content id: the shared rule, so that a viewer's CMCD reports to ``/cmcd`` and its
  media requests land in one session) and the request's UTC day, flagged ``cmcd_session_inferred``;
- ``content.id``: CMCD ``cid``, else the request path's directory (rendition directories such as
  ``720p/`` or ``video_1/`` left out, so that a bitrate switch stays in one session);
- ``player``: a native player named by its user agent (ExoPlayer, AVPlayer, ...), else ``cdn``;
- CMCD from the ``cmcd-*`` fields when the line has any, else the query's ``CMCD=`` argument,
  else the ``CMCD-*`` headers in ``cs-headers`` (version-2 keys ride only there); read by
  ``sluice.cmcd.report``, so a key whose value cannot be used is dropped and named in
  ``cmcd_invalid_keys``, and a CMCD text that cannot be read at all drops the CMCD, never the line;
- ``ingest``: the request context ingest stamps (user agent, country, client network, request id).

``server_time`` is the stage's to stamp (when Sluice received the record), as ingest does.
"""

from __future__ import annotations

import dataclasses
import posixpath
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sluice.cdn.config import FieldOrder
from sluice.cdn.fields import FIELDS
from sluice.cdn.logline import FieldValueError, LogLineError, Value, parse_line
from sluice.cmcd.contract import invalid_keys, json_within
from sluice.cmcd.keys import KEYS, Kind, field_name
from sluice.cmcd.report import CmcdError, CmcdReport, parse_headers, parse_query, parse_report
from sluice.cmcd.session import inferred_session_id, utc_day
from sluice.cmcd.structured import StructuredFieldError, parse_dictionary
from sluice.events.addresses import truncate_ip
from sluice.events.bounds import clip, max_bytes

__all__ = [
    "CDN_REQUEST_NAMESPACE",
    "CDN_TEXT_MAX_BYTES",
    "CMCD_HEADER",
    "EVENT_TYPE",
    "MAX_STATUS",
    "MEDIA_EXTENSIONS",
    "MEDIA_TYPES",
    "MEDIA_TYPE_PREFIXES",
    "LineCounts",
    "cmcd_of",
    "is_media",
    "read_line",
    "to_event",
]

EVENT_TYPE = "cdn_request"

# Sluice's namespace for the ids of CDN requests (fixed: a redelivered line must get its id again;
# apart from the CMCD reports' and sessions' namespaces, so no id is two things).
CDN_REQUEST_NAMESPACE = uuid.UUID("c0f1e7d0-4e5a-5b1c-8d2e-cd17e9000001")

# What a media request looks like: a segment, an init segment, a subtitle or a manifest (HLS and
# DASH), by the path's extension or the response's content type.
MEDIA_EXTENSIONS = (".ts", ".m4s", ".mp4", ".m4a", ".m4v", ".aac", ".vtt", ".m3u8", ".mpd")
MEDIA_TYPE_PREFIXES = ("video/", "audio/")
MEDIA_TYPES = frozenset({"application/vnd.apple.mpegurl", "application/x-mpegurl", "application/dash+xml"})

# The payload's text fields, at most this many UTF-8 bytes each: what the later schema version
# declares (max_length) and the warehouse's VARCHARs hold. CloudFront bounds most of them itself
# (an edge location is a few characters, a request id 56); the path and the header-derived ones
# come from the viewer, and are clipped, never refused.
CDN_TEXT_MAX_BYTES = {
    "cdn_edge_location": 32,
    "cdn_edge_request_id": 128,
    "cdn_result_type": 32,
    "cdn_response_result_type": 32,
    "cdn_detailed_result_type": 64,
    "cdn_method": 16,
    "cdn_protocol": 8,
    "cdn_protocol_version": 16,
    "cdn_ssl_protocol": 16,
    "cdn_ip_version": 8,
    "cdn_path": 1024,
    "cdn_content_type": 128,
    "cdn_cache_behavior": 255,  # CloudFront: a path pattern is at most 255 characters
    "cmcd_source": 16,
}
# An HTTP status is three digits; CloudFront writes 000 when the viewer left before the response.
MAX_STATUS = 999

# Native players that name themselves in their user agent (browser players cannot be told apart).
_NATIVE_PLAYERS = (
    (re.compile(r"ExoPlayerLib/([0-9][0-9A-Za-z.\-]*)"), "exoplayer"),
    (re.compile(r"AppleCoreMedia/([0-9][0-9.]*)"), "avplayer"),
    (re.compile(r"stagefright/([0-9][0-9.]*)"), "stagefright"),
    (re.compile(r"Roku/DVP-([0-9][0-9.]*)"), "roku"),
)
# A directory that names a rendition, not the title: left out of the content id of a path.
_RENDITION_DIR = re.compile(
    r"(?i)[0-9]{3,4}p[0-9]*|[0-9]+k(bps)?|(video|audio|text|subs?|subtitles?)([_\-]?[0-9a-z]+)?|[av][0-9]+"
    r"|(stream|rendition|variant|track|representation|rep)[_\-]?[0-9]+|[0-9]{3,5}x[0-9]{3,5}"
)
_CMCD_FIELDS = {f.name: f.cmcd_key for f in FIELDS if f.cmcd_key is not None}
# A CMCD header line of ``cs-headers`` (name, value): the four the reader takes (CTA-5004 sends
# CMCD as these four headers); redaction keeps these lines and no other header.
CMCD_HEADER = re.compile(r"(?im)^[ \t]*(cmcd-(?:request|object|status|session))[ \t]*:[ \t]*(.*?)[ \t]*$")


@dataclass
class LineCounts:
    """What became of the lines read, so that the accounting covers every line on the stream."""

    lines: int = 0
    kept: int = 0  # media requests, each one event
    not_media: int = 0  # read, not a media request: counted, not stored
    unreadable: int = 0  # a LogLineError: a failed event


def read_line(line: bytes | str, order: FieldOrder | Sequence[str], counts: LineCounts) -> dict[str, Any] | None:
    """One line on the stream as its event (None: not a media request), counted in ``counts``;
    a ``LogLineError`` (counted unreadable) is the caller's failed event, with the line's bytes."""
    counts.lines += 1
    try:
        values = order.parse(line) if isinstance(order, FieldOrder) else parse_line(line, order)
        event = to_event(values)
    except LogLineError:
        counts.unreadable += 1
        raise
    if event is None:
        counts.not_media += 1
    else:
        counts.kept += 1
    return event


def is_media(values: dict[str, Value]) -> bool:
    # A player fetches media with GET; the OPTIONS preflight a browser sends before a segment
    # request with CMCD headers (not a CORS-safelisted header) is not a second request for it.
    if values.get("cs-method") not in (None, "GET"):
        return False
    stem = values.get("cs-uri-stem")
    if isinstance(stem, str) and stem.lower().endswith(MEDIA_EXTENSIONS):
        return True
    content_type = values.get("sc-content-type")
    if not isinstance(content_type, str):
        return False
    media_type = content_type.split(";", 1)[0].strip().lower()
    return media_type.startswith(MEDIA_TYPE_PREFIXES) or media_type in MEDIA_TYPES


def to_event(values: dict[str, Value]) -> dict[str, Any] | None:
    """The ``cdn_request`` event of one parsed line (``sluice.cdn.logline.parse_line``), or None
    when it is not a media request."""
    if not is_media(values):
        return None
    request_id = _text(values, "x-edge-request-id")
    timestamp_ms = values.get("timestamp")
    if not request_id:
        raise FieldValueError("missing: a request without its id cannot be one event", "x-edge-request-id")
    if not isinstance(timestamp_ms, int):
        raise FieldValueError("missing: a request without its time cannot be an event", "timestamp")
    status = _integer(values, "sc-status")
    if status is not None and status > MAX_STATUS:
        raise FieldValueError(f"{status} is not an HTTP status", "sc-status")
    user_agent = _text(values, "cs-user-agent")
    report, source = cmcd_of(values)
    cmcd = report.values
    path = _text(values, "cs-uri-stem")
    content_id = _content_id(cmcd.get("cid"), path)
    sid = cmcd.get("sid")
    inferred = sid is None
    if sid is None:
        sid = inferred_session_id(_text(values, "c-ip"), user_agent, cmcd.get("cid"), utc_day(timestamp_ms))
    player, version = _player(user_agent, cmcd.get("v"))
    host = _text(values, "x-host-header") or _text(values, "cs-host")
    payload: dict[str, Any] = {
        "cdn_edge_location": _clipped(values, "x-edge-location", "cdn_edge_location"),
        "cdn_edge_request_id": clip(request_id, CDN_TEXT_MAX_BYTES["cdn_edge_request_id"]),
        "cdn_result_type": _clipped(values, "x-edge-result-type", "cdn_result_type"),
        "cdn_response_result_type": _clipped(values, "x-edge-response-result-type", "cdn_response_result_type"),
        "cdn_detailed_result_type": _clipped(values, "x-edge-detailed-result-type", "cdn_detailed_result_type"),
        "cdn_status": status,
        "cdn_time_to_first_byte_ms": _ms(values, "time-to-first-byte"),
        "cdn_time_taken_ms": _ms(values, "time-taken"),
        "cdn_origin_first_byte_ms": _ms(values, "origin-fbl"),
        "cdn_origin_last_byte_ms": _ms(values, "origin-lbl"),
        "cdn_bytes_sent": _integer(values, "sc-bytes"),
        "cdn_bytes_received": _integer(values, "cs-bytes"),
        "cdn_content_length": _integer(values, "sc-content-len"),
        "cdn_range_start": _integer(values, "sc-range-start"),
        "cdn_range_end": _integer(values, "sc-range-end"),
        "cdn_content_type": _clipped(values, "sc-content-type", "cdn_content_type"),
        "cdn_method": _clipped(values, "cs-method", "cdn_method"),
        "cdn_protocol": _clipped(values, "cs-protocol", "cdn_protocol"),
        "cdn_protocol_version": _clipped(values, "cs-protocol-version", "cdn_protocol_version"),
        "cdn_ssl_protocol": _clipped(values, "ssl-protocol", "cdn_ssl_protocol"),
        "cdn_ip_version": _clipped(values, "c-ip-version", "cdn_ip_version"),
        "cdn_path": clip(path, CDN_TEXT_MAX_BYTES["cdn_path"]),
        "cdn_cache_behavior": _clipped(values, "cache-behavior-path-pattern", "cdn_cache_behavior"),
        "cdn_asn": _integer(values, "asn"),
        "cmcd_source": source,
        **{field_name(key): value for key, value in cmcd.items()},
        "cmcd_custom": json_within(report.custom, "cmcd_custom"),
        "cmcd_custom_keys": len(report.custom),
        "cmcd_invalid_keys": invalid_keys(report.invalid),
        "cmcd_by_object_type": json_within(report.by_object_type, "cmcd_by_object_type"),
        "cmcd_session_inferred": inferred,
    }
    return {
        "event_id": str(uuid.uuid5(CDN_REQUEST_NAMESPACE, request_id)),
        "event_type": EVENT_TYPE,
        "session_id": sid,
        "sequence": cmcd.get("sn", 0),
        "client_time": timestamp_ms,
        "player": {"name": player, "version": version},
        "device": {"id": None, "type": None, "model": None, "screen_width": None, "screen_height": None},
        "content": {"id": content_id, "title": None, "duration_ms": None, "live": cmcd.get("st") == "l"},
        "cdn": {"name": "cloudfront", "host": clip(host, max_bytes("cdn.host"))},
        "ingest": {
            "request_id": clip(request_id, max_bytes("ingest.request_id")),
            "user_agent": clip(user_agent, max_bytes("ingest.user_agent")) or None,
            "country": _country(values),
            "client_ip_prefix": truncate_ip(_text(values, "c-ip")),
        },
        "payload": payload,
    }


def cmcd_of(values: dict[str, Value]) -> tuple[CmcdReport, str | None]:
    """The request's CMCD and where it came from (``fields``, ``query``, ``headers``, or None)."""
    fields = {key: values[name] for name, key in _CMCD_FIELDS.items() if values.get(name) is not None}
    if fields:
        return _from_fields(fields), "fields"
    query = _text(values, "cs-uri-query")
    if query and "CMCD=" in query:
        return _readable(lambda: parse_query(query)), "query"
    headers = {name.lower(): value for name, value in CMCD_HEADER.findall(_text(values, "cs-headers") or "")}
    if headers:
        return _readable(lambda: parse_headers(headers)), "headers"
    return CmcdReport({}), None


def _from_fields(fields: dict[str, Value]) -> CmcdReport:
    """The ``cmcd-*`` fields as one CMCD report: each value written back as the Structured Field
    member the player sent (CloudFront logs the value alone), a value that cannot be one dropped
    and named, the rest read like any report."""
    members: list[str] = []
    unusable: dict[str, str] = {}
    for key, value in fields.items():
        member = _member(key, str(value))
        try:
            parsed = parse_dictionary(member)
        except StructuredFieldError as exc:
            unusable[key] = f"not a CMCD value ({exc})"
            continue
        if list(parsed) != [key]:  # a value that writes other keys (1,sid="x") is no value of its own
            unusable[key] = "not a CMCD value (it holds more than one member)"
            continue
        members.append(member)
    report = _readable(lambda: parse_report(",".join(members))) if members else CmcdReport({})
    return dataclasses.replace(report, invalid={**unusable, **report.invalid}) if unusable else report


def _member(key: str, value: str) -> str:
    kind = KEYS.get(key)
    if kind is Kind.BOOLEAN:
        lowered = value.lower()
        if lowered in ("true", "1", "?1"):
            return key
        if lowered in ("false", "0", "?0"):
            return f"{key}=?0"
        return f"{key}={value}"
    if kind in (Kind.STRING, Kind.STRINGS) and not value.startswith(('"', "(")):
        return f'{key}="{value.replace(chr(92), chr(92) * 2).replace(chr(34), chr(92) + chr(34))}"'
    return f"{key}={value}"


def _readable(read: Any) -> CmcdReport:
    """A CMCD text read, or, when it cannot be read at all, no CMCD and why: never the line lost."""
    try:
        report: CmcdReport = read()
    except CmcdError as exc:
        return CmcdReport({}, invalid={"CMCD": exc.reason})
    return report


def _content_id(cid: str | None, path: str | None) -> str:
    if cid:
        return cid
    directory = posixpath.dirname(path or "")
    while directory not in ("", "/") and _RENDITION_DIR.fullmatch(posixpath.basename(directory)):
        directory = posixpath.dirname(directory)
    if directory in ("", "/"):
        return "unknown"
    return clip(directory, max_bytes("content.id")) or "unknown"


def _player(user_agent: str | None, version: Any) -> tuple[str, str]:
    for pattern, name in _NATIVE_PLAYERS:
        found = pattern.search(user_agent or "")
        if found is not None:
            return name, clip(found.group(1), max_bytes("player.version")) or f"v{version or 1}"
    return "cdn", f"v{version or 1}"


def _country(values: dict[str, Value]) -> str | None:
    country = _text(values, "c-country")
    # ISO 3166 letters only, as ingest keeps them (the schema holds two bytes).
    return country.upper() if country and len(country) == 2 and country.isascii() and country.isalpha() else None


def _text(values: dict[str, Value], name: str) -> str | None:
    value = values.get(name)
    return value if isinstance(value, str) else None


def _clipped(values: dict[str, Value], name: str, field: str) -> str | None:
    return clip(_text(values, name), CDN_TEXT_MAX_BYTES[field])


def _integer(values: dict[str, Value], name: str) -> int | None:
    value = values.get(name)
    return value if isinstance(value, int) else None


def _ms(values: dict[str, Value], name: str) -> float | None:
    value = values.get(name)
    return round(value * 1000, 3) if isinstance(value, float) else None
