"""From the bytes of one event a player sent to a player_event record, or a typed error."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sluice.events.json_mapping import EventMapper, parse_json
from sluice.events.validation import DEFAULT_MAX_EVENT_BYTES, check_size, check_size_of

__all__ = ["EventIntake"]


@dataclass(frozen=True)
class EventIntake:
    """Size check, JSON parse and schema mapping, in that order (cheapest rejection first)."""

    mapper: EventMapper
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES

    @classmethod
    def default(cls, max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES) -> EventIntake:
        return cls(EventMapper(), max_event_bytes)

    def from_bytes(self, raw: bytes, *, server_time: int) -> dict[str, Any]:
        check_size(raw, self.max_event_bytes)
        return self.mapper.to_record(parse_json(raw), server_time=server_time)

    def from_value(self, value: Any, raw_size: int, *, server_time: int) -> dict[str, Any]:
        """For an event already parsed out of a larger JSON body (an array)."""
        check_size_of(raw_size, self.max_event_bytes)
        return self.mapper.to_record(value, server_time=server_time)
