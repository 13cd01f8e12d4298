"""``format_line``, the inverse of ``parse_line``: every field of the list, in every format,
written as CloudFront writes it and read back as the same value."""

from __future__ import annotations

import pytest
from support.cdn_lines import line

from sluice.cdn.fields import BY_NAME, FieldFormat, field_names
from sluice.cdn.logline import MAX_LONG, format_line, parse_line

ORDER = field_names()

# Values of each format that a line must carry through unchanged: the edges of each type, and the
# text that only encoding keeps (a tab or newline would split the line, "%" would decode, "-"
# would read as no value, non-ASCII must go as UTF-8 bytes).
CASES: dict[FieldFormat, list[object]] = {
    FieldFormat.EPOCH_SECONDS: [0, 999, 1_733_100_000_123, 1_733_100_000_000, 99_999_999_999_999],
    FieldFormat.SECONDS: [0.0, 0.002, 0.082, 12.5, 0.0001, 123456.789, 0.123456789],
    FieldFormat.INTEGER: [0, 200, 503, 1_045_619, MAX_LONG],
    FieldFormat.TEXT: [
        "GET",
        "",
        "-",
        "--",
        "a b\tc\nd\re",
        "100% %2F%zz",
        "/vod/big buck bunny/720p/seg_00042.m4s",
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        'CMCD=br=3200,bs,sid="6e2f",nor="..%2Fseg_2.m4s"&token=a+b=c&&x',
        "Host:video.example.com\nCMCD-Request:bl=21300\n",
        "Zürich 東京 🎬",
        "#<>\"\\^`{|}~ ?=&;:@/+$!'()*,",
        "\x00\x01\x7f",
    ],
}
CASES[FieldFormat.CMCD] = [*CASES[FieldFormat.TEXT], "3200", "true", '"6e2f"', "(1 2)"]


def _values(name: str) -> list[object]:
    return CASES[BY_NAME[name].format]


@pytest.mark.parametrize("name", ORDER)
def test_every_field_reads_back_as_the_value_written(name):
    # GIVEN a line whose other fields are a real request, and this field each value of its format
    base = parse_line(line(), ORDER)
    for value in _values(name):
        values = {**base, name: value}
        # WHEN it is written and read
        text = format_line(values, ORDER)
        # THEN it is one line of the configured fields, and reads as the values written
        assert "\n" not in text and text.count("\t") == len(ORDER) - 1
        assert parse_line(text, ORDER) == values, (name, value, text.split("\t")[ORDER.index(name)])


@pytest.mark.parametrize("name", ORDER)
def test_no_value_is_a_dash_and_reads_back_as_none(name):
    values = {**parse_line(line(), ORDER), name: None}
    assert format_line(values, ORDER).split("\t")[ORDER.index(name)] == "-"
    assert parse_line(format_line(values, ORDER), ORDER)[name] is None


def test_a_cloudfront_line_is_written_back_byte_for_byte():
    written = line().decode().rstrip("\n")
    assert format_line(parse_line(written, ORDER), ORDER) == written


def test_values_are_in_cloudfronts_formats():
    values = {
        "timestamp": 1_733_100_000_007,
        "time-to-first-byte": 0.002,
        "time-taken": 1.5,
        "sc-status": 0,
        "cs-user-agent": "Slackbot 1.0 (+https://api.slack.com/robots)",
        "cs-uri-query": 'CMCD=br=3200,sid="6e2f"',
        "cmcd-next-object-request": "../720p/seg_00043.m4s",
        "cs-headers": "Host:video.example.com\nCMCD-Request:bl=21300\n",
    }
    order = list(values)
    assert format_line(values, order).split("\t") == [
        "1733100000.007",
        "0.002",
        "1.500",
        "000",
        "Slackbot%201.0%20(+https://api.slack.com/robots)",
        "CMCD=br%3D3200%2Csid%3D%226e2f%22",
        "..%2F720p%2Fseg_00043.m4s",
        "Host:video.example.com%0ACMCD-Request:bl=21300%0A",
    ]


def test_fields_are_written_in_the_order_given_and_absent_ones_as_dashes():
    order = ["x-edge-location", "timestamp", "sc-status"]
    assert format_line({"timestamp": 1_000, "x-edge-location": "AMS1-C1", "asn": 1136}, order) == "AMS1-C1\t1.000\t-"


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("timestamp", -1),
        ("timestamp", 1.5),
        ("sc-status", -200),
        ("sc-bytes", MAX_LONG + 1),
        ("sc-bytes", True),
        ("sc-bytes", "200"),
        ("time-taken", -0.1),
        ("time-taken", float("nan")),
        ("time-taken", float("inf")),
        ("time-taken", 1),
        ("time-taken", 1e-12),
        ("cs-user-agent", 5),
        ("cs-user-agent", "Moz\udcffilla"),
    ],
)
def test_a_value_its_field_cannot_hold_is_refused_naming_the_field(name, value):
    with pytest.raises(ValueError, match=f"^{name}: "):
        format_line({name: value}, [name])
