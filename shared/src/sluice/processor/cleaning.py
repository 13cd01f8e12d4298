"""Cleaning: consistent spelling of categorical fields, and the traffic that is not viewing."""

from __future__ import annotations

import re
from typing import Any

# (record, field) pairs that are categories: compared and grouped on, so spelled one way.
_LOWER = (("cdn", "name"), ("device", "type"), ("player", "name"))
_TRIM = (("player", "version"), ("content", "id"), ("cdn", "host"), ("device", "model"))


def normalise(record: dict[str, Any]) -> None:
    """In place: trimmed categories, lower-cased where case carries no meaning."""
    for parent, name in _LOWER:
        inner = record.get(parent)
        if inner and isinstance(inner.get(name), str):
            inner[name] = " ".join(inner[name].split()).lower()
    for parent, name in _TRIM:
        inner = record.get(parent)
        if inner and isinstance(inner.get(name), str):
            inner[name] = inner[name].strip()
    record["session_id"] = record["session_id"].strip()
    ingest = record.get("ingest")
    if ingest and ingest.get("country"):
        ingest["country"] = ingest["country"].strip().upper()


def drop_reason(
    record: dict[str, Any], bot_pattern: re.Pattern[str] | None, test_players: frozenset[str]
) -> str | None:
    """Why the event is not viewing to keep (``bot`` or ``test``), or None to keep it."""
    ingest = record.get("ingest") or {}
    enrichment = record.get("enrichment") or {}
    user_agent = ingest.get("user_agent") or ""
    if enrichment.get("device_class") == "bot" or (
        bot_pattern is not None and user_agent and bot_pattern.search(user_agent)
    ):
        return "bot"
    if record["player"]["name"] in test_players:
        return "test"
    return None
