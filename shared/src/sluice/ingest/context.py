"""The request context ingest stamps on every event (the IngestContext record)."""

from __future__ import annotations

from typing import Any

from sluice.events.addresses import truncate_ip
from sluice.events.bounds import clip, max_bytes
from sluice.ingest.request import HttpRequest

__all__ = ["COUNTRY_HEADERS", "country_of", "ingest_context"]

# CloudFront adds the viewer's country when it sits in front of API Gateway.
COUNTRY_HEADERS = ("cloudfront-viewer-country", "x-country-code")


def country_of(request: HttpRequest) -> str | None:
    for name in COUNTRY_HEADERS:
        value = request.header(name)
        # ISO 3166 letters only: a client (not behind CloudFront) writes this header itself, and
        # "ÄÖ" would be four bytes in the schema's two
        if value and len(value.strip()) == 2 and value.strip().isascii() and value.strip().isalpha():
            return value.strip().upper()
    return None


def ingest_context(request: HttpRequest) -> dict[str, Any]:
    return {
        # A client chooses its user agent (and, behind some proxies, the request id): clip both to
        # the schema's bounds so that what is stamped here always fits every sink.
        "request_id": clip(request.request_id, max_bytes("ingest.request_id")),
        "user_agent": clip(request.user_agent, max_bytes("ingest.user_agent")) or None,
        "country": country_of(request),
        "client_ip_prefix": truncate_ip(request.source_ip),
    }
