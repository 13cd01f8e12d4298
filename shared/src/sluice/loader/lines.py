"""Lake lines to warehouse rows: each line checked against the columns and what the warehouse can
store, so one bad line is one failed event and the good lines of the object still load.

A line the COPY would refuse fails the whole statement (and, before, the whole object for ever),
so the warehouse's limits are checked here, before it; whatever still slips through is isolated
by the load itself (``sluice.loader.postgres``)."""

from __future__ import annotations

import gzip
import json
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from functools import cache
from typing import Any

from sluice.artifacts.columns import Column, event_columns
from sluice.events.bounds import text_problem

__all__ = [
    "BIGINT_RANGE",
    "INT_RANGE",
    "REAL_MAX",
    "REDSHIFT_VARCHAR_MAX_BYTES",
    "BadLine",
    "ParsedObject",
    "Problem",
    "column_names",
    "parse_object",
]

# Redshift VARCHAR holds at most 65,535 bytes, whatever a schema's bound says.
REDSHIFT_VARCHAR_MAX_BYTES = 65_535
# PostgreSQL / Redshift INTEGER and BIGINT ranges; REAL (float4) largest finite value.
INT_RANGE = (-(2**31), 2**31 - 1)
BIGINT_RANGE = (-(2**63), 2**63 - 1)
REAL_MAX = 3.4028234663852886e38


@dataclass(frozen=True, slots=True)
class BadLine:
    number: int
    raw: bytes
    reason: str
    event_id: str | None = None
    # schema: a value that does not match the column; format: not a JSON object; sink_rejection:
    # a value the schema allows but the warehouse cannot store.
    failure_type: str = "schema"


@dataclass
class ParsedObject:
    rows: list[tuple[Any, ...]] = field(default_factory=list)
    lines: list[bytes] = field(default_factory=list)  # the good lines, exactly as in the object
    event_ids: list[str] = field(default_factory=list)
    numbers: list[int] = field(default_factory=list)  # the good lines' numbers in the object
    bad: list[BadLine] = field(default_factory=list)


def _text_problem(value: str) -> str | None:
    """Why the warehouse cannot store this text (U+0000, a lone surrogate: the limit is named in
    ``sluice.events.bounds.UNSTORABLE_TEXT``), or None."""
    problem = text_problem(value, "")
    return None if problem is None else problem.message


@dataclass(frozen=True, slots=True)
class Problem:
    reason: str
    failure_type: str = "schema"  # or sink_rejection: the schema allows it, the warehouse cannot store it


def _unstorable(reason: str) -> Problem:
    return Problem(reason, "sink_rejection")


def _check(column: Column) -> Callable[[Any], Problem | str | None]:
    """A function saying what is wrong with a value for this column (text: the schema refuses it),
    or None."""
    max_bytes = min(column.max_length, REDSHIFT_VARCHAR_MAX_BYTES)
    low, high = INT_RANGE if column.avro_type == "int" else BIGINT_RANGE

    def check(value: Any) -> Problem | str | None:
        if value is None:
            return None if column.nullable else "required column is missing"
        kind = column.avro_type
        if kind in ("string", "uuid", "enum"):
            if not isinstance(value, str):
                return f"expected text, got {json.dumps(value)[:40]}"
            if kind == "string" and len(value.encode()) > max_bytes:
                return _unstorable(f"{len(value.encode())} bytes, over the column's {max_bytes}")
            return None
        if kind in ("long", "int"):
            if not isinstance(value, int) or isinstance(value, bool):
                return f"expected an integer, got {json.dumps(value)[:40]}"
            return None if low <= value <= high else _unstorable(f"{str(value)[:40]} is out of the column's range")
        if kind in ("double", "float"):
            if not isinstance(value, int | float) or isinstance(value, bool):
                return f"expected a number, got {json.dumps(value)[:40]}"
            try:
                number = float(value)
            except OverflowError:
                number = math.inf
            if not math.isfinite(number) or (kind == "float" and abs(number) > REAL_MAX):
                return _unstorable(f"{json.dumps(value)[:40]} is out of the column's range")
            return None
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
def _checks() -> tuple[tuple[str, Callable[[Any], Problem | str | None]], ...]:
    return tuple((c.name, _check(c)) for c in event_columns())


def column_names() -> list[str]:
    return [name for name, _ in _checks()]


def _named(name: str, problem: Problem | str) -> Problem:
    if isinstance(problem, Problem):
        return Problem(f"{name}: {problem.reason}", problem.failure_type)
    return Problem(f"{name}: {problem}")


def _refuse_constant(name: str) -> Any:
    # Python reads NaN and Infinity; JSON has no such tokens and PostgreSQL's json refuses them.
    raise ValueError(f"{name} is not JSON")


# In a JSON line (UTF-8, control characters escaped) a U+0000 or a lone surrogate can only be an
# escape, \u0000 or \uD800..\uDFFF: lines without one skip the text scan (most of them).
_MAY_HOLD_UNSTORABLE = re.compile(rb"\\u(0000|[dD][89a-fA-F])")


def _unstorable_text(value: dict[str, Any]) -> list[Problem]:
    """PostgreSQL unescapes every top-level key and string of a line it maps to a row, not only
    the columns': a U+0000 or a lone surrogate anywhere there fails the statement all the same."""
    problems = []
    for key, item in value.items():
        if (problem := _text_problem(key)) is not None:
            problems.append(_unstorable(f"a key {problem}"))
        elif isinstance(item, str) and (problem := _text_problem(item)) is not None:
            problems.append(_unstorable(f"{key[:64]}: {problem}"))
    return problems


def parse_object(body: bytes) -> ParsedObject:
    if body[:2] == b"\x1f\x8b":
        body = gzip.decompress(body)
    parsed = ParsedObject()
    checks = _checks()
    for number, raw in enumerate(body.split(b"\n"), start=1):
        if not raw.strip():
            continue
        try:
            value = json.loads(raw, parse_constant=_refuse_constant)
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            parsed.bad.append(BadLine(number, raw, f"not JSON: {exc}", failure_type="format"))
            continue
        if not isinstance(value, dict):
            parsed.bad.append(BadLine(number, raw, "not a JSON object", failure_type="format"))
            continue
        event_id = value.get("event_id") if isinstance(value.get("event_id"), str) else None
        # Text first: the columns' checks count UTF-8 bytes, which a lone surrogate has none of.
        problems = _unstorable_text(value) if _MAY_HOLD_UNSTORABLE.search(raw) else []
        if not problems:
            problems = [_named(name, p) for name, check in checks if (p := check(value.get(name))) is not None]
        if problems:
            # A line the schema refuses is a schema failure, whatever else is wrong with it.
            unstorable = all(p.failure_type == "sink_rejection" for p in problems)
            reason = "; ".join(p.reason for p in problems)
            parsed.bad.append(BadLine(number, raw, reason, event_id, "sink_rejection" if unstorable else "schema"))
            continue
        parsed.rows.append(tuple(value.get(name) for name, _ in checks))
        parsed.lines.append(raw.strip())
        parsed.event_ids.append(str(event_id))
        parsed.numbers.append(number)
    return parsed
