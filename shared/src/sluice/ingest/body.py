"""The events in a request body: one JSON object, a JSON array of objects, or NDJSON."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sluice.events.errors import MalformedJsonError
from sluice.events.json_mapping import json_size, parse_json
from sluice.ingest.request import RequestError

NDJSON_TYPES = (
    "application/x-ndjson",
    "application/jsonl",
    "application/ndjson",
    "application/json-seq",
    "application/jsonlines",
)


@dataclass(frozen=True, slots=True)
class BodyEvent:
    """One event of a request: its parsed value and size, or why its line could not be parsed."""

    value: Any
    size: int
    error: MalformedJsonError | None = None


def _ndjson(text: bytes) -> list[BodyEvent]:
    events = []
    for raw_line in text.split(b"\n"):
        line = raw_line.strip()
        if not line:
            continue
        try:
            events.append(BodyEvent(parse_json(line), len(line)))
        except MalformedJsonError as exc:
            # One broken line is that event's problem, not the request's.
            events.append(BodyEvent(None, len(line), exc))
    return events


def split_events(body: bytes, content_type: str | None, max_events: int) -> list[BodyEvent]:
    stripped = body.strip()
    if not stripped:
        raise RequestError(400, "request body is empty; send a JSON object, a JSON array of objects, or NDJSON")
    media_type = (content_type or "").split(";")[0].strip().lower()
    if media_type in NDJSON_TYPES:
        events = _ndjson(stripped)
    else:
        try:
            value = parse_json(stripped)
        except MalformedJsonError as exc:
            first_line = stripped.split(b"\n", 1)[0]
            if b"\n" in stripped and _is_json_object(first_line):
                events = _ndjson(stripped)  # NDJSON sent without its media type
            else:
                raise RequestError(400, f"request body is not valid JSON: {exc}") from None
        else:
            if isinstance(value, list):
                events = [BodyEvent(item, json_size(item)) for item in value]
            else:
                events = [BodyEvent(value, len(stripped))]
    if not events:
        raise RequestError(400, "request body holds no events")
    if len(events) > max_events:
        raise RequestError(
            413,
            f"request holds {len(events)} events, over the limit of {max_events} per request (SLUICE_MAX_EVENTS_PER_REQUEST)",
            limit="max_events_per_request",
        )
    return events


def _is_json_object(line: bytes) -> bool:
    try:
        return isinstance(parse_json(line), dict)
    except MalformedJsonError:
        return False
