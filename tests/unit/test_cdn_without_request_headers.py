"""A real-time log configuration without cs-headers (the cdn_logs module's default:
log_request_headers = false) is read as one with it: the processor takes the deployed order."""

from __future__ import annotations

from support.cdn_lines import line

from sluice.cdn.config import missing_fields
from sluice.cdn.fields import field_names
from sluice.cdn.requests import LineCounts, read_line

# What terraform/modules/cdn_logs asks CloudFront for unless log_request_headers is true.
WITHOUT_HEADERS = [name for name in field_names() if name != "cs-headers"]
SID = "6e2fb550-c457-11e9-bb97-0800200c9a66"


def test_the_order_without_cs_headers_lacks_nothing_a_line_needs():
    assert "cs-headers" not in WITHOUT_HEADERS
    assert missing_fields(WITHOUT_HEADERS) == []


def test_a_line_without_cs_headers_is_an_event_with_its_cmcd_from_the_fields():
    counts = LineCounts()
    got = read_line(
        line(WITHOUT_HEADERS, cmcd_buffer_length="21300", cmcd_encoded_bitrate="3200", cmcd_session_id=SID),
        WITHOUT_HEADERS,
        counts,
    )
    assert got is not None and counts == LineCounts(lines=1, kept=1)
    assert got["payload"]["cmcd_source"] == "fields"
    assert got["payload"]["cmcd_bl"] == 21300 and got["payload"]["cmcd_br"] == 3200
    assert got["session_id"] == SID
