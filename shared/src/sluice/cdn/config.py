"""The field order on the stream: what the deployed real-time log configuration reports.

CloudFront writes each line's values in the order ``GetRealtimeLogConfig`` returns the fields
("In an API response, the fields are provided in the same order in which they are sent to the
Amazon Kinesis data stream", API reference, RealtimeLogConfig). Terraform's provider holds the
fields as a set, so the order listed in ``sluice.cdn.fields`` (and in Terraform) is not proof of
the order deployed: the reader asks CloudFront, once, and keeps the answer (``FieldOrder``).
"""

from __future__ import annotations

import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from sluice.cdn.fields import field_names
from sluice.cdn.logline import FieldCountError, Value, parse_line
from sluice.runtime.errors import SluiceError

__all__ = [
    "FULL_SAMPLING_RATE",
    "MIN_REFRESH_INTERVAL_S",
    "ORDER_TTL_S",
    "REQUIRED_FIELDS",
    "FieldOrder",
    "FieldOrderError",
    "LogConfiguration",
    "deployed_configuration",
    "deployed_fields",
    "deployed_order",
    "local_fields",
    "missing_fields",
]

# How long a fetched order is trusted before it is read again: a configuration is rarely changed,
# and CloudFront's control-plane API is throttled per account (a reader at full rate must not
# call it per batch). A line whose field count differs re-reads it sooner (see FieldOrder.parse).
ORDER_TTL_S = 300.0
# At most one re-read this often when lines disagree with the cached order: a stream of bad lines
# must not turn into a stream of GetRealtimeLogConfig calls.
MIN_REFRESH_INTERVAL_S = 30.0

# Without these a line cannot become an event: the event time and the event id.
REQUIRED_FIELDS = ("timestamp", "x-edge-request-id")


class FieldOrderError(SluiceError):
    """The deployed configuration cannot be read as one Sluice can use (a deployment problem,
    not a record's: every line would fail alike)."""


# CloudFront logs every request at 100 (its API takes 1 to 100, percent).
FULL_SAMPLING_RATE = 100


@dataclass(frozen=True)
class LogConfiguration:
    """What a reader needs of a deployed configuration: its lines' field order, and the share of
    requests they stand for (a line counts for ``100 / sampling_rate`` requests)."""

    fields: tuple[str, ...]
    sampling_rate: int = FULL_SAMPLING_RATE


def deployed_configuration(cloudfront: Any, name_or_arn: str) -> LogConfiguration:
    """The deployed configuration's fields, in the order its lines carry them, and its rate.

    ``cloudfront`` is a botocore CloudFront client; ``name_or_arn`` the configuration's name or ARN.
    """
    key = "ARN" if name_or_arn.startswith("arn:") else "Name"
    config = cloudfront.get_realtime_log_config(**{key: name_or_arn})["RealtimeLogConfig"]
    return LogConfiguration(tuple(config["Fields"]), int(config.get("SamplingRate", FULL_SAMPLING_RATE)))


def deployed_fields(cloudfront: Any, name_or_arn: str) -> list[str]:
    """The fields of the deployed configuration, in the order its lines carry them."""
    return list(deployed_configuration(cloudfront, name_or_arn).fields)


def missing_fields(fields: Sequence[str]) -> list[str]:
    """The fields a line needs to become an event that ``fields`` lacks."""
    return [name for name in REQUIRED_FIELDS if name not in fields]


def deployed_order(cloudfront: Any, name_or_arn: str) -> Callable[[], LogConfiguration]:
    """What a reader's ``FieldOrder`` fetches: the deployed configuration, refused when no line in
    it could become an event (``FieldOrderError``: a deployment to fix, not lines to fail one by one)."""

    def fetch() -> LogConfiguration:
        config = deployed_configuration(cloudfront, name_or_arn)
        missing = missing_fields(config.fields)
        if missing:
            raise FieldOrderError(f"real-time log configuration {name_or_arn} lacks {', '.join(missing)}")
        return config

    return fetch


def local_fields() -> list[str]:
    """The local CDN stand-in's order: the list in the code (it has no real-time log API)."""
    return field_names()


class FieldOrder:
    """The deployed order, fetched on first use and kept ``ORDER_TTL_S``; re-read early (at most
    every ``MIN_REFRESH_INTERVAL_S``) when a line has another number of fields than the kept order
    says, so that a configuration change is followed within one batch, not five minutes."""

    def __init__(
        self,
        fetch: Callable[[], LogConfiguration | Sequence[str]],
        *,
        ttl_s: float = ORDER_TTL_S,
        min_refresh_interval_s: float = MIN_REFRESH_INTERVAL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._fetch = fetch
        self._ttl_s = ttl_s
        self._min_refresh_interval_s = min_refresh_interval_s
        self._clock = clock
        self._order: tuple[str, ...] | None = None
        self._sampling_rate = FULL_SAMPLING_RATE
        self._fetched_at = 0.0

    def order(self) -> tuple[str, ...]:
        if self._order is None or self._clock() - self._fetched_at >= self._ttl_s:
            self._refresh()
        assert self._order is not None
        return self._order

    @property
    def sampling_rate(self) -> int:
        """The rate of the configuration last read (percent of requests logged)."""
        self.order()
        return self._sampling_rate

    def parse(self, line: bytes | str) -> dict[str, Value]:
        """One line in the deployed order; a field-count mismatch re-reads the order once (when
        the last read is old enough) before the line is declared unreadable."""
        order = self.order()
        try:
            return parse_line(line, order)
        except FieldCountError:
            if self._clock() - self._fetched_at < self._min_refresh_interval_s:
                raise
            self._refresh()
            if self._order == order:
                raise
            return parse_line(line, self.order())

    def _refresh(self) -> None:
        fetched = self._fetch()
        config = fetched if isinstance(fetched, LogConfiguration) else LogConfiguration(tuple(fetched))
        self._order, self._sampling_rate = config.fields, config.sampling_rate
        self._fetched_at = self._clock()
