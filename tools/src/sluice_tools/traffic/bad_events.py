"""Bad events, one kind per thing that goes wrong in the field, each labelled so a test knows what
must happen to it: rejected at ingest with a reason, or quarantined as a failed event."""

from __future__ import annotations

import copy
import json
import random
from enum import StrEnum
from typing import Any

__all__ = ["BadKind", "make_bad"]


class BadKind(StrEnum):
    MALFORMED_JSON = "malformed_json"
    WRONG_TYPE = "wrong_type"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    MISSING_FIELD = "missing_field"
    OVERSIZED = "oversized"
    # No kind for a player's clock days off: ingest's own time is what is judged late or future
    # (events/validation.py), so a skewed clock is stored, with its skew in the enrichment.


def make_bad(kind: BadKind, event: dict[str, Any], rng: random.Random) -> str:
    """The JSON line of ``event`` spoilt in the way ``kind`` names."""
    bad = copy.deepcopy(event)
    if kind is BadKind.MALFORMED_JSON:
        text = json.dumps(bad, separators=(",", ":"))
        return text[: rng.randint(10, len(text) - 2)]
    if kind is BadKind.WRONG_TYPE:
        bad["sequence"] = "not-a-number"
    elif kind is BadKind.UNKNOWN_EVENT_TYPE:
        bad["event_type"] = "teleport"
    elif kind is BadKind.MISSING_FIELD:
        del bad["session_id"]
    elif kind is BadKind.OVERSIZED:
        bad["content"]["title"] = "x" * (64 * 1024)
    return json.dumps(bad, separators=(",", ":"))
