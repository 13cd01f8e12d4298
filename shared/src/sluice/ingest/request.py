"""API Gateway proxy events (HTTP API payload 2.0 and REST API 1.0), Lambda function URL events
(payload 2.0, as an HTTP API's) and ALB target events as one request shape."""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from dataclasses import dataclass, field
from typing import Any

from sluice.runtime.errors import SluiceError, UnsupportedTriggerError

__all__ = ["HttpRequest", "RequestError", "decoded_body", "from_http_trigger", "gzip_body", "request_origin"]


class RequestError(SluiceError):
    """A request Sluice refuses as a whole: a 4xx status and a message naming the problem."""

    def __init__(self, status: int, message: str, **details: Any) -> None:
        super().__init__(message)
        self.status = status
        self.details = details


@dataclass(frozen=True)
class HttpRequest:
    method: str
    headers: dict[str, str]  # lower-cased names
    body: bytes
    request_id: str
    source_ip: str | None
    user_agent: str | None
    query: dict[str, str] = field(default_factory=dict)
    path: str = "/events"

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def _headers(event: dict[str, Any]) -> dict[str, str]:
    """Lower-cased header names. With multi-value headers on (REST APIs always send them, ALBs
    when the target group enables them) ``headers`` may be missing; the last value counts, as
    API Gateway does for ``headers``."""
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    for name, values in (event.get("multiValueHeaders") or {}).items():
        if values and str(name).lower() not in headers:
            headers[str(name).lower()] = str(values[-1])
    return headers


def request_origin(event: Any) -> str | None:
    """The ``Origin`` header of any event shape, read before anything else can fail (so that even
    a refusal reaches the page that asked)."""
    return _headers(event).get("origin") if isinstance(event, dict) else None


def _forwarded_for(headers: dict[str, str]) -> str | None:
    # An ALB appends the address of the peer that connected to it as the last X-Forwarded-For
    # entry; entries before it were written by the client and prove nothing.
    value = headers.get("x-forwarded-for")
    return value.rsplit(",", 1)[-1].strip() or None if value else None


def _query(event: dict[str, Any], *, encoded: bool) -> dict[str, str]:
    """Query parameters (the last value of a repeated one). An ALB passes them as sent, still
    URL-encoded; API Gateway decodes them."""
    query = {str(k): str(v) for k, v in (event.get("queryStringParameters") or {}).items() if v is not None}
    for name, values in (event.get("multiValueQueryStringParameters") or {}).items():
        if values and name not in query:
            query[str(name)] = str(values[-1])
    if encoded and query:
        from urllib.parse import unquote_plus  # an ALB's query strings only: ~2 ms of cold start else

        query = {unquote_plus(k): unquote_plus(v) for k, v in query.items()}
    return query


def from_http_trigger(event: dict[str, Any]) -> HttpRequest:
    """An API Gateway proxy event (HTTP API payload 2.0, REST API 1.0) or an ALB target event as
    one request shape; the body base64-decoded when the event says it is encoded."""
    if not isinstance(event, dict):
        raise UnsupportedTriggerError(f"ingest expects an HTTP request event, got {type(event).__name__}")
    context = event.get("requestContext") or {}
    headers = _headers(event)
    if event.get("version") == "2.0" and "http" in context:
        http = context.get("http") or {}
        method, source_ip, user_agent = http.get("method"), http.get("sourceIp"), http.get("userAgent")
        request_id = context.get("requestId")
        path, query = event.get("rawPath") or http.get("path") or "/", _query(event, encoded=False)
    elif "elb" in context:
        method, source_ip, user_agent = event.get("httpMethod"), _forwarded_for(headers), headers.get("user-agent")
        # An ALB sends no request id; its trace header identifies the request in its access logs.
        request_id = headers.get("x-amzn-trace-id")
        path, query = event.get("path") or "/", _query(event, encoded=True)
    elif "httpMethod" in event:
        identity = context.get("identity") or {}
        method, source_ip, user_agent = event.get("httpMethod"), identity.get("sourceIp"), identity.get("userAgent")
        request_id = context.get("requestId") or context.get("extendedRequestId")
        path, query = event.get("path") or "/", _query(event, encoded=False)
    else:
        raise UnsupportedTriggerError(
            "ingest handles API Gateway HTTP API (payload 2.0), REST API (payload 1.0) and ALB events; "
            f"got an event with keys {sorted(map(str, event))[:10]}"
        )
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(400, "body is flagged base64 but is not valid base64") from None
    else:
        # surrogatepass: a text body the trigger's JSON gave with a lone surrogate ("\ud83c") is
        # read back as one, so it is that event's rejection (bounds), not a 5xx for the request
        raw = body.encode("utf-8", "surrogatepass") if isinstance(body, str) else bytes(body)
    return HttpRequest(
        method=str(method or "").upper(),
        headers=headers,
        body=raw,
        request_id=str(request_id or "unknown"),
        source_ip=source_ip,
        user_agent=user_agent or headers.get("user-agent"),
        query=query,
        path=str(path),
    )


def decoded_body(request: HttpRequest, max_bytes: int) -> bytes:
    """The body, inflated when ``Content-Encoding: gzip``, and never more than ``max_bytes``
    (checked while inflating, so a small compressed bomb cannot exhaust the function's memory)."""
    if len(request.body) > max_bytes:
        raise RequestError(
            413,
            f"request body is {len(request.body)} bytes, over the limit of {max_bytes} bytes (SLUICE_MAX_BODY_BYTES)",
            limit="max_body_bytes",
        )
    encoding = (request.header("content-encoding") or "identity").strip().lower()
    if encoding in ("identity", ""):
        return request.body
    if encoding not in ("gzip", "x-gzip"):
        raise RequestError(415, f"Content-Encoding {encoding!r} is not supported; send gzip or no encoding")
    return _gunzip(request.body, max_bytes)


def _gunzip(body: bytes, max_bytes: int) -> bytes:
    """Every member of a gzip body (``cat a.gz b.gz`` and streaming compressors write several,
    and RFC 1952 reads them as one stream), never inflating past ``max_bytes`` in all."""
    parts: list[bytes] = []
    size, rest = 0, body
    while rest:
        inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
        try:
            part = inflater.decompress(rest, max_bytes + 1 - size)
        except zlib.error as exc:
            raise RequestError(400, f"body is not valid gzip (member {len(parts) + 1}): {exc}") from None
        size += len(part)
        if size > max_bytes or inflater.unconsumed_tail:
            raise RequestError(
                413,
                f"decompressed body is over the limit of {max_bytes} bytes (SLUICE_MAX_BODY_BYTES)",
                limit="max_body_bytes",
            )
        if not inflater.eof:
            raise RequestError(400, f"body is not valid gzip: member {len(parts) + 1} is truncated")
        parts.append(part)
        rest = inflater.unused_data
        if rest.strip(b"\0") == b"":  # some writers pad the last member with zero bytes
            break
    return b"".join(parts)


def gzip_body(data: bytes) -> bytes:
    """For clients and tests: the gzip form a player sends with ``Content-Encoding: gzip``."""
    return gzip.compress(data)
