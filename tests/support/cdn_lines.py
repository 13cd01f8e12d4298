"""Factories of CloudFront real-time log lines, with the values CloudFront's documentation shows
(formats of the Developer Guide's "Real-time log configuration fields")."""

from __future__ import annotations

from sluice.cdn.fields import field_names

# One segment request served from the edge's cache, every field written as CloudFront writes it:
# URL-encoded, "-" for no value.
SEGMENT: dict[str, str] = {
    "timestamp": "1733100000.123",
    "c-ip": "198.51.100.7",
    "time-to-first-byte": "0.002",
    "sc-status": "200",
    "sc-bytes": "1045619",
    "cs-method": "GET",
    "cs-protocol": "https",
    "cs-host": "d111111abcdef8.cloudfront.net",
    "cs-uri-stem": "/vod/big-buck-bunny/720p/seg_00042.m4s",
    "cs-bytes": "392",
    "x-edge-location": "AMS1-C1",
    "x-edge-request-id": "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
    "x-host-header": "video.example.com",
    "time-taken": "0.082",
    "cs-protocol-version": "HTTP/2.0",
    "c-ip-version": "IPv4",
    "cs-user-agent": "Mozilla/5.0%20(Windows%20NT%2010.0;%20Win64;%20x64)%20AppleWebKit/537.36%20(KHTML,%20like%20Gecko)%20Chrome/120.0.0.0%20Safari/537.36",
    "cs-referer": "https://www.example.com/watch?v=bbb",
    "cs-uri-query": "-",
    "x-edge-response-result-type": "Hit",
    "x-forwarded-for": "-",
    "ssl-protocol": "TLSv1.3",
    "x-edge-result-type": "Hit",
    "sc-content-type": "video/iso.segment",
    "sc-content-len": "1045000",
    "sc-range-start": "-",
    "sc-range-end": "-",
    "c-port": "55012",
    "x-edge-detailed-result-type": "Hit",
    "c-country": "NL",
    "cs-accept-encoding": "gzip,%20deflate,%20br",
    "cs-accept": "*/*",
    "cache-behavior-path-pattern": "/vod/*",
    "cs-headers": "Host:video.example.com%0AAccept:*/*%0A",
    "origin-fbl": "-",
    "origin-lbl": "-",
    "asn": "1136",
    **{name: "-" for name in field_names() if name.startswith("cmcd-")},
}


def line(order: list[str] | None = None, **overrides: str) -> bytes:
    """A line in ``order`` (default: the configured one); ``cs_uri_query="..."`` sets cs-uri-query."""
    values = {**SEGMENT, **{name.replace("_", "-"): value for name, value in overrides.items()}}
    return "\t".join(values[name] for name in (order or field_names())).encode() + b"\n"
