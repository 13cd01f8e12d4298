"""The JSON a player sends, mapped onto the Avro record it becomes.

The mapping is compiled once from the current reader schema, so the rules are the schema's own:
field names are the Avro names (snake_case), nested records are JSON objects, optional fields may
be omitted, and ``payload`` is the object of the record that ``event_type`` names. Every problem
of an event is collected, each naming its path (``payload.bitrate_kbps: expected long, got
"abc"``), and raised together as one :class:`SchemaViolationError`.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

from sluice.events.bounds import Bound
from sluice.events.errors import FieldError, MalformedJsonError, SchemaViolationError
from sluice.events.registry import PLAYER_EVENT, Registry, default_registry, fullname

__all__ = [
    "EPOCH",
    "INT_RANGE",
    "LONG_RANGE",
    "MISSING",
    "ONE_MILLISECOND",
    "READER_EVENT_TYPES",
    "SERVER_FIELDS",
    "Convert",
    "Errors",
    "EventMapper",
    "OutOfRangeNumber",
    "describe",
    "iso_millis",
    "json_size",
    "parse_json",
    "payload_record_name",
    "refuse_reader_event_type",
    "timestamp_fields",
    "to_json_value",
]

# Fields the server owns: a player that sends them is told so rather than silently overridden.
SERVER_FIELDS = frozenset({"server_time", "ingest", "enrichment"})
# Event types only Sluice's own readers write: a CMCD report (ingest's /cmcd reads what a player
# sent in CMCD) and a CDN request (the processor reads CloudFront's real-time log). Posted to
# /events as JSON they would let any client forge what the monitor judges an edge location or a
# player by: ingest refuses them there, and the web SDK's contract leaves them out.
READER_EVENT_TYPES = {
    "cmcd": "CMCD reports are read from CMCD: POST them to /cmcd as the player writes them",
    "cdn_request": "CDN requests are read from the CDN's real-time logs, never sent by a client",
}

INT_RANGE = (-(2**31), 2**31 - 1)
LONG_RANGE = (-(2**63), 2**63 - 1)
_UUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")

EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
ONE_MILLISECOND = timedelta(milliseconds=1)

Errors = list[FieldError]
Convert = Callable[[Any, str, Errors], Any]


class _Missing:
    """Marks a value that could not be converted (an error was recorded instead)."""


MISSING: Any = _Missing()


def refuse_reader_event_type(value: Any) -> None:
    """Refuses a client's JSON event of a type only Sluice's readers write (READER_EVENT_TYPES)."""
    event_type = value.get("event_type") if isinstance(value, dict) else None
    if isinstance(event_type, str) and event_type in READER_EVENT_TYPES:
        raise SchemaViolationError([FieldError("event_type", "reader_only", READER_EVENT_TYPES[event_type])])


def payload_record_name(event_type: str) -> str:
    """The payload record of an event type: ``ad_quartile`` → ``sluice.events.AdQuartilePayload``."""
    return "sluice.events." + "".join(part.capitalize() for part in event_type.split("_")) + "Payload"


def describe(value: Any) -> str:
    """A JSON rendering of a bad value, short enough for an error message."""
    text = json.dumps(value, ensure_ascii=False, default=str)
    if not text.isascii():  # a lone surrogate is shown as its escape: the message must be UTF-8
        text = text.encode("utf-8", "backslashreplace").decode()
    return text if len(text) <= 40 else text[:37] + "..."


def _join(path: str, name: str) -> str:
    return f"{path}.{name}" if path else name


def _type_error(expected: str, value: Any, path: str, errors: Errors) -> Any:
    errors.append(FieldError(path, "wrong_type", f"expected {expected}, got {describe(value)}"))
    return MISSING


class OutOfRangeNumber:
    """A JSON number that cannot be a field value: an integer of more digits than any Avro long
    (Python refuses to parse over 4,300), or ``NaN`` / ``Infinity``. Parsed into this marker
    instead of failing the whole body, so it is that event's schema error."""

    __slots__ = ("text",)

    def __init__(self, text: str) -> None:
        self.text = text

    def __repr__(self) -> str:
        return self.text if len(self.text) <= 24 else f"{self.text[:12]}...({len(self.text)} digits)"


# An Avro long has at most 19 digits; anything longer is out of range whatever its value.
_MAX_INTEGER_DIGITS = 20


def _parse_int(text: str) -> int | OutOfRangeNumber:
    return OutOfRangeNumber(text) if len(text) > _MAX_INTEGER_DIGITS else int(text)


def _integer(expected: str, low: int, high: int) -> Convert:
    def convert(value: Any, path: str, errors: Errors) -> Any:
        if type(value) is OutOfRangeNumber:
            errors.append(FieldError(path, "out_of_range", f"{value!r} does not fit an Avro {expected}"))
            return MISSING
        if type(value) is not int:
            return _type_error(expected, value, path, errors)
        if not low <= value <= high:
            errors.append(FieldError(path, "out_of_range", f"{value} does not fit an Avro {expected}"))
            return MISSING
        return value

    return convert


def _number(expected: str) -> Convert:
    def convert(value: Any, path: str, errors: Errors) -> Any:
        if type(value) not in (int, float):
            if type(value) is OutOfRangeNumber:
                errors.append(FieldError(path, "out_of_range", f"{value!r} is not a finite {expected}"))
                return MISSING
            return _type_error(expected, value, path, errors)
        number = float(value)
        if not math.isfinite(number):
            errors.append(FieldError(path, "out_of_range", f"{value} is not a finite {expected}"))
            return MISSING
        return number

    return convert


def _exact(expected: str, python_type: type) -> Convert:
    def convert(value: Any, path: str, errors: Errors) -> Any:
        if type(value) is not python_type:
            return _type_error(expected, value, path, errors)
        return value

    return convert


def _uuid(value: Any, path: str, errors: Errors) -> Any:
    if type(value) is not str or not _UUID.match(value):
        return _type_error("a UUID string", value, path, errors)
    return value.lower()


def _timestamp_millis(value: Any, path: str, errors: Errors) -> Any:
    """Epoch milliseconds, or an ISO-8601 time with a zone (``2026-11-26T08:00:00.120Z``)."""
    if type(value) is int and LONG_RANGE[0] <= value <= LONG_RANGE[1]:
        return value
    if type(value) is str:
        try:
            parsed = datetime.fromisoformat(value)
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return (parsed - EPOCH) // ONE_MILLISECOND
    return _type_error("an ISO-8601 time with a zone or epoch milliseconds", value, path, errors)


def _enum(symbols: list[str], code: str) -> Convert:
    allowed = frozenset(symbols)

    def convert(value: Any, path: str, errors: Errors) -> Any:
        if type(value) is not str:
            return _type_error("a string", value, path, errors)
        if value not in allowed:
            errors.append(FieldError(path, code, f"unknown value {describe(value)}"))
            return MISSING
        return value

    return convert


def _bounded(inner: Convert, bound: Bound | None, as_sent: type | None) -> Convert:
    """The field's declared bound checked on the converted value (see ``sluice.events.bounds``).
    ``as_sent`` is the JSON type that converts to itself (str for a string, int for a long): a
    value of that type within the bound is taken at once, the common case on every field."""
    if bound is None:
        return inner
    fast = bound.fast_accept()

    def convert(value: Any, path: str, errors: Errors) -> Any:
        if value.__class__ is as_sent and fast(value):
            return value
        converted = inner(value, path, errors)
        if converted is MISSING or converted is None or fast(converted):
            return converted
        problem = bound.problem(converted, path)
        if problem is not None:
            errors.append(problem)
            return MISSING
        return converted

    return convert


def _nullable(inner: Convert) -> Convert:
    def convert(value: Any, path: str, errors: Errors) -> Any:
        return None if value is None else inner(value, path, errors)

    return convert


def _as_sent(field: dict[str, Any]) -> type | None:
    """The JSON type a field's converter returns unchanged, if any (see _bounded)."""
    if field.get("semantic") is not None:
        return None  # a UUID is lower-cased, a time parsed
    schema = field["type"]
    if isinstance(schema, list):
        branches = [b for b in schema if b != "null"]
        schema = branches[0] if len(branches) == 1 else None
    # bool is a subclass of int, but ``__class__ is int`` leaves it to the converter's own test
    return {"string": str, "long": int, "int": int}.get(schema) if isinstance(schema, str) else None


class _Compiler:
    def __init__(self) -> None:
        self.named: dict[str, Any] = {}

    def compile(self, schema: Any, *, enum_code: str = "unknown_value", semantic: str | None = None) -> Convert:
        """``semantic`` is the field's meaning beyond its Avro type (see the schemas' README)."""
        if isinstance(schema, str):
            return self._primitive(schema, semantic) if schema not in self.named else self.compile(self.named[schema])
        if isinstance(schema, list):
            branches = [b for b in schema if b != "null"]
            if len(branches) != 1:
                raise ValueError("only optional unions (null and one type) map from JSON generically")
            inner = self.compile(branches[0], semantic=semantic)
            return _nullable(inner) if "null" in schema else inner
        kind = schema["type"]
        if "name" in schema:
            self.named[fullname(schema)] = schema
        if kind == "record":
            return self._record(schema)
        if kind == "enum":
            return _enum(schema["symbols"], enum_code)
        if isinstance(kind, str) and kind in ("string", "long", "int", "boolean", "float", "double", "null"):
            return self._primitive(kind, semantic)
        raise ValueError(f"no JSON mapping for Avro type {kind!r}")

    def _primitive(self, kind: str, semantic: str | None) -> Convert:
        if semantic == "uuid":
            return _uuid
        if semantic == "timestamp-millis":
            return _timestamp_millis
        converters: dict[str, Convert] = {
            "string": _exact("string", str),
            "boolean": _exact("boolean", bool),
            "int": _integer("int", *INT_RANGE),
            "long": _integer("long", *LONG_RANGE),
            "float": _number("float"),
            "double": _number("double"),
        }
        return converters[kind]

    def _record(self, schema: dict[str, Any], skip: frozenset[str] = frozenset()) -> Convert:
        fields = [
            (
                f["name"],
                _bounded(self.compile(f["type"], semantic=f.get("semantic")), Bound.of(f), _as_sent(f)),
                "default" in f,
                f.get("default"),
            )
            for f in schema["fields"]
            if f["name"] not in skip
        ]
        known = frozenset(name for name, *_ in fields)

        def convert(value: Any, path: str, errors: Errors) -> Any:
            if type(value) is not dict:
                return _type_error("an object", value, path, errors)
            out: dict[str, Any] = {}
            for name, field_convert, has_default, default in fields:
                if name in value:
                    out[name] = field_convert(value[name], _join(path, name), errors)
                elif has_default:
                    out[name] = default
                else:
                    errors.append(FieldError(_join(path, name), "missing", "required field is missing"))
            if len(value) > len(out) or not known.issuperset(value):
                for name in value:
                    if name not in known:
                        errors.append(FieldError(_join(path, name), "unknown_field", "not a field of this record"))
            return out

        return convert


_NOT_ENVELOPE = SERVER_FIELDS | {"event_type", "payload"}


class EventMapper:
    """Turns one decoded JSON value from a player into a player_event record of the current
    schema, or raises SchemaViolationError listing every problem."""

    def __init__(self, registry: Registry | None = None) -> None:
        schema = (registry or default_registry()).latest(PLAYER_EVENT).schema
        compiler = _Compiler()
        fields = {f["name"]: f for f in schema["fields"]}
        self.event_types: list[str] = fields["event_type"]["type"]["symbols"]
        self._event_type = compiler.compile(fields["event_type"]["type"], enum_code="unknown_event_type")
        envelope = dict(schema, fields=[f for f in schema["fields"] if f["name"] != "event_type"])
        self._envelope = compiler._record(envelope, skip=SERVER_FIELDS | {"payload"})
        payloads = {fullname(p): p for p in fields["payload"]["type"] if p != "null"}
        self._payloads = {name: compiler.compile(p) for name, p in payloads.items()}

    def to_record(self, value: Any, *, server_time: int) -> dict[str, Any]:
        errors: Errors = []
        if type(value) is not dict:
            raise SchemaViolationError(
                [FieldError("", "wrong_type", f"expected an event object, got {describe(value)}")]
            )
        event_type = MISSING
        if "event_type" in value:
            event_type = self._event_type(value["event_type"], "event_type", errors)
        else:
            errors.append(FieldError("event_type", "missing", "required field is missing"))
        envelope = {k: v for k, v in value.items() if k not in _NOT_ENVELOPE}
        record: dict[str, Any] = self._envelope(envelope, "", errors)
        for name in SERVER_FIELDS.intersection(value):
            errors.append(FieldError(name, "server_field", "set by the server; a player must not send it"))
        payload = value.get("payload")
        if event_type is not MISSING:
            record["payload"] = self._payload(event_type, payload, errors)
        if errors:
            raise SchemaViolationError(errors)
        record["event_type"] = event_type
        record["server_time"] = server_time
        record["ingest"] = None
        record["enrichment"] = None
        return record

    def _payload(self, event_type: str, payload: Any, errors: Errors) -> Any:
        if payload is None:
            errors.append(FieldError("payload", "missing", f"required for event type {event_type}"))
            return MISSING
        name = payload_record_name(event_type)
        converted = self._payloads[name](payload, "payload", errors)
        return (name, converted)


def parse_json(text: bytes | str) -> Any:
    """Parse one event's JSON text, saying where it broke when it is not JSON."""
    try:
        return json.loads(text, parse_int=_parse_int, parse_constant=OutOfRangeNumber)
    except json.JSONDecodeError as exc:
        raise MalformedJsonError(f"invalid JSON at line {exc.lineno} column {exc.colno}: {exc.msg}") from exc
    except UnicodeDecodeError as exc:
        raise MalformedJsonError(f"not UTF-8 text at byte {exc.start}") from exc
    except RecursionError:
        raise MalformedJsonError("JSON nested too deeply") from None


def json_size(value: Any) -> int:
    """Bytes of ``value`` written as compact JSON (an event cut out of a JSON array body)."""
    return len(json.dumps(value, separators=(",", ":"), default=_number_text).encode())


def _number_text(value: Any) -> str:
    if isinstance(value, OutOfRangeNumber):
        return value.text
    raise TypeError(f"{type(value).__name__} is not JSON")


def timestamp_fields(schema: dict[str, Any]) -> frozenset[str]:
    """Top-level fields of a record schema that hold epoch milliseconds."""
    return frozenset(f["name"] for f in schema["fields"] if f.get("semantic") == "timestamp-millis")


def iso_millis(value: int | datetime | None) -> str | None:
    """UTC ISO-8601 with milliseconds (``2026-11-26T08:00:00.120Z``): read alike by Redshift COPY
    (TIMEFORMAT 'auto'), Athena, PostgreSQL and OpenSearch."""
    if value is None:
        return None
    if isinstance(value, datetime):
        value = (value - EPOCH) // ONE_MILLISECOND
    seconds, millis = divmod(value, 1000)
    return f"{_iso_second(seconds)}.{millis:03d}Z"


@lru_cache(maxsize=8192)
def _iso_second(seconds: int) -> str:
    # Events of a batch share few distinct seconds: formatting each once saves most of the cost.
    return (EPOCH + timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%S")


def to_json_value(record: dict[str, Any], timestamps: frozenset[str] = frozenset()) -> dict[str, Any]:
    """A decoded record as the JSON a person reads (and a player sends): the ``timestamps`` fields
    as ISO-8601 UTC, bytes as latin-1 text, the payload as a plain object (``event_type`` says
    which)."""
    return {key: iso_millis(value) if key in timestamps else _plain(value) for key, value in record.items()}


def _plain(value: Any) -> Any:
    if isinstance(value, tuple) and len(value) == 2 and isinstance(value[0], str):
        return _plain(value[1])  # a union branch: (record name, fields)
    if isinstance(value, dict):
        return {key: _plain(item) for key, item in value.items()}
    if isinstance(value, list):
        return [_plain(item) for item in value]
    if isinstance(value, bytes | bytearray):
        return value.decode("latin-1")
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)  # UUID
