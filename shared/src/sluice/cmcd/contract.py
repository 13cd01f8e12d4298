"""A CMCD report as a contract event (``event_type`` ``cmcd``, schema version 3;
``cmcd_invalid_keys``, ``cmcd_by_object_type`` and ``cmcd_session_inferred`` 4).

What a report does not carry, and what fills it:

- ``event_id``: a UUIDv5 of the whole report in its normal form (``sid``, ``ts`` and ``sn`` among
  its keys), so a player's resend after a 429 or 503 doubles nothing, and two reports that differ
  in anything (a video and an audio segment's response reports of the same millisecond, without
  ``sn``) are two events; a report with neither ``ts`` nor ``sn`` sent twice byte for byte cannot
  be told from its resend, and is one. A report without a usable ``sid`` adds the viewer's
  network and user agent to it, so two viewers' identical reports stay two events;
- ``session_id`` = ``sid``; a report without one (or whose ``sid`` was dropped as unusable) is
  stored under the session ``sluice.cmcd.session.inferred_session_id`` derives from the viewer's
  network, user agent, content id and the UTC day, flagged ``cmcd_session_inferred``;
- ``sequence`` = ``sn`` (else 0), ``client_time`` = ``ts`` (else the time ingest received it);
- ``player.name`` / ``player.version``: the collector URL's ``player`` and ``player_version``
  query arguments (``/cmcd?player=hls.js&player_version=1.7.4``, clipped to the contract's 64
  bytes), else ``cmcd`` and ``v<N>``;
- ``content.id`` = ``cid`` (else ``unknown``), ``content.live`` = ``st`` is ``l``;
- ``cdn.name`` = ``cdn``, else the host of ``h`` or ``url``, else ``unknown`` (clipped to the
  contract's 64 bytes; CMCD allows 128); ``cdn.host`` the host (none from a ``url`` whose host is
  longer than a DNS name).

Every key becomes its typed ``cmcd_<key>`` field; a multi-value key's values by object type go to
``cmcd_by_object_type`` (a JSON object, as many keys as its bound holds); custom and unknown keys
go to ``cmcd_custom`` (a JSON object, as many as its bound holds) and are all counted in
``cmcd_custom_keys``. Keys dropped because their value could not be used (``CmcdReport.invalid``)
are named, with why, in ``cmcd_invalid_keys`` (``ttfb: 1796176894100 is above the maximum of
86400000 (an epoch-ms time, not a duration)``): bounded, so a report with every key invalid
still fits.
"""

from __future__ import annotations

import json
import urllib.parse
import uuid
from collections.abc import Mapping
from typing import Any

from sluice.cmcd.keys import field_name
from sluice.cmcd.report import CmcdReport
from sluice.cmcd.session import inferred_session_id, utc_day
from sluice.events.bounds import clip, max_bytes

__all__ = [
    "CMCD_NAMESPACE",
    "MAX_INVALID_ENTRIES",
    "MAX_INVALID_REASON_BYTES",
    "event_id",
    "invalid_keys",
    "json_within",
    "mode_of",
    "to_event",
]

# Sluice's namespace for the UUIDv5 ids of CMCD reports (fixed: a resend must get its report's id).
CMCD_NAMESPACE = uuid.UUID("5e1c7c3d-2b1a-5c4e-9d0f-c3cdc3cdc3cd")

# cmcd_invalid_keys is bounded by its schema max_length (2048 bytes, the warehouse VARCHAR); these
# keep it within that by construction: 16 entries of a known key (at most 5 bytes) and a reason of
# at most 96 bytes, with their separators and the closing "more: N keys not listed", fit in 2048.
MAX_INVALID_ENTRIES = 16
MAX_INVALID_REASON_BYTES = 96


def event_id(report: CmcdReport, viewer: tuple[str | None, str | None] | None = None) -> str:
    """The report's id; ``viewer`` (network, user agent) for a report without a usable ``sid``."""
    name = report.canonical if viewer is None else json.dumps([*viewer, report.canonical])
    return str(uuid.uuid5(CMCD_NAMESPACE, name))


def mode_of(report: CmcdReport) -> str:
    if "e" in report.values:
        return "event"
    return "response" if "rc" in report.values else "request"


def to_event(
    report: CmcdReport,
    *,
    received_ms: int,
    query: Mapping[str, str],
    network: str | None = None,
    user_agent: str | None = None,
) -> dict[str, Any]:
    """The contract's JSON for one report, ready for the same checks as any player event, which
    it passes: every value the report kept is within its bounds (``sluice.cmcd.report``).
    ``network`` and ``user_agent`` (the request's) key the session of a report without ``sid``."""
    values = report.values
    sid = values.get("sid")
    viewer = None
    if sid is None:
        viewer = (network, user_agent)
        sid = inferred_session_id(network, user_agent, values.get("cid"), utc_day(received_ms))
    host = values.get("h") or _url_host(values.get("url"))
    payload: dict[str, Any] = {field_name(key): value for key, value in values.items()}
    payload["cmcd_mode"] = mode_of(report)
    payload["cmcd_custom"] = json_within(report.custom, "cmcd_custom")
    payload["cmcd_custom_keys"] = len(report.custom)
    payload["cmcd_invalid_keys"] = invalid_keys(report.invalid)
    payload["cmcd_by_object_type"] = json_within(report.by_object_type, "cmcd_by_object_type")
    payload["cmcd_session_inferred"] = viewer is not None
    return {
        "event_id": event_id(report, viewer),
        "event_type": "cmcd",
        "session_id": sid,
        "sequence": values.get("sn", 0),
        "client_time": values.get("ts", received_ms),
        "player": {
            "name": _name(query.get("player"), "player.name") or "cmcd",
            "version": _name(query.get("player_version"), "player.version") or f"v{values.get('v', 1)}",
        },
        "device": {"id": None, "type": None, "model": None, "screen_width": None, "screen_height": None},
        "content": {
            "id": values.get("cid") or "unknown",
            "title": None,
            "duration_ms": None,
            "live": values.get("st") == "l",
        },
        # Filled by Sluice from what the player sent: clipped to the contract's bound, not refused.
        "cdn": {"name": _name(values.get("cdn"), "cdn.name") or _name(host, "cdn.name") or "unknown", "host": host},
        "payload": payload,
    }


def _url_host(url: str | None) -> str | None:
    """The host of a ``url`` the report kept (the URL parser took it: see report._url_problem),
    none when it is longer than the contract's host (a DNS name's 253 bytes)."""
    host = urllib.parse.urlsplit(url).hostname if url else None
    return host if host is not None and len(host) <= max_bytes("cdn.host") else None


def _name(text: str | None, path: str) -> str | None:
    """A name Sluice fills from what the player sent: clipped to the contract's bound, never
    blank (the contract refuses a blank name), none when there is nothing left."""
    clipped = clip(text.strip(), max_bytes(path)) if text else None
    return clipped if clipped and clipped.strip() else None


def json_within(entries: Mapping[str, Any], field: str) -> str | None:
    """Entries as a JSON object, as many (in the report's order) as the field's bound holds:
    custom keys (all are counted in cmcd_custom_keys), multi-value keys by object type."""
    if not entries:
        return None
    limit = max_bytes(field)
    kept: dict[str, Any] = {}
    for key, value in entries.items():
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
