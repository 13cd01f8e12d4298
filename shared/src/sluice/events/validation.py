"""Checks of meaning on a decoded event, beyond what the schema can say."""

from __future__ import annotations

from typing import Any

from sluice.events.errors import FutureEventError, LateEventError, OversizedEventError, ValidationError
from sluice.events.json_mapping import payload_record_name

__all__ = [
    "DEFAULT_MAX_EVENT_BYTES",
    "DEFAULT_MAX_FUTURE_SKEW_MS",
    "DEFAULT_MAX_LATENESS_MS",
    "check_client_time",
    "check_payload",
    "check_size",
    "check_size_of",
]

DEFAULT_MAX_EVENT_BYTES = 32 * 1024
# Ingest's clock and the processor's may differ a little; a record received further ahead is not ours.
DEFAULT_MAX_FUTURE_SKEW_MS = 5 * 60 * 1000
# Records replayed into the raw stream (``sluice failed replay``) are received again by the
# processor; past a week after ingest received them they no longer belong in realtime views.
DEFAULT_MAX_LATENESS_MS = 7 * 24 * 60 * 60 * 1000


def check_size(raw: bytes, limit: int = DEFAULT_MAX_EVENT_BYTES) -> None:
    check_size_of(len(raw), limit)


def check_size_of(size: int, limit: int = DEFAULT_MAX_EVENT_BYTES) -> None:
    if size > limit:
        raise OversizedEventError(f"event is {size} bytes, over the per-event limit of {limit} bytes")


def check_payload(record: dict[str, Any]) -> None:
    """The payload is present and is the record its event type names."""
    payload = record.get("payload")
    expected = payload_record_name(record["event_type"])
    if payload is None:
        raise ValidationError(f"payload: required for event type {record['event_type']}")
    if payload[0] != expected:
        raise ValidationError(
            f"payload: {payload[0].rsplit('.', 1)[-1]} does not belong to event type {record['event_type']}"
        )


def check_client_time(
    record: dict[str, Any],
    now_ms: int,
    *,
    max_future_skew_ms: int = DEFAULT_MAX_FUTURE_SKEW_MS,
    max_lateness_ms: int = DEFAULT_MAX_LATENESS_MS,
) -> None:
    """Late and future by the server's clock: ``server_time`` is when ingest received the event,
    so it is behind by more than ``max_lateness_ms`` only for a replay of old records, and ahead
    only for a record stamped by another clock. A player's own clock (``client_time``) minutes or
    days off is kept as data, never judged: ``enrichment.ingest_lag_ms`` records its skew."""
    received: int = record["server_time"]
    if received > now_ms + max_future_skew_ms:
        raise FutureEventError(
            f"server_time is {(received - now_ms) / 1000:.0f} s in the future (allowed clock skew {max_future_skew_ms / 1000:.0f} s)"
        )
    if received < now_ms - max_lateness_ms:
        raise LateEventError(
            f"server_time is {(now_ms - received) / 3_600_000:.1f} h old (late-arrival limit {max_lateness_ms / 3_600_000:.1f} h)"
        )
