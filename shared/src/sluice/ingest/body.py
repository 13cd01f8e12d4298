"""The events in a request body: one JSON object, a JSON array of objects, or NDJSON."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluice.events.errors import MalformedJsonError
from sluice.events.json_mapping import json_size, parse_json
from sluice.ingest.request import RequestError
from sluice.runtime.errors import PoisonRecordError

__all__ = ["NDJSON_TYPES", "BodyEvent", "split_cmcd", "split_events"]

NDJSON_TYPES = (
    "application/x-ndjson",
    "application/jsonl",
    "application/ndjson",
    "application/json-seq",
    "application/jsonlines",
)


@dataclass(frozen=True, slots=True)
class BodyEvent:
    """One event of a request: its parsed value and size, or why its line could not be parsed;
    for a CMCD report, the keys dropped from it (``key: why``), and for a report line that could
    not be read at all, the line (what the operator's log shows)."""

    value: Any
    size: int
    error: PoisonRecordError | None = None
    dropped: tuple[str, ...] = ()
    unreadable: str | None = None


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
    _within(len(events), max_events)
    return events


def _within(count: int, max_events: int) -> None:
    if count > max_events:
        raise RequestError(
            413,
            f"request holds {count} events, over the limit of {max_events} per request (SLUICE_MAX_EVENTS_PER_REQUEST)",
            limit="max_events_per_request",
        )


def _is_json_object(line: bytes) -> bool:
    try:
        return isinstance(parse_json(line), dict)
    except MalformedJsonError:
        return False


def split_cmcd(
    body: bytes,
    max_events: int,
    *,
    received_ms: int,
    query: Mapping[str, str],
    network: str | None = None,
    user_agent: str | None = None,
) -> list[BodyEvent]:
    """CMCD reports as players POST them to a collector (``application/cmcd``: one report per
    line), each mapped to a contract event; a line that cannot be read is that line's problem
    (``BodyEvent.unreadable``), a key that cannot be used is dropped from its report (``dropped``).
    ``network`` and ``user_agent`` key the session of reports without ``sid`` (sluice.cmcd.session)."""
    from sluice.cmcd.contract import to_event
    from sluice.cmcd.report import CmcdError, parse_report

    lines = [line for line in body.decode("utf-8", "replace").splitlines() if line.strip()]
    if not lines:
        raise RequestError(400, "request body holds no CMCD report; send one report per line")
    _within(len(lines), max_events)
    events = []
    for line in lines:
        size = len(line.encode())
        try:
            report = parse_report(line)
        except CmcdError as exc:
            events.append(BodyEvent(None, size, exc, unreadable=line))
            continue
        event = to_event(report, received_ms=received_ms, query=query, network=network, user_agent=user_agent)
        events.append(BodyEvent(event, size, dropped=tuple(f"{k}: {why}" for k, why in report.invalid.items())))
    return events
