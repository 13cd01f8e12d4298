"""Cleaning: consistent spelling of categorical fields, and the traffic that is not viewing."""

from __future__ import annotations

import re
from functools import lru_cache
from typing import Any

from sluice.events.bounds import clip, max_bytes
from sluice.processor.enrichment import BOT_CLASS, PARSER_BOT_DEVICE

__all__ = ["flag_traffic", "normalise"]


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


# What traffic_reason holds is free text (a matched pattern, a player name): clipped to the
# schema's bound, like every field Sluice fills itself.
_REASON_BYTES = max_bytes("enrichment.traffic_reason")


def flag_traffic(
    record: dict[str, Any], bot_pattern: re.Pattern[str] | None, test_players: frozenset[str]
) -> str | None:
    """In place, on an enriched record: marks traffic that is not viewing, ``bot`` or ``test`` in
    ``enrichment.traffic_class`` and what said so in ``traffic_reason``; returns the class, or None
    for viewing. A flagged event is kept wherever events go (lake, clean stream, index, warehouse)
    and left out of player health by the monitor: nothing accepted disappears.

    The parser's bot class is checked first: no setting unflags it, so the reason tells an
    operator that tuning the pattern would not change it."""
    enrichment = record["enrichment"]
    user_agent = (record.get("ingest") or {}).get("user_agent") or ""
    matched = _match(bot_pattern, user_agent) if bot_pattern is not None and user_agent else None
    player = record["player"]["name"]
    if enrichment.get("device_class") == BOT_CLASS:
        traffic, reason = "bot", f"parser:{PARSER_BOT_DEVICE}"
    elif matched is not None:
        traffic, reason = "bot", f"pattern:{matched}"
    elif player in test_players:
        traffic, reason = "test", f"test_player:{player}"
    else:
        return None
    enrichment["traffic_class"] = traffic
    enrichment["traffic_reason"] = clip(reason, _REASON_BYTES)
    return traffic


@lru_cache(maxsize=4096)
def _match(pattern: re.Pattern[str], user_agent: str) -> str | None:
    # A fleet sends few distinct user agents; the search is the costly part of this check.
    found = pattern.search(user_agent)
    return None if found is None else found.group(0)
