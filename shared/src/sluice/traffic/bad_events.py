"""Bad events, one kind per thing that goes wrong in the field, each labelled so a test knows what
must happen to it: rejected at ingest with a reason, or quarantined as a failed event."""

from __future__ import annotations

import copy
import json
import random
from datetime import datetime, timedelta
from enum import StrEnum
from typing import Any

from sluice.events.json_mapping import iso_millis

DAY_MS = 24 * 60 * 60 * 1000


class BadKind(StrEnum):
    MALFORMED_JSON = "malformed_json"
    WRONG_TYPE = "wrong_type"
    UNKNOWN_EVENT_TYPE = "unknown_event_type"
    MISSING_FIELD = "missing_field"
    OVERSIZED = "oversized"
    FAR_FUTURE = "far_future"
    VERY_LATE = "very_late"


def _shift_time(event: dict[str, Any], delta_ms: int) -> None:
    moved = datetime.fromisoformat(event["client_time"]) + timedelta(milliseconds=delta_ms)
    event["client_time"] = iso_millis(moved)


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
    elif kind is BadKind.FAR_FUTURE:
        _shift_time(bad, 2 * DAY_MS)
    elif kind is BadKind.VERY_LATE:
        _shift_time(bad, -30 * DAY_MS)
    return json.dumps(bad, separators=(",", ":"))
