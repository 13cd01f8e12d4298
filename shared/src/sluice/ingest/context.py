"""The request context ingest stamps on every event (the IngestContext record)."""

from __future__ import annotations

import ipaddress
from typing import Any

from sluice.events.bounds import clip, max_bytes
from sluice.ingest.request import HttpRequest

# CloudFront adds the viewer's country when it sits in front of API Gateway.
COUNTRY_HEADERS = ("cloudfront-viewer-country", "x-country-code")


def truncate_ip(address: str | None) -> str | None:
    """The client's network, never the full address: /24 for IPv4, /48 for IPv6."""
    if not address:
        return None
    try:
        # A proxy may write the address as a one-host network (192.168.0.1/32).
        ip = ipaddress.ip_network(address.strip(), strict=False).network_address
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))


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
