"""Cleaning: consistent spelling of categorical fields, and the traffic that is not viewing."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any


def normalise(record: dict[str, Any]) -> bool:
    """In place: categories (CDN, device type, player) trimmed and lower-cased, so that
    ``" AkaMai"`` and ``akamai`` group together; identifiers trimmed; country upper-cased.
    True when anything changed (most events arrive clean: the processor then keeps their bytes)."""
    cdn, device, player, content = record["cdn"], record["device"], record["player"], record["content"]
    changed = False
    for part, key, clean in (
        (cdn, "name", _category),
        (player, "name", _category),
        (player, "version", str.strip),
        (content, "id", str.strip),
        (record, "session_id", str.strip),
    ):
        value = part[key]
        cleaned = clean(value)
        if cleaned != value:
            part[key], changed = cleaned, True
    if device.get("type"):
        cleaned = _category(device["type"])
        if cleaned != device["type"]:
            device["type"], changed = cleaned, True
    ingest = record.get("ingest")
    if ingest and ingest.get("country"):
        cleaned = ingest["country"].strip().upper()
        if cleaned != ingest["country"]:
            ingest["country"], changed = cleaned, True
    return changed


@lru_cache(maxsize=4096)
def _category(value: str) -> str:
    # Categories repeat across a fleet; caching makes this a lookup for nearly every event.
    return " ".join(value.split()).lower()


def drop_reason(
    record: dict[str, Any], bot_pattern: re.Pattern[str] | None, test_players: frozenset[str]
) -> str | None:
    """Why the event is not viewing to keep (``bot`` or ``test``), or None to keep it."""
    ingest = record.get("ingest") or {}
    enrichment = record.get("enrichment") or {}
    user_agent = ingest.get("user_agent") or ""
    if enrichment.get("device_class") == "bot" or (
        bot_pattern is not None and user_agent and _matches(bot_pattern, user_agent)
    ):
        return "bot"
    if record["player"]["name"] in test_players:
        return "test"
    return None


@lru_cache(maxsize=4096)
def _matches(pattern: re.Pattern[str], user_agent: str) -> bool:
    # A fleet sends few distinct user agents; the search is the costly part of this check.
    return pattern.search(user_agent) is not None
