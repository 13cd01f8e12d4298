"""A CloudFront real-time log line read in the deployed field order: every field in its
documented format, '-' as empty, URL-decoding, and lines that cannot be read (a typed error
naming the field, never a crash)."""

from __future__ import annotations

import pytest
from support.cdn_lines import SEGMENT, line

from sluice.cdn.fields import field_names
from sluice.cdn.logline import (
    MAX_LINE_BYTES,
    FieldCountError,
    FieldValueError,
    LineEncodingError,
    LineTooLongError,
    parse_line,
)
from sluice.runtime.errors import PoisonRecordError

ORDER = field_names()

# Every field of the list: a value as CloudFront's documentation writes it, and what it reads as.
DOCUMENTED = {
    "timestamp": ("1733100000.123", 1733100000123),
    "c-ip": ("2001:DB8::1", "2001:DB8::1"),
    "time-to-first-byte": ("0.002", 0.002),
    "sc-status": ("000", 0),
    "sc-bytes": ("1045619", 1045619),
    "cs-method": ("GET", "GET"),
    "cs-protocol": ("https", "https"),
    "cs-host": ("d111111abcdef8.cloudfront.net", "d111111abcdef8.cloudfront.net"),
    "cs-uri-stem": ("/vod/big%20buck%20bunny/master.m3u8", "/vod/big buck bunny/master.m3u8"),
    "cs-bytes": ("392", 392),
    "x-edge-location": ("IAD89-P3", "IAD89-P3"),
    "x-edge-request-id": (
        "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
        "SOX4xwn4XV6Q4rgb7XiVGOHms_BGlTAC4KyHmureZmBNrjGdRLiNIQ==",
    ),
    "x-host-header": ("video.example.com", "video.example.com"),
    "time-taken": ("0.082", 0.082),
    "cs-protocol-version": ("HTTP/3.0", "HTTP/3.0"),
    "c-ip-version": ("IPv6", "IPv6"),
    "cs-user-agent": (
        "AppleCoreMedia/1.0.0.21G93%20(iPhone;%20U;%20CPU%20OS%2017_6)",
        "AppleCoreMedia/1.0.0.21G93 (iPhone; U; CPU OS 17_6)",
    ),
    "cs-referer": ("https://www.example.com/watch%3Fv%3Dbbb", "https://www.example.com/watch?v=bbb"),
    "cs-uri-query": ("CMCD=br%3D3200%2Csid%3D%226e2f%22", 'CMCD=br=3200,sid="6e2f"'),
    "x-edge-response-result-type": ("Miss", "Miss"),
    "x-forwarded-for": ("192.0.2.44", "192.0.2.44"),
    "ssl-protocol": ("TLSv1.2", "TLSv1.2"),
    "x-edge-result-type": ("RefreshHit", "RefreshHit"),
    "sc-content-type": ("application/vnd.apple.mpegurl", "application/vnd.apple.mpegurl"),
    "sc-content-len": ("1045000", 1045000),
    "sc-range-start": ("0", 0),
    "sc-range-end": ("1044999", 1044999),
    "c-port": ("55012", 55012),
    "x-edge-detailed-result-type": ("OriginConnectError", "OriginConnectError"),
    "c-country": ("NL", "NL"),
    "cs-accept-encoding": ("gzip,%20deflate,%20br", "gzip, deflate, br"),
    "cs-accept": ("application/dash%2Bxml,video/vnd.mpeg.dash.mpd", "application/dash+xml,video/vnd.mpeg.dash.mpd"),
    "cache-behavior-path-pattern": ("/vod/*", "/vod/*"),
    "cs-headers": (
        "Host:video.example.com%0ACMCD-Request:bl%3D21300%0A",
        "Host:video.example.com\nCMCD-Request:bl=21300\n",
    ),
    "origin-fbl": ("0.018", 0.018),
    "origin-lbl": ("0.031", 0.031),
    "asn": ("16509", 16509),
    "cmcd-encoded-bitrate": ("3200", "3200"),
    "cmcd-buffer-length": ("21300", "21300"),
    "cmcd-buffer-starvation": ("true", "true"),
    "cmcd-content-id": ("big-buck-bunny", "big-buck-bunny"),
    "cmcd-object-duration": ("4004", "4004"),
    "cmcd-deadline": ("18000", "18000"),
    "cmcd-measured-throughput": ("25400", "25400"),
    "cmcd-next-object-request": ("..%2F720p%2Fseg_00043.m4s", "../720p/seg_00043.m4s"),
    "cmcd-next-range-request": ("12323-48763", "12323-48763"),
    "cmcd-object-type": ("v", "v"),
    "cmcd-playback-rate": ("1.25", "1.25"),
    "cmcd-requested-maximum-throughput": ("15000", "15000"),
    "cmcd-streaming-format": ("h", "h"),
    "cmcd-session-id": ("6e2fb550-c457-11e9-bb97-0800200c9a66", "6e2fb550-c457-11e9-bb97-0800200c9a66"),
    "cmcd-stream-type": ("v", "v"),
    "cmcd-startup": ("true", "true"),
    "cmcd-top-bitrate": ("6000", "6000"),
    "cmcd-version": ("1", "1"),
}


def test_every_field_of_the_list_has_a_documented_case():
    assert set(DOCUMENTED) == set(ORDER)


@pytest.mark.parametrize("name", ORDER)
def test_each_field_reads_in_its_documented_format(name):
    raw, expected = DOCUMENTED[name]
    values = parse_line(line(**{name: raw}), ORDER)
    assert values[name] == expected
    assert type(values[name]) is type(expected)


@pytest.mark.parametrize("name", ORDER)
def test_a_dash_is_no_value_in_every_field(name):
    assert parse_line(line(**{name: "-"}), ORDER)[name] is None


def test_the_timestamp_is_read_to_the_millisecond():
    # Read as text, not through a float: the milliseconds are the digits CloudFront wrote.
    assert parse_line(line(timestamp="1733100000.129"), ORDER)["timestamp"] == 1733100000129
    assert parse_line(line(timestamp="1733100000"), ORDER)["timestamp"] == 1733100000000
    assert parse_line(line(timestamp="1733100000.5"), ORDER)["timestamp"] == 1733100000500


def test_values_are_decoded_once():
    # A percent sign the viewer sent is %25 in the log: decoded once, it is the viewer's %2F.
    values = parse_line(line(cs_uri_stem="/vod/a%252Fb/seg.ts", cs_user_agent="hls.js%2F1.5%20%2B"), ORDER)
    assert values["cs-uri-stem"] == "/vod/a%2Fb/seg.ts"
    assert values["cs-user-agent"] == "hls.js/1.5 +"


def test_lines_are_read_in_the_order_given_not_the_list():
    reversed_order = list(reversed(ORDER))
    values = parse_line(line(order=reversed_order), reversed_order)
    assert values["timestamp"] == 1733100000123 and values["x-edge-location"] == "AMS1-C1"


def test_a_field_the_code_does_not_know_is_kept_as_text():
    order = [*ORDER, "x-edge-mqcs"]
    text = line().decode().rstrip("\n") + "\tf%3D1\n"
    assert parse_line(text, order)["x-edge-mqcs"] == "f=1"


@pytest.mark.parametrize("fields", [len(ORDER) - 1, len(ORDER) + 1, 1])
def test_a_line_with_another_number_of_fields_says_how_many(fields):
    values = [SEGMENT[name] for name in ORDER]
    text = "\t".join((values * 2)[:fields])
    with pytest.raises(FieldCountError) as caught:
        parse_line(text, ORDER)
    assert str(caught.value) == f"{fields} tab-separated fields, the configuration has {len(ORDER)}"


@pytest.mark.parametrize(
    ("name", "raw"),
    [
        ("timestamp", "1733100000,123"),
        ("timestamp", "-1733100000.123"),
        ("timestamp", "1.7331e9"),
        ("sc-status", "OK"),
        ("sc-bytes", "-5"),
        ("sc-bytes", "99999999999999999999"),
        ("time-to-first-byte", "nan"),
        ("time-to-first-byte", "1e-3"),
        ("origin-fbl", "inf"),
        ("asn", "AS16509"),
        ("c-port", "0x50"),
    ],
)
def test_a_value_not_of_its_type_is_a_poison_record_naming_the_field(name, raw):
    with pytest.raises(FieldValueError) as caught:
        parse_line(line(**{name: raw}), ORDER)
    assert caught.value.field == name
    assert str(caught.value).startswith(f"{name}: expected ")
    assert isinstance(caught.value, PoisonRecordError) and caught.value.failure_type == "format"


def test_url_encoded_bytes_that_are_not_utf8_name_the_field():
    with pytest.raises(FieldValueError) as caught:
        parse_line(line(cs_user_agent="Mozilla%FF%FE"), ORDER)
    assert caught.value.field == "cs-user-agent"


def test_hostile_lines_are_typed_errors():
    huge = line(cs_uri_stem="/" + "a" * (MAX_LINE_BYTES + 1))
    with pytest.raises(LineTooLongError):
        parse_line(huge, ORDER)
    with pytest.raises(LineEncodingError, match="U\\+0000"):
        parse_line(line(cs_user_agent="Mozilla\x00"), ORDER)
    with pytest.raises(LineEncodingError, match="not UTF-8"):
        parse_line(line().replace(b"Mozilla", b"Moz\xffilla"), ORDER)
    with pytest.raises(LineEncodingError):
        parse_line(line().decode().replace("Mozilla", "Moz\udcffilla"), ORDER)
    with pytest.raises(FieldCountError):
        parse_line(b"", ORDER)
    with pytest.raises(FieldCountError):
        parse_line(b"\t" * 10_000, ORDER)
