"""A log line kept in a failed event keeps no viewer address and no credential: the fields
rewritten when the line still splits into the configured fields, found by pattern when torn."""

from __future__ import annotations

from support.cdn_lines import line

from sluice.cdn.fields import field_names
from sluice.cdn.logline import parse_line
from sluice.cdn.redaction import redacted_line
from sluice.cdn.requests import cmcd_of

HEADERS = "Host:video.example.com%0ACookie:sid%3Dabc%0AAuthorization:Bearer%20t0ken%0ACMCD-Request:bl%3D1200%0A"


def test_a_whole_line_keeps_the_network_and_only_the_cmcd_headers():
    raw = line(c_ip="2001:db8:85a3::8a2e:370:7334", x_forwarded_for="203.0.113.9,%20198.51.100.7", cs_headers=HEADERS)
    kept = parse_line(redacted_line(raw, field_names()), field_names())
    original = parse_line(raw, field_names())
    assert kept["c-ip"] == "2001:db8:85a3::/48"
    assert kept["x-forwarded-for"] == "203.0.113.0/24,198.51.100.0/24"
    assert kept["cs-headers"] == "CMCD-Request:bl=1200\n"
    # everything else as it was
    assert {k: v for k, v in kept.items() if k not in ("c-ip", "x-forwarded-for", "cs-headers")} == {
        k: v for k, v in original.items() if k not in ("c-ip", "x-forwarded-for", "cs-headers")
    }


def test_a_torn_line_loses_its_addresses_and_credentials_by_pattern():
    raw = line(c_ip="198.51.100.7", cs_headers=HEADERS)[:-40] + b"\tan extra field 10.1.2.3\n"
    kept = redacted_line(raw, field_names())
    assert b"198.51.100.7" not in kept and b"198.51.100.0/24" in kept and b"10.1.2.0/24" in kept
    assert b"sid%3Dabc" not in kept and b"t0ken" not in kept
    assert b"Cookie:-" in kept and b"CMCD-Request:bl%3D1200" in kept
    # a version number is no address
    assert b"HTTP/2.0" in kept and b"TLSv1.3" in kept and b"Chrome/120.0.0.0%20" in kept


def test_no_address_no_headers_is_left_as_it_is():
    raw = line(c_ip="-", cs_headers="-")
    assert redacted_line(raw, field_names()) == raw


def test_the_headers_kept_are_the_ones_the_reader_takes():
    # GIVEN the four CMCD headers beside a header that only looks like one
    headers = (
        "CMCD-Request:bl%3D1200%0ACMCD-Object:br%3D3200%0ACMCD-Status:rtp%3D15000%0A"
        "CMCD-Session:sid%3D%22s1%22%0ACMCD-Tracking:user%3D42%0A"
    )
    raw = line(cs_headers=headers)
    # WHEN the line is kept
    kept = parse_line(redacted_line(raw, field_names()), field_names())
    # THEN the reader still reads its CMCD from the kept line, and nothing else of the headers is kept
    assert kept["cs-headers"] == (
        'CMCD-Request:bl=1200\nCMCD-Object:br=3200\nCMCD-Status:rtp=15000\nCMCD-Session:sid="s1"\n'
    )
    assert cmcd_of(kept) == cmcd_of(parse_line(raw, field_names()))
