"""Functional layer: the real code against moto in server mode over HTTP (fixtures in
tests/conftest.py, shared with the image and integration layers; the CDN log stream here)."""

from __future__ import annotations

from typing import Any

import pytest
from support.aws import CDN_LOG_STREAM, aws_client


@pytest.fixture
def log_stream(aws: str) -> Any:
    """The CDN log stream (one shard, as the local stand-in's), created; a Kinesis client."""
    kinesis = aws_client("kinesis", aws)
    kinesis.create_stream(StreamName=CDN_LOG_STREAM, ShardCount=1)
    kinesis.get_waiter("stream_exists").wait(StreamName=CDN_LOG_STREAM, WaiterConfig={"Delay": 0.2})
    return kinesis
