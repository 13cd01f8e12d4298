"""API Gateway proxy events (HTTP API payload 2.0 and REST API 1.0) as one request shape."""

from __future__ import annotations

import base64
import binascii
import gzip
import zlib
from dataclasses import dataclass
from typing import Any


class RequestError(Exception):
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

    def header(self, name: str) -> str | None:
        return self.headers.get(name.lower())


def from_apigateway(event: dict[str, Any]) -> HttpRequest:
    """Either payload version; the body base64-decoded when API Gateway says it is encoded."""
    context = event.get("requestContext") or {}
    if event.get("version") == "2.0":
        http = context.get("http") or {}
        method, source_ip, user_agent = http.get("method"), http.get("sourceIp"), http.get("userAgent")
    else:
        identity = context.get("identity") or {}
        method, source_ip, user_agent = event.get("httpMethod"), identity.get("sourceIp"), identity.get("userAgent")
    headers = {str(k).lower(): str(v) for k, v in (event.get("headers") or {}).items()}
    body = event.get("body") or ""
    if event.get("isBase64Encoded"):
        try:
            raw = base64.b64decode(body, validate=True)
        except (binascii.Error, ValueError):
            raise RequestError(400, "body is flagged base64 but is not valid base64") from None
    else:
        raw = body.encode("utf-8") if isinstance(body, str) else bytes(body)
    return HttpRequest(
        method=str(method or "").upper(),
        headers=headers,
        body=raw,
        request_id=str(
            context.get("requestId") or event.get("requestContext", {}).get("extendedRequestId") or "unknown"
        ),
        source_ip=source_ip,
        user_agent=user_agent or headers.get("user-agent"),
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
    inflater = zlib.decompressobj(wbits=16 + zlib.MAX_WBITS)
    try:
        inflated = inflater.decompress(request.body, max_bytes + 1)
    except zlib.error as exc:
        raise RequestError(400, f"body is not valid gzip: {exc}") from None
    if len(inflated) > max_bytes or inflater.unconsumed_tail:
        raise RequestError(
            413,
            f"decompressed body is over the limit of {max_bytes} bytes (SLUICE_MAX_BODY_BYTES)",
            limit="max_body_bytes",
        )
    if not inflater.eof:
        raise RequestError(400, "body is not valid gzip: the stream is truncated")
    return inflated


def gzip_body(data: bytes) -> bytes:
    """For clients and tests: the gzip form a player sends with ``Content-Encoding: gzip``."""
    return gzip.compress(data)
