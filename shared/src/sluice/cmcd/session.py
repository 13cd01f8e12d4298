"""The session of a CMCD report that carries no usable ``sid`` (dash.js 5 sends none unless told):
one rule, shared by every reader of CMCD (ingest's ``/cmcd`` route, the CDN-log reader), so the
reports and the media requests of one viewer land in one session whichever way they came.

The session is a UUIDv5, in Sluice's own namespace, of what identifies a viewer without a
session id:

- the viewer's network: the client address truncated as ingest stores it (/24 for IPv4, /48 for
  IPv6: ``sluice.ingest.context.truncate_ip``; an address or its network gives the same);
- the user agent, as the browser sent it (the ``User-Agent`` header's text; a CDN log's
  URL-encoded field decoded first);
- the content id (``cid``), none when the report carries none;
- the UTC day the report was received, so that one viewer watching one title is not one session
  for ever: a viewing that crosses midnight UTC is two sessions.

Viewers behind one network with the same browser watching the same title the same day share a
session (a household, a campus NAT): the event is flagged ``cmcd_session_inferred`` so analyses
can tell such sessions from real ones.
"""

from __future__ import annotations

import json
import uuid
from datetime import UTC, date, datetime

from sluice.events.addresses import truncate_ip

__all__ = ["SESSION_NAMESPACE", "inferred_session_id", "utc_day"]

# Sluice's namespace for inferred CMCD sessions (fixed: the CDN-log reader must derive the same
# id; apart from the namespace of report ids, so a session id is never also an event id).
SESSION_NAMESPACE = uuid.UUID("0b5e55e0-c3cd-5a1d-8f1e-5e55101dcafe")


def inferred_session_id(network: str | None, user_agent: str | None, content_id: str | None, day: date) -> str:
    """The session of a viewer's reports without a session id (see the module's rule)."""
    viewer = [truncate_ip(network), user_agent or None, content_id or None, day.isoformat()]
    return str(uuid.uuid5(SESSION_NAMESPACE, json.dumps(viewer, separators=(",", ":"))))


def utc_day(epoch_ms: int) -> date:
    """The UTC day of a time in ms since the epoch (when Sluice received the report)."""
    return datetime.fromtimestamp(epoch_ms / 1000, UTC).date()
