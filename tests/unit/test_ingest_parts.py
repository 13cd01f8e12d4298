"""Pure parts of the ingest stage: bodies, context, limits."""

from __future__ import annotations

import gzip

import pytest

from sluice.events.addresses import truncate_ip
from sluice.ingest.body import split_events
from sluice.ingest.config import IngestConfig
from sluice.ingest.context import country_of
from sluice.ingest.request import HttpRequest, RequestError, decoded_body
from sluice.runtime.config import ConfigError


def _request(body: bytes, **headers: str) -> HttpRequest:
    return HttpRequest("POST", {k.replace("_", "-"): v for k, v in headers.items()}, body, "r", None, None)


@pytest.mark.parametrize(
    ("address", "prefix"),
    [
        ("203.0.113.77", "203.0.113.0/24"),
        ("2001:db8:85a3:1:2:3:4:5", "2001:db8:85a3::/48"),
        ("not-an-ip", None),
        (None, None),
    ],
)
def test_ip_is_truncated_to_its_network(address, prefix):
    assert truncate_ip(address) == prefix


def test_country_comes_from_the_viewer_country_header_only_when_well_formed():
    assert country_of(_request(b"", cloudfront_viewer_country="gb")) == "GB"
    assert country_of(_request(b"", cloudfront_viewer_country="United Kingdom")) is None


def test_array_object_and_ndjson_bodies():
    assert [e.value for e in split_events(b'[{"a":1},{"b":2}]', "application/json", 10)] == [{"a": 1}, {"b": 2}]
    assert [e.value for e in split_events(b'{"a":1}', None, 10)] == [{"a": 1}]
    ndjson = split_events(b'{"a":1}\n\n{"b":2}\n', None, 10)  # no media type: recognised by shape
    assert [e.value for e in ndjson] == [{"a": 1}, {"b": 2}]
    broken = split_events(b'{"a":1}\n{"b":', "application/x-ndjson", 10)
    assert broken[1].error is not None and "line 1 column 6" in str(broken[1].error)


def test_gzip_within_and_over_the_limit():
    assert decoded_body(_request(gzip.compress(b"x" * 100), content_encoding="gzip"), 1000) == b"x" * 100
    with pytest.raises(RequestError) as caught:
        decoded_body(_request(gzip.compress(b"x" * 5000), content_encoding="gzip"), 1000)
    assert caught.value.status == 413
    with pytest.raises(RequestError, match="truncated"):
        decoded_body(_request(gzip.compress(b"x" * 500)[:-12], content_encoding="gzip"), 1000)


def test_configuration_errors_name_the_variable():
    with pytest.raises(ConfigError, match="SLUICE_RAW_STREAM is not set"):
        IngestConfig.from_env({})
    with pytest.raises(ConfigError, match="SLUICE_MAX_BODY_BYTES='lots' is not an integer"):
        IngestConfig.from_env({"SLUICE_RAW_STREAM": "raw", "SLUICE_MAX_BODY_BYTES": "lots"})
    with pytest.raises(ConfigError, match="SLUICE_AGGREGATE='zip' is not one of none, kpl"):
        IngestConfig.from_env({"SLUICE_RAW_STREAM": "raw", "SLUICE_AGGREGATE": "zip"})
    config = IngestConfig.from_env(
        {"SLUICE_RAW_STREAM": "raw", "SLUICE_AGGREGATE": "KPL", "SLUICE_MAX_EVENTS_PER_REQUEST": "50"}
    )
    assert (config.aggregate, config.max_events_per_request) == ("kpl", 50)
