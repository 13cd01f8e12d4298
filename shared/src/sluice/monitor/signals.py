"""What one clean event says about its session's quality of experience, read the same way whatever
sent it: the web SDK's events, or a player's own CMCD reports with whatever mix of ``sta``, ``e``,
``bs``, ``bsd`` and ``msd`` its build writes (images/ingest/README.md, "What each player sends",
says what hls.js, dash.js and Shaka send and which of these they cannot give).

A session's facts are counted once, wherever they are seen again:

- an *attempt*: the SDK's ``session_start``, or a CMCD report of the player starting (``sta=s``);
  from a player whose reports carry no state (Shaka's compiled build), its start or its failed
  start, as nothing else in its reports says playback was asked for;
- a *video start*: the SDK's initial ``play`` (its ``startup_time_ms``); or the first CMCD report
  with the media start delay (``msd``, dash.js may send it twice); or the first ``sta=p`` after
  the session's ``sta=s`` was seen, its startup the time between the two reports (hls.js and
  dash.js send no ``msd`` in event reports);
- a *fatal error*: the SDK's fatal ``error``; from CMCD, the fatal state (``sta=f``), or an error
  report (``e=e``: dash.js and Shaka never report ``sta=f``) before the first frame, as after it
  ``e=e`` does not say whether playback ended; a *start failure* when it came before the session's
  first frame (the player still starting, or no start counted since its attempt);
- a *stall*, once per entry into rebuffering: the SDK's ``buffering_start`` (cause ``stall``), or a
  CMCD state report of rebuffering (``e=ps,sta=r``; dash.js writes ``sta=w``, waiting, for it), or,
  from a session whose reports carry no player state, buffer starvation (``bs``). Reports of one
  stall within a second of each other (the audio and the video segment's ``bs``, or the SDK's and
  the player's) are one;
- a *rendition switch*: the SDK's ``bitrate_change``, or each CMCD ``e=bc`` report but a session's
  first (hls.js and Shaka report the initial rendition as one).

The record of what was counted is the window's (its own ``EventIds`` in the window state, and the
times of attempts not yet started): a session's facts are counted once per window and shard (a session's
events all land on one shard: it is the partition key). Where the SDK and the player's CMCD
reporting share the session id (the SDK sets it), they are one session and each fact counts once.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from sluice.monitor.dedupe import DIGEST_BYTES, EventIds
from sluice.monitor.sketch import QuantileSketch

__all__ = [
    "DEFAULT_REBUFFERING",
    "MAX_SESSION_FACTS",
    "MAX_STARTING",
    "REBUFFERING",
    "SAME_MOMENT_MS",
    "STARTING",
    "SessionFacts",
    "Signals",
    "read",
]

# Two reports of one stall (the audio and the video segment's ``bs``) or of one switch (the SDK's
# and the player's) are at most this far apart.
SAME_MOMENT_MS = 1_000
# States in which a player has shown no frame yet: starting, preloading.
STARTING = frozenset({"s", "d"})
# Session facts a window remembers, in a set of their own beside the event ids (so that they never
# take the event ids' room): 4 or 5 per session (states, attempt, start, rendition, a stall each),
# 6-byte digests, 160 KB of the state at most.
# Past it, facts are counted as they come (as before there was a record of them).
MAX_SESSION_FACTS = 20_000
# Sessions whose ``sta=s`` time is kept until their ``sta=p`` (their startup): 5,000 entries of
# about 30 bytes of JSON, beside the event ids in Lambda's 1 MB window state (monitor/dedupe.py).
MAX_STARTING = 5_000
# The player states that mean rebuffering, by player (the collector URL's ``player``): dash.js 5.2
# reports a stall as waiting (``w``, which CTA-5004-B gives to a player waiting on something else).
REBUFFERING = {"dash.js": frozenset({"r", "w"})}
DEFAULT_REBUFFERING = frozenset({"r"})


@dataclass
class Signals:
    """An event's contribution to every aggregate it is counted in."""

    counts: dict[str, int] = field(default_factory=dict)
    startup_ms: int | None = None
    first_byte_ms: float | None = None  # a CDN request's (monitor/requests.py)
    origin_first_byte_ms: float | None = None

    def add(self, counter: str, amount: int = 1) -> None:
        if amount:
            self.counts[counter] = self.counts.get(counter, 0) + amount

    def sketch_keys(self) -> tuple[int | None, int | None, int | None]:
        """The sketch buckets of the startup, first-byte and origin first-byte times (None: no
        such time), computed once per event for every aggregate it is added to."""
        return (
            None if self.startup_ms is None else QuantileSketch.key(self.startup_ms),
            None if self.first_byte_ms is None else QuantileSketch.key(self.first_byte_ms),
            None if self.origin_first_byte_ms is None else QuantileSketch.key(self.origin_first_byte_ms),
        )


class SessionFacts:
    """Which facts of which sessions this window has counted, kept in the window's ``EventIds``,
    when the sessions that have not started yet reported starting (``starting``), and the video
    bitrate each session last requested from the CDN (``renditions``, monitor/requests.py)."""

    def __init__(
        self, seen: EventIds, starting: dict[str, int] | None = None, renditions: dict[str, int] | None = None
    ) -> None:
        self.seen = seen
        self.starting = starting if starting is not None else {}
        self.renditions = renditions if renditions is not None else {}

    def started_at(self, session: str, ts: int | None) -> None:
        """``session`` reported starting at ``ts`` (the player's clock; kept only with one)."""
        if ts is not None and len(self.starting) < MAX_STARTING:
            self.starting[_digest(session)] = ts

    def awaiting_start(self, session: str) -> bool:
        return _digest(session) in self.starting

    def startup_of(self, session: str, ts: int | None) -> int | None:
        """The time from ``session``'s starting report to ``ts``, both on the player's clock;
        none without a ``ts`` or past the bound a player's own media start delay has (``msd``'s,
        in the schema): a clock jump, not a start."""
        started = self.starting.pop(_digest(session), None)
        if started is None or ts is None or not 0 <= ts - started <= _max_startup_ms():
            return None
        return ts - started

    def switched(self, session: str, bitrate_kbps: int, room: int) -> bool:
        """True when ``session`` last requested another bitrate than ``bitrate_kbps`` in this
        window; the first bitrate of at most ``room`` sessions is kept (past it, a session's
        switches are not counted: none is counted twice)."""
        key = _digest(session)
        last = self.renditions.get(key)
        if last is None and len(self.renditions) >= room:
            return False
        self.renditions[key] = bitrate_kbps
        return last is not None and last != bitrate_kbps

    def first(self, session: str, fact: str) -> bool:
        """True the first time ``fact`` is seen for ``session`` in this window."""
        return self.seen.first_time(f"\x00{fact}\x00{session}")

    def known(self, session: str, fact: str) -> bool:
        return self.seen.contains(f"\x00{fact}\x00{session}")

    def new_moment(self, session: str, what: str, at_ms: int) -> bool:
        """True unless ``what`` (a stall, a switch) of ``session`` was counted near ``at_ms``: in
        the same or a neighbouring one-second bucket, so two reports a second apart or less are
        always one (two up to two seconds apart may be)."""
        bucket = at_ms // SAME_MOMENT_MS
        if any(self.known(session, f"{what}@{b}") for b in (bucket - 1, bucket, bucket + 1)):
            return False
        return self.first(session, f"{what}@{bucket}")


def read(event: dict[str, Any], facts: SessionFacts) -> Signals:
    signals = Signals()
    signals.add("events")
    payload = event["payload"][1] if event.get("payload") else {}
    reader = _READERS.get(event["event_type"])
    if reader is not None:
        reader(signals, payload, event, facts)
    return signals


def _session_start(s: Signals, p: dict[str, Any], e: dict[str, Any], facts: SessionFacts) -> None:
    if facts.first(e["session_id"], "attempt"):
        s.add("attempts")


def _play(s: Signals, p: dict[str, Any], e: dict[str, Any], facts: SessionFacts) -> None:
    if p.get("initial") and facts.first(e["session_id"], "start"):
        s.add("video_starts")
        s.startup_ms = p.get("startup_time_ms")


def _error(s: Signals, p: dict[str, Any], e: dict[str, Any], facts: SessionFacts) -> None:
    if p.get("fatal"):
        _fatal(s, e["session_id"], before_first_frame=p.get("playhead_ms") is None, facts=facts)


def _fatal(s: Signals, session: str, *, before_first_frame: bool, facts: SessionFacts) -> None:
    if not facts.first(session, "fatal"):
        return
    s.add("fatal_errors")
    if before_first_frame and not facts.known(session, "start"):
        s.add("video_start_failures")


def _session_end(s: Signals, p: dict[str, Any], e: dict[str, Any], facts: SessionFacts) -> None:
    if p.get("watch_time_ms") == 0 and p.get("reason") != "error":
        s.add("exits_before_video_start")


def _heartbeat(s: Signals, p: dict[str, Any], e: dict[str, Any], facts: SessionFacts) -> None:
    s.add("watch_ms", p["watch_time_ms"])
    s.add("rebuffer_ms", p["rebuffer_time_ms"])
    s.add("bitrate_kbps_ms", p["bitrate_kbps"] * p["watch_time_ms"])
    s.add("heartbeats")
    if p["rebuffer_time_ms"] > 0:
        s.add("stalled_heartbeats")


def _buffering_start(s: Signals, p: dict[str, Any], e: dict[str, Any], facts: SessionFacts) -> None:
    if p.get("cause") == "stall" and facts.new_moment(e["session_id"], "stall", e["client_time"]):
        s.add("stalls")


def _cmcd(s: Signals, p: dict[str, Any], e: dict[str, Any], facts: SessionFacts) -> None:
    """A player's own CMCD report (event mode)."""
    session, state, kind = e["session_id"], p.get("cmcd_sta"), p.get("cmcd_e")
    at, ts = e["client_time"], p.get("cmcd_ts")
    if p.get("cmcd_sn") == 0:
        facts.first(session, "began")  # its first report: the session began in this window
    if state is not None:
        facts.first(session, "states")  # its stalls come from its states, not from ``bs``
    stateless = state is None and not facts.known(session, "states")
    if kind == "ps" and state == "s" and facts.first(session, "attempt"):
        s.add("attempts")
        facts.started_at(session, ts)
    if p.get("cmcd_msd") is not None:
        _cmcd_start(s, session, p["cmcd_msd"], stateless, facts)
    elif kind == "ps" and state == "p" and facts.awaiting_start(session):
        _cmcd_start(s, session, facts.startup_of(session, ts), stateless, facts)
    # Before the first frame: the player says it is starting, or (a player reporting no state) its
    # first report was seen in this window and no start since.
    starting = (
        state in STARTING if state is not None else facts.known(session, "began") and not facts.known(session, "start")
    )
    rebuffering = REBUFFERING.get(e["player"]["name"], DEFAULT_REBUFFERING)
    if kind == "ps" and state in rebuffering:
        stalled = not (facts.known(session, "attempt") and not facts.known(session, "start"))  # not while starting
    else:
        stalled = bool(p.get("cmcd_bs")) and stateless
    if stalled and facts.new_moment(session, "stall", at):
        s.add("stalls")
    if p.get("cmcd_ot") != "a":  # an audio and a video report of one starvation: the video's
        s.add("rebuffer_ms", p.get("cmcd_bsd") or 0)
    if state == "f" or kind == "e":
        _cmcd_error(s, session, state, starting=starting, stateless=stateless, facts=facts)
    # The first bc while starting is the rendition the player starts on (hls.js and Shaka send it)
    if (
        kind == "bc"
        and not (starting and facts.first(session, "rendition"))
        and facts.new_moment(session, "switch", at)
    ):
        s.add("bitrate_switches")
    if kind == "t":
        s.add("heartbeats")
        if p.get("cmcd_bs") or state in rebuffering:
            s.add("stalled_heartbeats")


def _cmcd_error(
    s: Signals, session: str, state: str | None, *, starting: bool, stateless: bool, facts: SessionFacts
) -> None:
    """An error report (``e=e``) or the fatal state (``sta=f``). Before the first frame either is a
    failed start. After it, ``e=e`` does not say whether playback ended (dash.js and Shaka send it
    for every failed request, the ones they recover from too): only ``sta=f`` is a fatal error."""
    if starting:
        if stateless and facts.first(session, "attempt"):
            s.add("attempts")  # a failed start is the only sign of the attempt such a player gives
        if facts.known(session, "attempt"):  # else a retry of a failure counted in an earlier window
            _fatal(s, session, before_first_frame=True, facts=facts)
    elif state == "f":
        failed_start = facts.known(session, "attempt") and not facts.known(session, "start")
        _fatal(s, session, before_first_frame=failed_start, facts=facts)


def _cmcd_start(s: Signals, session: str, startup_ms: int | None, stateless: bool, facts: SessionFacts) -> None:
    if not facts.first(session, "start"):
        return
    if stateless and facts.first(session, "attempt"):
        s.add("attempts")  # its start is the only sign of the attempt such a player gives
    s.add("video_starts")
    s.startup_ms = startup_ms


@functools.cache
def _max_startup_ms() -> int:
    from sluice.events.bounds import field_bounds  # the schemas, read on the first startup only

    return int(field_bounds()["cmcd_msd"].maximum or 0)


def _digest(session: str) -> str:
    return hashlib.blake2b(session.encode(), digest_size=DIGEST_BYTES).hexdigest()


def _bitrate_change(s: Signals, p: dict[str, Any], e: dict[str, Any], facts: SessionFacts) -> None:
    if facts.new_moment(e["session_id"], "switch", e["client_time"]):  # the player's own bc beside it
        s.add("bitrate_switches")


def _simple(counter: str) -> Callable[[Signals, dict[str, Any], dict[str, Any], SessionFacts], None]:
    def count(s: Signals, p: dict[str, Any], e: dict[str, Any], facts: SessionFacts) -> None:
        s.add(counter)

    return count


_READERS: dict[str, Callable[[Signals, dict[str, Any], dict[str, Any], SessionFacts], None]] = {
    "session_start": _session_start,
    "play": _play,
    "error": _error,
    "session_end": _session_end,
    "heartbeat": _heartbeat,
    "buffering_start": _buffering_start,
    "bitrate_change": _bitrate_change,
    "ad_start": _simple("ad_starts"),
    "ad_error": _simple("ad_errors"),
    "ad_complete": _simple("ad_completes"),
    "cmcd": _cmcd,
}
