"""The ONE list of CloudFront real-time log fields Sluice's configuration asks for, in order, each
with the format CloudFront writes it in (Amazon CloudFront Developer Guide, "Real-time log
configuration fields").

Terraform's ``cdn_logs`` module reads the names from ``terraform/generated/cdn_realtime_log_fields.json``
(``sluice schemas render cdn-fields``); a test keeps that file equal to this list. The order here is
CloudFront's own field order, but the order on the stream is the one ``GetRealtimeLogConfig``
reports for the deployed configuration (the provider holds the fields as a set): the reader takes
its order from there (``sluice.cdn.config``), and uses this list only for each field's format.

Left out on purpose: ``cs-cookie`` (session cookies have no place in telemetry), ``cs-header-names``
and ``cs-headers-count`` (``cs-headers`` carries what they say), ``ssl-cipher``, the field-level
encryption and distribution-tenant fields. ``cs-headers`` is in for the ``CMCD-*`` headers (CMCD
version-2 keys ride only there); the reader takes the CMCD headers from it and nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import Enum

__all__ = ["BY_NAME", "FIELDS", "FieldFormat", "LogField", "field_names"]


class FieldFormat(Enum):
    """How CloudFront writes a field's value, hence the Python type the reader gives it."""

    EPOCH_SECONDS = "epoch seconds with milliseconds (1733100000.123), read as epoch ms (int)"
    SECONDS = "seconds with a fraction (0.002), read as float seconds"
    INTEGER = "a whole number (200, 1048576), read as int"
    TEXT = "URL-encoded text, read decoded (str)"
    CMCD = "a CMCD value as the player sent it, decoded (str); typed by the CMCD reader, key by key"


@dataclass(frozen=True)
class LogField:
    name: str
    format: FieldFormat
    doc: str
    cmcd_key: str | None = None  # the CMCD key a cmcd-* field carries


_E, _S, _I, _T, _C = (
    FieldFormat.EPOCH_SECONDS,
    FieldFormat.SECONDS,
    FieldFormat.INTEGER,
    FieldFormat.TEXT,
    FieldFormat.CMCD,
)

FIELDS: tuple[LogField, ...] = (
    LogField("timestamp", _E, "when the edge finished answering the request"),
    LogField("c-ip", _T, "the viewer's address, IPv4 or IPv6 (truncated by the reader as ingest does)"),
    LogField("time-to-first-byte", _S, "from the request received to the first response byte written"),
    LogField("sc-status", _I, "the response's HTTP status (000 when the viewer left before it)"),
    LogField("sc-bytes", _I, "bytes sent to the viewer, headers included"),
    LogField("cs-method", _T, "the request's HTTP method"),
    LogField("cs-protocol", _T, "http, https, ws or wss"),
    LogField("cs-host", _T, "the distribution's domain name the request used"),
    LogField("cs-uri-stem", _T, "the request path, without the query"),
    LogField("cs-bytes", _I, "bytes the viewer sent, headers included"),
    LogField("x-edge-location", _T, "the edge location that served the request (IATA code and number, AMS1-C1)"),
    LogField("x-edge-request-id", _T, "CloudFront's unique id of the request (the event id's source)"),
    LogField("x-host-header", _T, "the Host header the viewer sent"),
    LogField("time-taken", _S, "from the request received to the last response byte written"),
    LogField("cs-protocol-version", _T, "HTTP/0.9, HTTP/1.0, HTTP/1.1, HTTP/2.0 or HTTP/3.0"),
    LogField("c-ip-version", _T, "IPv4 or IPv6"),
    LogField("cs-user-agent", _T, "the User-Agent header"),
    LogField("cs-referer", _T, "the Referer header"),
    LogField("cs-uri-query", _T, "the query string, without the '?'"),
    LogField("x-edge-response-result-type", _T, "how CloudFront classified the response it returned"),
    LogField("x-forwarded-for", _T, "the X-Forwarded-For header, when the viewer came through a proxy"),
    LogField("ssl-protocol", _T, "the TLS protocol of an HTTPS request (TLSv1.3)"),
    LogField("x-edge-result-type", _T, "how CloudFront classified the response (Hit, RefreshHit, Miss, Error, ...)"),
    LogField("sc-content-type", _T, "the response's Content-Type header"),
    LogField("sc-content-len", _I, "the response's Content-Length header"),
    LogField("sc-range-start", _I, "the start of the response's Content-Range"),
    LogField("sc-range-end", _I, "the end of the response's Content-Range"),
    LogField("c-port", _I, "the viewer's port"),
    LogField("x-edge-detailed-result-type", _T, "the result type with the specific error (OriginConnectError, ...)"),
    LogField("c-country", _T, "the viewer's country (ISO 3166-1 alpha-2)"),
    LogField("cs-accept-encoding", _T, "the Accept-Encoding header"),
    LogField("cs-accept", _T, "the Accept header"),
    LogField("cache-behavior-path-pattern", _T, "the path pattern of the cache behaviour that matched (the origin)"),
    LogField("cs-headers", _T, "the viewer request's headers, name:value lines (the CMCD-* headers are read)"),
    LogField("origin-fbl", _S, "first-byte latency between CloudFront and the origin"),
    LogField("origin-lbl", _S, "last-byte latency between CloudFront and the origin"),
    LogField("asn", _I, "the viewer's autonomous system number"),
    LogField("cmcd-encoded-bitrate", _C, "CMCD br", "br"),
    LogField("cmcd-buffer-length", _C, "CMCD bl", "bl"),
    LogField("cmcd-buffer-starvation", _C, "CMCD bs", "bs"),
    LogField("cmcd-content-id", _C, "CMCD cid", "cid"),
    LogField("cmcd-object-duration", _C, "CMCD d", "d"),
    LogField("cmcd-deadline", _C, "CMCD dl", "dl"),
    LogField("cmcd-measured-throughput", _C, "CMCD mtp", "mtp"),
    LogField("cmcd-next-object-request", _C, "CMCD nor", "nor"),
    LogField("cmcd-next-range-request", _C, "CMCD nrr", "nrr"),
    LogField("cmcd-object-type", _C, "CMCD ot", "ot"),
    LogField("cmcd-playback-rate", _C, "CMCD pr", "pr"),
    LogField("cmcd-requested-maximum-throughput", _C, "CMCD rtp", "rtp"),
    LogField("cmcd-streaming-format", _C, "CMCD sf", "sf"),
    LogField("cmcd-session-id", _C, "CMCD sid", "sid"),
    LogField("cmcd-stream-type", _C, "CMCD st", "st"),
    LogField("cmcd-startup", _C, "CMCD su", "su"),
    LogField("cmcd-top-bitrate", _C, "CMCD tb", "tb"),
    LogField("cmcd-version", _C, "CMCD v", "v"),
)

BY_NAME: dict[str, LogField] = {f.name: f for f in FIELDS}


def field_names() -> list[str]:
    """terraform/generated/cdn_realtime_log_fields.json: the configuration's fields, in order."""
    return [f.name for f in FIELDS]
