"""Lake lines to warehouse rows: each line checked against the columns, so one bad line is one
failed event and the good lines of the object still load."""

from __future__ import annotations

import gzip
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sluice.artifacts.columns import Column, event_columns


@dataclass(frozen=True, slots=True)
class BadLine:
    number: int
    raw: bytes
    reason: str
    event_id: str | None = None


@dataclass
class ParsedObject:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)  # the good lines, exactly as in the object
    event_ids: list[str] = field(default_factory=list)
    bad: list[BadLine] = field(default_factory=list)


def _check(column: Column) -> Callable[[Any], str | None]:
    """A function saying what is wrong with a value for this column, or None."""

    def check(value: Any) -> str | None:
        if value is None:
            return None if column.nullable else "required column is missing"
        kind = column.avro_type
        if kind in ("string", "uuid", "enum"):
            if not isinstance(value, str):
                return f"expected text, got {json.dumps(value)[:40]}"
            if len(value.encode()) > column.max_length and kind == "string":
                return f"{len(value.encode())} bytes, over the column's {column.max_length}"
            return None
        if kind in ("long", "int"):
            return (
                None
                if isinstance(value, int) and not isinstance(value, bool)
                else f"expected an integer, got {json.dumps(value)[:40]}"
            )
        if kind in ("double", "float"):
            return (
                None
                if isinstance(value, int | float) and not isinstance(value, bool)
                else f"expected a number, got {json.dumps(value)[:40]}"
            )
        if kind == "boolean":
            return None if isinstance(value, bool) else f"expected true or false, got {json.dumps(value)[:40]}"
        if kind == "timestamp":
            try:
                datetime.fromisoformat(value)
            except (TypeError, ValueError):
                return f"expected an ISO-8601 time, got {json.dumps(value)[:40]}"
            return None
        return None

    return check


@cache
def _checks() -> tuple[tuple[str, Callable[[Any], str | None]], ...]:
    return tuple((c.name, _check(c)) for c in event_columns())


def column_names() -> list[str]:
    return [name for name, _ in _checks()]


def parse_object(body: bytes) -> ParsedObject:
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    parsed = ParsedObject()
    checks = _checks()
    for number, raw in enumerate(body.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw)
        except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as exc:
            parsed.bad.append(BadLine(number, raw, f"not JSON: {exc}"))
            continue
        if not isinstance(value, dict):
            parsed.bad.append(BadLine(number, raw, "not a JSON object"))
            continue
        problems = [f"{name}: {problem}" for name, check in checks if (problem := check(value.get(name))) is not None]
        event_id = value.get("event_id") if isinstance(value.get("event_id"), str) else None
        if problems:
            parsed.bad.append(BadLine(number, raw, "; ".join(problems), event_id))
            continue
        parsed.rows.append(tuple(value.get(name) for name, _ in checks))
        parsed.lines.append(raw.strip())
        parsed.event_ids.append(str(event_id))
    return parsed
