"""The bounds of the event contract, declared once in the schemas as field attributes.

``min_length`` / ``max_length`` bound a string in UTF-8 bytes (what a Redshift VARCHAR, a Kinesis
partition key and a DynamoDB key count); ``min_length`` is checked on the trimmed text, because
the processor trims identifiers, and an all-blank partition key is refused by Kinesis.
``minimum`` / ``maximum`` bound a number. Avro ignores attributes it does not know, so they leave
the Parsing Canonical Form and the fingerprint unchanged and sit in every shipped version.

Ingest enforces them on every event a player sends, the processor again on every record it
decodes (a replay or an older writer), and the warehouse DDL, the OpenSearch template and the
monitor's keys are generated from them: what ingest accepts, every sink holds.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sluice.events.errors import FieldError
from sluice.events.registry import PLAYER_EVENT, Registry, default_registry

BOUND_ATTRIBUTES = ("min_length", "max_length", "minimum", "maximum")


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


def encoded_size(value: str) -> int:
    """UTF-8 bytes of ``value`` as any stage may store it: the processor lower-cases categories,
    and lower-casing a few non-ASCII letters makes them longer (``İ`` → ``i̇``)."""
    size = len(value.encode())
    if not value.isascii():
        size = max(size, len(value.lower().encode()))
    return size


def _number(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else str(value)


Check = Callable[[Any, str, list[FieldError]], None]


def _record_check(record: dict[str, Any], named: dict[str, Any]) -> Check | None:
    """A check of a decoded record against the bounds of its fields (None when it has none)."""
    checks: list[tuple[str, Bound | None, Check | None]] = []
    for field in record["fields"]:
        nested = _type_check(field["type"], named)
        bound = Bound.of(field)
        if bound is not None or nested is not None:
            checks.append((field["name"], bound, nested))
    if not checks:
        return None

    def check(value: Any, path: str, errors: list[FieldError]) -> None:
        if not isinstance(value, dict):
            return
        for name, bound, nested in checks:
            item = value.get(name)
            if item is None:
                continue
            where = f"{path}.{name}" if path else name
            if bound is not None and (problem := bound.problem(item, where)) is not None:
                errors.append(problem)
            if nested is not None:
                nested(item, where, errors)

    return check


def _type_check(schema: Any, named: dict[str, Any]) -> Check | None:
    if isinstance(schema, list):
        records = {}
        for branch in schema:
            if isinstance(branch, dict) and branch.get("type") == "record":
                branch_check = _type_check(branch, named)
                if branch_check is not None:
                    records[_fullname(branch)] = branch_check
        if not records:
            return None

        def union(value: Any, path: str, errors: list[FieldError]) -> None:
            # fastavro decodes a union of records as (record name, fields) with return_record_name.
            if isinstance(value, tuple) and len(value) == 2 and value[0] in records:
                records[value[0]](value[1], path, errors)

        return union
    if isinstance(schema, dict) and schema.get("type") == "record":
        named[_fullname(schema)] = schema
        return _record_check(schema, named)
    return None


def _fullname(schema: dict[str, Any]) -> str:
    name = str(schema["name"])
    return name if "." in name or "namespace" not in schema else f"{schema['namespace']}.{name}"


class RecordBounds:
    """Checks a decoded player_event record (the processor's view) against the schema's bounds."""

    def __init__(self, registry: Registry | None = None) -> None:
        schema = (registry or default_registry()).latest(PLAYER_EVENT).schema
        self._check = _record_check(schema, {})

    def problems(self, record: dict[str, Any]) -> list[FieldError]:
        errors: list[FieldError] = []
        if self._check is not None:
            self._check(record, "", errors)
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
    """``value`` cut to at most ``max_length`` UTF-8 bytes (never inside a character): for the
    fields Sluice fills itself from what a client sent (a user agent, a request id)."""
    if value is None or len(value) * 4 <= max_length:
        return value
    encoded = value.encode()
    if len(encoded) <= max_length:
        return value
    return encoded[:max_length].decode("utf-8", "ignore")
