"""Redshift's refused lines as failed events. COPY (MAXERROR) skips the lines it cannot load and
records them in STL_LOAD_ERRORS, but its ``raw_line`` is CHAR(1024) with every multibyte character
replaced by a period: not the record. So the whole line is read back from its lake object (one
GetObject per object with refused lines); only when the object is gone is Redshift's excerpt
kept, marked truncated (listed, never replayed)."""

from __future__ import annotations

import gzip
import logging
from typing import Any

from sluice.events.failed import FailedEvent
from sluice.producers.retry import error_code
from sluice.runtime.errors import RetryableError

__all__ = ["STAGE", "failed_events"]

log = logging.getLogger("sluice.loader")
STAGE = "loader"


def _object_lines(s3: Any, url: str) -> list[bytes] | None:
    bucket, _, key = url.removeprefix("s3://").partition("/")
    try:
        body: bytes = s3.get_object(Bucket=bucket, Key=key)["Body"].read()
    except Exception as exc:
        if error_code(exc) not in ("NoSuchKey", "404"):
            raise RetryableError(f"{url}: {error_code(exc)}") from exc
        log.warning("the lake object of refused lines is gone", extra={"object": url})
        return None
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    return body.split(b"\n")  # numbered as COPY numbers them (and as sluice.loader.lines does)


def failed_events(s3: Any, errors: list[dict[str, Any]]) -> list[FailedEvent]:
    """One failed event per STL_LOAD_ERRORS row, with the line as it is in its lake object."""
    lines_of: dict[str, list[bytes] | None] = {}
    events = []
    for error in errors:
        url = str(error["filename"])
        if url not in lines_of:
            lines_of[url] = _object_lines(s3, url)
        lines = lines_of[url]
        number = int(error["line_number"])
        whole = lines is not None and 0 < number <= len(lines)
        events.append(
            FailedEvent(
                failure_type="sink_rejection",
                stage=STAGE,
                error_code="RedshiftLoadError",
                error=f"line {number}: {error.get('colname') or ''}: {error['reason']}",
                original=lines[number - 1] if lines is not None and whole else str(error.get("raw_line", "")).encode(),
                original_truncated=not whole,
                source=f"{url}#L{number}",
            )
        )
    return events
