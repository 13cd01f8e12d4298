"""A CMCD report as a contract event (``event_type`` ``cmcd``, schema version 3; ``cmcd_invalid_keys`` 4).

What a report does not carry, and what fills it:

- ``event_id``: a UUIDv5 of the whole report in its normal form (``sid``, ``ts`` and ``sn`` among
  its keys), so a player's resend after a 429 or 503 doubles nothing, and two reports that differ
  in anything (a video and an audio segment's response reports of the same millisecond, without
  ``sn``) are two events; a report with neither ``ts`` nor ``sn`` sent twice byte for byte cannot
  be told from its resend, and is one;
- ``session_id`` = ``sid`` (required: a report without one is refused), ``sequence`` = ``sn``
  (else 0), ``client_time`` = ``ts`` (else the time ingest received it);
- ``player.name`` / ``player.version``: the collector URL's ``player`` and ``player_version``
  query arguments (``/cmcd?player=hls.js&player_version=1.7.4``), else ``cmcd`` and ``v<N>``;
- ``content.id`` = ``cid`` (else ``unknown``), ``content.live`` = ``st`` is ``l``;
- ``cdn.name`` = ``cdn``, else the host of ``h`` or ``url``, else ``unknown`` (clipped to the
  contract's 64 bytes; CMCD allows 128); ``cdn.host`` the host (none from a ``url`` whose host is
  longer than a DNS name).

Every key becomes its typed ``cmcd_<key>`` field; custom and unknown keys go to ``cmcd_custom``
(a JSON object, as many as its bound holds) and are all counted in ``cmcd_custom_keys``. Keys
dropped because their value could not be used (``CmcdReport.invalid``) are named, with why, in
``cmcd_invalid_keys`` (``url: the URL parser refuses it (Invalid IPv6 URL)``): bounded, so a
report with every key invalid still fits.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

from sluice.cmcd.keys import field_name
from sluice.cmcd.report import CmcdError, CmcdReport
from sluice.events.bounds import clip, max_bytes

# Sluice's namespace for the UUIDv5 ids of CMCD reports (fixed: a resend must get its report's id).
CMCD_NAMESPACE = uuid.UUID("5e1c7c3d-2b1a-5c4e-9d0f-c3cdc3cdc3cd")

# cmcd_invalid_keys is bounded by its schema max_length (2048 bytes, the warehouse VARCHAR); these
# keep it within that by construction: 16 entries of a known key (at most 5 bytes) and a reason of
# at most 96 bytes, with their separators and the closing "more: N keys not listed", fit in 2048.
MAX_INVALID_ENTRIES = 16
MAX_INVALID_REASON_BYTES = 96


def event_id(report: CmcdReport) -> str:
    return str(uuid.uuid5(CMCD_NAMESPACE, report.canonical))


def mode_of(report: CmcdReport) -> str:
    if "e" in report.values:
        return "event"
    return "response" if "rc" in report.values else "request"


def to_event(report: CmcdReport, *, received_ms: int, query: Mapping[str, str]) -> dict[str, Any]:
    """The contract's JSON for one report, ready for the same checks as any player event."""
    values = report.values
    sid = values.get("sid")
    if not sid:
        raise CmcdError("a report needs the session id (sid): it is the contract's session_id", "sid")
    host = values.get("h") or _url_host(values.get("url"))
    payload: dict[str, Any] = {field_name(key): value for key, value in values.items()}
    payload["cmcd_mode"] = mode_of(report)
    payload["cmcd_custom"] = _custom(report.custom)
    payload["cmcd_custom_keys"] = len(report.custom)
    payload["cmcd_invalid_keys"] = invalid_keys(report.invalid)
    return {
        "event_id": event_id(report),
        "event_type": "cmcd",
        "session_id": sid,
        "sequence": values.get("sn", 0),
        "client_time": values.get("ts", received_ms),
        "player": {
            "name": query.get("player") or "cmcd",
            "version": query.get("player_version") or f"v{values.get('v', 1)}",
        },
        "device": {"id": None, "type": None, "model": None, "screen_width": None, "screen_height": None},
        "content": {
            "id": values.get("cid") or "unknown",
            "title": None,
            "duration_ms": None,
            "live": values.get("st") == "l",
        },
        # Filled by Sluice from what the player sent: clipped to the contract's bound, not refused.
        "cdn": {"name": clip(values.get("cdn") or host or "unknown", max_bytes("cdn.name")), "host": host},
        "payload": payload,
    }


def _url_host(url: str | None) -> str | None:
    """The host of a ``url`` the report kept (the URL parser took it: see report._url_problem),
    none when it is longer than the contract's host (a DNS name's 253 bytes)."""
    host = urllib.parse.urlsplit(url).hostname if url else None
    return host if host is not None and len(host) <= max_bytes("cdn.host") else None


def _custom(custom: dict[str, Any]) -> str | None:
    """Custom keys as a JSON object, as many as the field's bound holds (all are counted)."""
    if not custom:
        return None
    limit = max_bytes("cmcd_custom")
    kept: dict[str, Any] = {}
    for key, value in custom.items():
        trial = {**kept, key: value}
        if len(json.dumps(trial, separators=(",", ":")).encode()) > limit:
            break
        kept = trial
    return json.dumps(kept, separators=(",", ":")) if kept else None


def invalid_keys(invalid: Mapping[str, str]) -> str | None:
    """The dropped keys as ``key: reason; key: reason`` in the report's order, each reason cut to
    ``MAX_INVALID_REASON_BYTES``; at most ``MAX_INVALID_ENTRIES`` entries, the last of them saying
    how many more were dropped when there are more; the whole clipped to the field's bound (a
    guard: the constants make it fit)."""
    if not invalid:
        return None
    entries = [
        f"{key}: {clip(why, MAX_INVALID_REASON_BYTES)}" for key, why in list(invalid.items())[:MAX_INVALID_ENTRIES]
    ]
    if len(invalid) > MAX_INVALID_ENTRIES:
        entries[-1] = f"more: {len(invalid) - MAX_INVALID_ENTRIES + 1} keys not listed"
    return clip("; ".join(entries), max_bytes("cmcd_invalid_keys"))
