"""Failed events as the failed-events Firehose stores them: S3 objects under ``failed/`` holding
one base64 single-object Avro record per line (gzip-compressed when the stream compresses)."""

from __future__ import annotations

import base64
import binascii
import gzip
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

from sluice.events.codec import Codec
from sluice.events.failed import FailedEvent
from sluice.events.registry import FAILED_EVENT
from sluice.runtime.errors import PoisonRecordError

__all__ = ["StoredFailure", "Unreadable", "read_failures"]


@dataclass(frozen=True)
class StoredFailure:
    key: str
    line: int
    event: FailedEvent


@dataclass(frozen=True)
class Unreadable:
    key: str
    line: int
    error: str


def _lines(body: bytes) -> list[bytes]:
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return body.splitlines()


def read_failures(
    s3: Any,
    bucket: str,
    prefix: str = "failed/",
    *,
    since_ms: int | None = None,
    until_ms: int | None = None,
) -> Iterator[StoredFailure | Unreadable]:
    """Every failed event under ``prefix`` whose failed_time is within [since, until)."""
    codec = Codec(FAILED_EVENT)
    for page in s3.get_paginator("list_objects_v2").paginate(Bucket=bucket, Prefix=prefix):
        for obj in page.get("Contents", []):
            body = s3.get_object(Bucket=bucket, Key=obj["Key"])["Body"].read()
            for number, line in enumerate(_lines(body), start=1):
                if not line.strip():
                    continue
                try:
                    event = FailedEvent.from_record(codec.decode(base64.b64decode(line, validate=True)))
                except (PoisonRecordError, binascii.Error) as exc:
                    yield Unreadable(obj["Key"], number, f"{type(exc).__name__}: {exc}")
                    continue
                if since_ms is not None and event.failed_time < since_ms:
                    continue
                if until_ms is not None and event.failed_time >= until_ms:
                    continue
                yield StoredFailure(obj["Key"], number, event)
