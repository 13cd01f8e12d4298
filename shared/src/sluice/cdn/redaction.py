"""What of a log line Sluice keeps when it cannot read it: the line, without the viewer's address.

A line the processor refuses becomes a failed event holding the line (so nothing is lost: it can
be read again once the reader is fixed), kept under ``failed/`` for the lake's retention. The raw
line carries what Sluice stores nowhere else: the viewer's full address (``c-ip``, and
``x-forwarded-for``), and in ``cs-headers`` every request header, cookies and credentials
included. The kept line has the address truncated to its network, as ingest truncates it, and of
the headers only the CMCD ones the reader takes (``sluice.cdn.requests.CMCD_HEADER``).

When the line still splits into the configured number of fields those fields are rewritten in
place; when it does not (a torn line, the case that fails most), the fields cannot be told apart,
so every IP address in it is truncated and every credential-bearing header dropped by pattern.
"""

from __future__ import annotations

import ipaddress
import re
import urllib.parse
from collections.abc import Sequence

from sluice.cdn.requests import CMCD_HEADER
from sluice.events.addresses import truncate_ip

__all__ = ["redacted_line"]

# Candidate addresses in a line whose fields cannot be located: checked by ipaddress before
# anything is replaced, so a time (12:30:01) is left as it is.
# An address starts a field or follows a separator (a user agent's "Chrome/120.0.0.0" is none).
_STARTS = r"(?:^|(?<=[\t ,=])|(?<=%20)|(?<=%2C))"
_IPV4 = re.compile(_STARTS + r"(?:[0-9]{1,3}\.){3}[0-9]{1,3}(?![0-9.])")
_IPV6 = re.compile(_STARTS + r"(?:[0-9A-Fa-f]{0,4}:){2,7}[0-9A-Fa-f]{0,4}(?![0-9A-Fa-f:])")
# Headers that carry a credential or a session, URL-encoded as cs-headers writes them (name, a
# ':' or '%3A', the value up to the next header's '%0A' or the field's end).
_SECRET_HEADER = re.compile(
    r"(?i)(?:(?<=%0A)|(?<=\t)|(?<=\n)|^)(cookie|authorization|proxy-authorization|x-api-key|x-amz-security-token)(:|%3A)[^\t]*?(?=%0A|\t|\n|$)"
)


def redacted_line(line: bytes, order: Sequence[str]) -> bytes:
    """``line`` as it may be kept: addresses truncated, only the CMCD headers left."""
    body = line[:-1] if line.endswith(b"\n") else line
    ending = line[len(body) :]
    parts = body.split(b"\t")
    if len(parts) != len(order):
        return _by_pattern(body) + ending
    for index, name in enumerate(order):
        if name == "c-ip":
            parts[index] = _network(parts[index])
        elif name == "x-forwarded-for":
            parts[index] = b",".join(_network(p) for p in parts[index].split(b","))
        elif name == "cs-headers":
            parts[index] = _cmcd_headers(parts[index])
    return b"\t".join(parts) + ending


def _network(value: bytes) -> bytes:
    text = urllib.parse.unquote(value.decode("utf-8", "replace")).strip()
    if text in ("", "-"):
        return b"-"
    return (truncate_ip(text) or "-").encode()


def _cmcd_headers(value: bytes) -> bytes:
    text = value.decode("utf-8", "replace")
    if text == "-":
        return value
    kept = [h for h in urllib.parse.unquote(text).splitlines() if CMCD_HEADER.match(h)]
    return urllib.parse.quote("\n".join(kept) + "\n" if kept else "", safe=':/,;="? ').encode() or b"-"


def _by_pattern(body: bytes) -> bytes:
    text = body.decode("utf-8", "replace")
    text = _SECRET_HEADER.sub(lambda m: f"{m.group(1)}{m.group(2)}-", text)
    text = _IPV6.sub(_truncated_match, text)
    text = _IPV4.sub(_truncated_match, text)
    return text.encode()


def _truncated_match(match: re.Match[str]) -> str:
    try:
        ipaddress.ip_address(match.group(0))
    except ValueError:
        return match.group(0)
    return truncate_ip(match.group(0)) or match.group(0)
