"""The bounds of the event contract, declared once in the schemas as field attributes.

``min_length`` / ``max_length`` bound a string in UTF-8 bytes (what a Redshift VARCHAR, a Kinesis
partition key and a DynamoDB key count); ``min_length`` is checked on the trimmed text, because
the processor trims identifiers, and an all-blank partition key is refused by Kinesis.
``minimum`` / ``maximum`` bound a number. A bounded string (and every string of the contract is
bounded: a schema test says so) also holds only text every sink can store (``UNSTORABLE_TEXT``).
Avro ignores attributes it does not know, so they leave the Parsing Canonical Form and the
fingerprint unchanged and sit in every shipped version.

Ingest enforces them on every event a player sends, the processor again on every record it
decodes (a replay or an older writer), and the warehouse DDL, the OpenSearch template and the
monitor's keys are generated from them: what ingest accepts, every sink holds.
"""

from __future__ import annotations

import math
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sluice.events.errors import FieldError
from sluice.events.registry import PLAYER_EVENT, Registry, default_registry, fullname

__all__ = [
    "BOUND_ATTRIBUTES",
    "REPLACEMENT",
    "UNSTORABLE_TEXT",
    "Bound",
    "Check",
    "RecordBounds",
    "clip",
    "encoded_size",
    "field_bounds",
    "max_bytes",
    "text_problem",
]

BOUND_ATTRIBUTES = ("min_length", "max_length", "minimum", "maximum")

# What no sink can store in a string: refused in every string a client sends (Bound), replaced
# by U+FFFD in what Sluice fills itself from a client's text (clip).
# - U+0000: PostgreSQL text cannot hold it ("invalid byte sequence for encoding UTF8: 0x00") nor
#   jsonb ("unsupported Unicode escape sequence: \u0000 cannot be converted to text"); Redshift
#   COPY fails on a NUL unless told to load the whole value as NULL (Redshift Database Developer
#   Guide, "Preparing your input data"); OpenSearch's completion fields refuse it as reserved.
# - U+D800..U+DFFF: a lone surrogate (JSON.stringify of a string cut inside an emoji writes
#   "\ud83c") is not Unicode text: UTF-8, so Avro, Kinesis and every sink, cannot encode it.
# Redshift VARCHAR takes any other code point of at most four UTF-8 bytes (its noncharacters
# U+FDD0..U+FDEF and U+xFFFE/U+xFFFF are loaded as valid UTF-8), PostgreSQL and OpenSearch too.
UNSTORABLE_TEXT = re.compile("[\x00\ud800-\udfff]")
REPLACEMENT = "\ufffd"


@dataclass(frozen=True, slots=True)
class Bound:
    min_length: int | None = None
    max_length: int | None = None
    minimum: float | None = None
    maximum: float | None = None

    @classmethod
    def of(cls, field: dict[str, Any]) -> Bound | None:
        """The bound a schema field declares, or None when it declares none."""
        if not any(name in field for name in BOUND_ATTRIBUTES):
            return None
        return cls(
            min_length=field.get("min_length"),
            max_length=field.get("max_length"),
            minimum=field.get("minimum"),
            maximum=field.get("maximum"),
        )

    def fast_accept(self) -> Callable[[Any], bool]:
        """A cheap test that is True only for values surely within the bound: the common case
        (short ASCII text, a number in range) pays a comparison or two; anything else is decided
        by :meth:`problem`. It runs on every field of every event, at ingest and in the processor."""
        accept: Callable[[Any], bool] = eval(f"lambda v: {_accept_expression(self)}", {"INF": math.inf})  # noqa: S307 - built from the shipped schema only
        return accept

    def problem(self, value: Any, path: str) -> FieldError | None:
        """What is wrong with ``value`` (already of the field's Avro type), or None."""
        if isinstance(value, str):
            return self._text_problem(value, path)
        if isinstance(value, bool) or not isinstance(value, int | float):
            return None
        if isinstance(value, float) and not math.isfinite(value):
            return FieldError(path, "out_of_range", f"{value} is not a finite number")
        if self.minimum is not None and value < self.minimum:
            return FieldError(path, "out_of_range", f"{value} is below the minimum of {_number(self.minimum)}")
        if self.maximum is not None and value > self.maximum:
            return FieldError(path, "out_of_range", f"{value} is above the maximum of {_number(self.maximum)}")
        return None

    def _text_problem(self, value: str, path: str) -> FieldError | None:
        unstorable = text_problem(value, path)
        if unstorable is not None:
            return unstorable
        if self.min_length is not None and len(value.strip().encode()) < self.min_length:
            return FieldError(
                path,
                "too_short",
                "must not be blank" if self.min_length == 1 else f"is shorter than {self.min_length} bytes",
            )
        if self.max_length is not None:
            size = encoded_size(value)
            if size > self.max_length:
                return FieldError(path, "too_long", f"is {size} bytes, over the limit of {self.max_length} bytes")
        return None


def text_problem(value: str, path: str) -> FieldError | None:
    """Why no sink can store ``value`` (see UNSTORABLE_TEXT), or None."""
    found = UNSTORABLE_TEXT.search(value)
    if found is None:
        return None
    at, character = found.start() + 1, found.group()
    if character == "\x00":
        return FieldError(
            path, "unstorable_text", f"holds U+0000 (NUL) at character {at}, which PostgreSQL and Redshift cannot store"
        )
    return FieldError(
        path,
        "unstorable_text",
        f"holds a lone surrogate U+{ord(character):04X} at character {at} (half of a character), which UTF-8 cannot encode",
    )


def encoded_size(value: str) -> int:
    """UTF-8 bytes of ``value`` as any stage may store it: the processor lower-cases categories,
    and lower-casing a few non-ASCII letters makes them longer (``İ`` → ``i̇``)."""
    size = len(value.encode())
    if not value.isascii():
        size = max(size, len(value.lower().encode()))
    return size


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


Check = Callable[[dict[str, Any], list[FieldError]], None]


def _accept_expression(bound: Bound) -> str:
    """Python source, over ``v``, true when ``v`` is surely within ``bound`` (see fast_accept):
    inlined into the generated check, since it runs on every field of every record."""
    if bound.min_length is not None or bound.max_length is not None:
        most = bound.max_length if bound.max_length is not None else 1 << 62
        # ASCII holds no lone surrogate; a NUL is looked for by ``in`` (C speed)
        if bound.min_length in (None, 0):
            return f"len(v) <= {most} and v.isascii() and '\\x00' not in v"
        if bound.min_length == 1:
            return f"len(v) <= {most} and v.isascii() and not v.isspace() and v != '' and '\\x00' not in v"
        return "False"
    low = repr(bound.minimum) if bound.minimum is not None else "-INF"
    high = repr(bound.maximum) if bound.maximum is not None else "INF"
    return f"{low} <= v <= {high}"


class _CheckCompiler:
    """Generates one function per record schema that checks a decoded record (fastavro's types,
    so no type tests are needed) against its fields' bounds; the rare value the inline test does
    not accept goes to Bound.problem for the verdict and the message."""

    def __init__(self) -> None:
        self.lines: list[str] = []
        self.namespace: dict[str, Any] = {"INF": math.inf, "_slow": _slow}
        self.done: dict[str, str] = {}

    def record(self, schema: dict[str, Any], path: str) -> str | None:
        name = f"check_{len(self.done)}_{schema['name']}"
        key = f"{fullname(schema)}@{path}"
        if key in self.done:
            return self.done[key]
        self.done[key] = name
        body: list[str] = []
        for field in schema["fields"]:
            where = f"{path}.{field['name']}" if path else field["name"]
            bound = Bound.of(field)
            nested = self._nested(field["type"], where)
            if bound is None and nested is None:
                continue
            body.append(f"    v = r.get({field['name']!r})")
            body.append("    if v is not None:")
            if bound is not None:
                bound_name = f"B{len(self.namespace)}"
                self.namespace[bound_name] = bound
                body.append(f"        if not ({_accept_expression(bound)}): _slow({bound_name}, v, {where!r}, errors)")
            if nested is not None:
                body.append(f"        {nested}")
        if not body:
            return None
        self.lines += [f"def {name}(r, errors):", *body, ""]
        return name

    def _nested(self, schema: Any, path: str) -> str | None:
        """The statement that checks a nested record (or a union of records) held in ``v``."""
        if isinstance(schema, dict) and schema.get("type") == "record":
            inner = self.record(schema, path)
            return f"{inner}(v, errors)" if inner else None
        if isinstance(schema, list):
            branches = {}
            for branch in schema:
                if isinstance(branch, dict) and branch.get("type") == "record":
                    inner = self.record(branch, path)
                    if inner:
                        branches[fullname(branch)] = inner
            if branches:
                table = f"U{len(self.namespace)}"
                self.namespace[table] = branches
                # fastavro decodes a union of records as (record name, fields) with return_record_name.
                return f"c = {table}.get(v[0]) if v.__class__ is tuple else None\n        if c is not None: NS[c](v[1], errors)"
        return None

    def build(self, schema: dict[str, Any]) -> Check | None:
        top = self.record(schema, "")
        if top is None:
            return None
        source = "\n".join(self.lines)
        self.namespace["NS"] = self.namespace
        exec(compile(source, "<sluice bounds>", "exec"), self.namespace)  # noqa: S102 - code built from the shipped schema only
        check: Check = self.namespace[top]
        return check


def _slow(bound: Bound, value: Any, path: str, errors: list[FieldError]) -> None:
    problem = bound.problem(value, path)
    if problem is not None:
        errors.append(problem)


class RecordBounds:
    """Checks a decoded player_event record (the processor's view) against the schema's bounds."""

    def __init__(self, registry: Registry | None = None) -> None:
        schema = (registry or default_registry()).latest(PLAYER_EVENT).schema
        self._check = _CheckCompiler().build(schema)

    def problems(self, record: dict[str, Any]) -> list[FieldError]:
        errors: list[FieldError] = []
        if self._check is not None:
            self._check(record, errors)
        return errors


@cache
def field_bounds(registry: Registry | None = None) -> dict[str, Bound]:
    """Every bounded field of the current schema by dotted path (payload fields by their own name,
    as they flatten): what the monitor's keys and the docs are computed from."""
    schema = (registry or default_registry()).latest(PLAYER_EVENT).schema
    bounds: dict[str, Bound] = {}

    def walk(record: dict[str, Any], prefix: str) -> None:
        for field in record["fields"]:
            bound = Bound.of(field)
            if bound is not None:
                bounds[prefix + field["name"]] = bound
            branches = field["type"] if isinstance(field["type"], list) else [field["type"]]
            for branch in branches:
                if isinstance(branch, dict) and branch.get("type") == "record":
                    walk(branch, "" if field["name"] == "payload" else f"{prefix}{field['name']}.")

    walk(schema, "")
    return bounds


def max_bytes(path: str) -> int:
    """The most UTF-8 bytes a bounded string field can hold (KeyError for an unbounded one)."""
    bound = field_bounds()[path]
    if bound.max_length is None:
        raise KeyError(f"{path} declares no max_length")
    return bound.max_length


def clip(value: str | None, max_length: int) -> str | None:
    """``value`` cut to at most ``max_length`` UTF-8 bytes (never inside a character), what no
    sink can store replaced by U+FFFD: for the fields Sluice fills itself from what a client sent
    (a user agent, a request id), which must fit, never be refused."""
    if value is None:
        return None
    if not value.isascii() or "\x00" in value:
        value = UNSTORABLE_TEXT.sub(REPLACEMENT, value)
    if len(value) * 4 <= max_length:
        return value
    encoded = value.encode()
    if len(encoded) <= max_length:
        return value
    return encoded[:max_length].decode("utf-8", "ignore")
