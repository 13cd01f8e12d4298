"""Lambda tumbling windows, as the Kinesis event source mapping drives them: records of one shard
grouped into windows by arrival time, each window's invocations chained through ``state``, and a
final invocation per window with ``isFinalInvokeForWindow`` (AWS Lambda Developer Guide,
"Using tumbling windows").

A state over Lambda's 1 MB ends the window early, as Lambda does: an invocation with
``isWindowTerminatedEarly`` (and ``isFinalInvokeForWindow``) carries that state, and the window
goes on with fresh state, so a handler has to store each part of a window on its own."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from typing import Any

from sluice.batch.kinesis import LAMBDA_WINDOW_STATE_BYTES

__all__ = ["Handler", "iso", "run_windows", "state_too_large", "window_of"]

Handler = Callable[[dict[str, Any]], dict[str, Any]]


def state_too_large(state: dict[str, Any]) -> bool:
    return len(json.dumps(state)) > LAMBDA_WINDOW_STATE_BYTES


def iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, tz=UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def window_of(arrival_s: float, window_seconds: int) -> float:
    return arrival_s - arrival_s % window_seconds


def run_windows(
    handler: Handler,
    shard_id: str,
    source_arn: str,
    records: Iterable[dict[str, Any]],
    *,
    window_seconds: int,
    batch_size: int = 100,
) -> list[dict[str, Any]]:
    """Invokes ``handler`` for every window the shard's records fall in; returns the responses."""
    by_window: dict[float, list[dict[str, Any]]] = {}
    for record in records:
        start = window_of(record["kinesis"]["approximateArrivalTimestamp"], window_seconds)
        by_window.setdefault(start, []).append(record)
    responses = []
    for start in sorted(by_window):
        window = {"start": iso(start), "end": iso(start + window_seconds)}
        state: dict[str, Any] = {}
        batch_records = by_window[start]
        for offset in range(0, len(batch_records), batch_size):
            event = _event(
                batch_records[offset : offset + batch_size], window, state, shard_id, source_arn, final=False
            )
            response = handler(event)
            responses.append(response)
            state = response.get("state") or {}
            if state_too_large(state):
                responses.append(handler(_event([], window, state, shard_id, source_arn, final=True, early=True)))
                state = {}
        responses.append(handler(_event([], window, state, shard_id, source_arn, final=True)))
    return responses


def _event(
    records: list[dict[str, Any]],
    window: dict[str, str],
    state: dict[str, Any],
    shard_id: str,
    source_arn: str,
    *,
    final: bool,
    early: bool = False,
) -> dict[str, Any]:
    return {
        "Records": records,
        "window": window,
        "state": state,
        "shardId": shard_id,
        "eventSourceARN": source_arn,
        "isFinalInvokeForWindow": final,
        "isWindowTerminatedEarly": early,
    }
