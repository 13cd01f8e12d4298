"""Window aggregates: counters and time sketches (startup; a CDN request's first byte and its
origin's) per dimension value and per pair of dimension values (``cdn=fastly × country=GB``:
root-cause isolation needs them), updated event by event, merged across invocations and shards by
addition, kept small enough for Lambda's 1 MB window state. A CDN request (``cdn_request``) is
also counted where it was served (``CDN_DIMENSIONS``, ``CDN_PAIRS``).

Each dimension keeps at most ``max_values`` values, chosen by Space-Saving (Metwally, Agrawal and
El Abbadi, 2005): when a new value arrives with every slot taken, the value with the fewest
events (counted plus missed) gives up its slot, its counters are folded into ``other``, and the
newcomer starts with that number as its ``missed`` events. So, with k = ``max_values`` and N the
events a shard saw in the window: every value with more than N/k of them holds a slot at the
window's end (a failing content id cannot vanish into ``other``); its counters miss at most its
``missed`` events, never more than N/k, which sit in ``other``; a value that held its slot from
its first event is exact; and the tracked values plus ``other`` always add up to the exact total.

The state Lambda carries between invocations is also bounded in bytes (``fit_state``): values at
their schema bounds (a 512-byte content id, in 15 dimensions and pairs, 19 for a CDN request) can fill Lambda's 1 MB
long before every slot is taken. Past the budget, the lightest values of every dimension fold
into ``other`` (counted in ``folded``), and a value arriving after that starts with the largest
count folded as its ``missed``: the totals stay exact, the bound on a value's miss stays true.
"""

from __future__ import annotations

import base64
import functools
import itertools
import json
import zlib
from dataclasses import dataclass, field
from typing import Any

from sluice.batch.kinesis import LAMBDA_WINDOW_STATE_BYTES
from sluice.monitor.dedupe import EventIds
from sluice.monitor.requests import CDN_REQUEST, MAX_RENDITIONS, payload_of
from sluice.monitor.requests import read as read_request
from sluice.monitor.signals import MAX_SESSION_FACTS, SessionFacts, Signals
from sluice.monitor.signals import read as read_signals
from sluice.monitor.sketch import QuantileSketch

__all__ = [
    "ALL",
    "CACHE_RESULTS",
    "CDN_DIMENSIONS",
    "CDN_PAIRS",
    "CDN_PAIR_DIMENSIONS",
    "COUNTERS",
    "DEFAULT_BEHAVIOUR",
    "DIMENSIONS",
    "DIMENSION_FIELDS",
    "KEY_ORDER",
    "MAX_VALUES",
    "ONE_OF_FIELDS",
    "OTHER",
    "PAIRS",
    "PAIR_SEPARATOR",
    "SINGLE_DIMENSIONS",
    "STATE_BUDGET",
    "TRACKED_PAIRS",
    "Aggregate",
    "Cause",
    "WindowAggregates",
    "cache_result",
    "cause_of",
    "key_of",
    "max_value_bytes",
    "origin",
    "pair_dimension",
    "pair_value",
]

# Values kept per dimension and shard in a window (Space-Saving's k); the state's bytes are bounded
# apart from it (``fit_state``).
MAX_VALUES = 100
# Lambda's 1 MB of window state (named with the Kinesis batch contract), less room for the
# keys the handler adds beside the aggregates.
STATE_BUDGET = LAMBDA_WINDOW_STATE_BYTES - 16_000
ALL = "all"
OTHER = "other"
# dimension -> how to read its value from a decoded clean event
DIMENSIONS: dict[str, Any] = {
    "content": lambda e: e["content"]["id"],
    "cdn": lambda e: e["cdn"]["name"],
    "device_class": lambda e: (e.get("enrichment") or {}).get("device_class") or "unknown",
    "player_version": lambda e: f"{e['player']['name']}@{e['player']['version']}",
    "country": lambda e: (e.get("ingest") or {}).get("country") or "unknown",
}
# What a request result type says of the edge's cache, whatever the response: a request that
# ended in an error is a miss when CloudFront went to the origin for it (an origin error, an origin
# first-byte time), else it has no cache result (the edge refused or failed it before its cache:
# an outcome, which as a dimension value would be nothing but the errors themselves, and be
# "isolated" as the cause of every error).
CACHE_RESULTS = frozenset({"Hit", "RefreshHit", "Miss"})
# CloudFront's default cache behaviour's path pattern: it names no origin, the host does.
DEFAULT_BEHAVIOUR = "*"


def cache_result(event: dict[str, Any]) -> str | None:
    p = payload_of(event)
    result = p.get("cdn_result_type")
    if result in CACHE_RESULTS:
        return str(result)
    detailed = p.get("cdn_detailed_result_type") or ""
    if p.get("cdn_origin_first_byte_ms") is not None or detailed.startswith("Origin"):
        return "Miss"
    return None


def origin(event: dict[str, Any]) -> str:
    """The origin a request was for: its cache behaviour's path pattern, else (the default
    behaviour, or a configuration without the field) the distribution's host."""
    behaviour = payload_of(event).get("cdn_cache_behavior")
    if behaviour and behaviour != DEFAULT_BEHAVIOUR:
        return str(behaviour)
    return str((event.get("cdn") or {}).get("host") or "unknown")


# Dimensions of CDN-sourced events only (``cdn_request``): where a request was served. A reader's
# None leaves the event out of that dimension (and its pairs). The cache result is kept only
# beside the origin (``CDN_PAIRS``): alone, misses and refresh hits are a mix of every origin's,
# and one origin failing or slow moves that mix (its requests leave the successful ones), so the
# cache result alone would be a knock-on no isolation can take out.
CDN_DIMENSIONS: dict[str, Any] = {
    "edge_location": lambda e: payload_of(e).get("cdn_edge_location") or "unknown",
    "origin": origin,
}
CDN_PAIR_DIMENSIONS: dict[str, Any] = {"cache_result": cache_result}
# dimension -> the schema fields its value is made of: their bounds bound the monitor's keys
DIMENSION_FIELDS: dict[str, tuple[str, ...]] = {
    "content": ("content.id",),
    "cdn": ("cdn.name",),
    "device_class": ("enrichment.device_class",),
    "player_version": ("player.name", "player.version"),
    "country": ("ingest.country",),
    "edge_location": ("cdn_edge_location",),
    "cache_result": ("cdn_result_type",),
}
# dimension -> the schema fields one of which is its value
ONE_OF_FIELDS: dict[str, tuple[str, ...]] = {"origin": ("cdn_cache_behavior", "cdn.host")}


# Pairs of dimensions, tracked like dimensions: a cause may be a pair (a rebuffer storm on one CDN
# in one country), and removing a cause from any other dimension's counts needs their overlap.
PAIRS: tuple[tuple[str, str], ...] = tuple(itertools.combinations(DIMENSIONS, 2))
# Of the CDN dimensions' pairs, only those that can be a cause themselves: an edge that cannot
# reach one origin, an origin failing on the requests that reach it (its hits still served from
# the caches). Every other overlap (an edge and a country, an origin and a content id) is bounded
# by the smaller of the two (``isolation.Window.overlap``): the eight more pairs of every CDN
# dimension with every other would cost the monitor about twice the time per request, and their
# values' room in the window state, for knock-ons that bound takes out as well.
CDN_PAIRS: tuple[tuple[str, str], ...] = (
    ("edge_location", "origin"),
    ("origin", "cache_result"),
)
# Every single dimension, in the order a pair's two are kept in
SINGLE_DIMENSIONS: tuple[str, ...] = (*DIMENSIONS, *CDN_DIMENSIONS)
KEY_ORDER: tuple[str, ...] = (*SINGLE_DIMENSIONS, *CDN_PAIR_DIMENSIONS)
TRACKED_PAIRS = frozenset((*PAIRS, *CDN_PAIRS))
PAIR_SEPARATOR = "\u00d7"  # ×


def pair_dimension(first: str, second: str) -> str:
    return f"{first}{PAIR_SEPARATOR}{second}"


_PAIR_NAMES = {pair: pair_dimension(*pair) for pair in TRACKED_PAIRS}


@functools.lru_cache(maxsize=65_536)  # every event makes ten pairs of values a window sees again and again
def pair_value(first: str, second: str) -> str:
    """A pair's value as one key: a JSON array, unambiguous whatever the values contain."""
    return json.dumps([first, second], ensure_ascii=False, separators=(",", ":"))


# (dimension, value) pairs, one entry (``cdn=fastly``) or two (``cdn=fastly × country=GB``)
Cause = tuple[tuple[str, str], ...]


def cause_of(dimension: str, value: str) -> Cause:
    """What a tracked (dimension, value) stands for: one dimension's value, or a pair's two."""
    if PAIR_SEPARATOR not in dimension:
        return ((dimension, value),)
    first, second = dimension.split(PAIR_SEPARATOR)
    a, b = json.loads(value)
    return ((first, a), (second, b))


def key_of(cause: Cause) -> tuple[str, str]:
    """The (dimension, value) a cause is tracked under: the inverse of ``cause_of``."""
    if len(cause) == 1:
        return cause[0]
    (first, a), (second, b) = cause
    return pair_dimension(first, second), pair_value(a, b)


def max_value_bytes(dimension: str) -> int:
    """The longest value (UTF-8 bytes) a dimension can take, from the schema's bounds."""
    from sluice.events.bounds import max_bytes

    if dimension in ONE_OF_FIELDS:
        return max(len(OTHER), len("unknown"), *(max_bytes(f) for f in ONE_OF_FIELDS[dimension]))
    fields = DIMENSION_FIELDS[dimension]
    separators = len(fields) - 1  # player_version is name@version
    return max(len(OTHER), len("unknown"), sum(max_bytes(f) for f in fields) + separators)


COUNTERS = (
    "events",
    "attempts",  # session_start: a viewer asked for playback
    "video_start_failures",  # a fatal error before the first frame
    "exits_before_video_start",  # left before the first frame, without an error
    "video_starts",  # the first frame (play, initial)
    "fatal_errors",
    "stalls",  # rebuffering events (buffering_start, cause stall)
    "rebuffer_ms",
    "watch_ms",
    "bitrate_kbps_ms",  # bitrate weighted by watch time, for the time-weighted average
    "ad_starts",
    "ad_errors",
    "ad_completes",
    "heartbeats",  # heartbeat intervals reported
    "stalled_heartbeats",  # heartbeat intervals with rebuffering in them
    "bitrate_switches",  # rendition switches (bitrate_change; CMCD e=bc)
    # From the CDN's requests (monitor/requests.py), as sampled (rates need no scaling):
    "media_requests",  # media requests logged
    "media_request_errors",  # of them answered with a status of 400 or more
    "request_sessions",  # sessions seen in the window's requests
    "request_sessions_first_failed",  # of them, sessions whose first requests in the window all failed
    "request_stalls",  # buffer starvation (CMCD bs) reported on a session's requests, once per moment
    "requested_bitrate_kbps_total",  # CMCD br of video requests, summed
    "requested_bitrate_requests",  # video requests with a br
    "requested_bitrate_switches",  # a session's video br changing from one request to its next
    "measured_throughput_kbps_total",  # CMCD mtp, summed
    "measured_throughput_requests",  # requests with an mtp
    "sampling_rate_total",  # each request's sampling rate (1-100), summed: their mean is the rate
)


@dataclass
class Aggregate:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    startup: QuantileSketch = field(default_factory=QuantileSketch)
    # From the CDN's requests: the edge's time to first byte, and the origin's first-byte latency
    # of the requests CloudFront took to the origin (empty, two bytes of state, for other values)
    first_byte: QuantileSketch = field(default_factory=QuantileSketch)
    origin_first_byte: QuantileSketch = field(default_factory=QuantileSketch)

    def add(self, signals: Signals, keys: tuple[int | None, int | None, int | None] | None = None) -> None:
        """``keys``: ``signals.sketch_keys()``, when the caller adds one event to many aggregates."""
        counts = self.counts
        for name, amount in signals.counts.items():
            counts[name] += amount
        startup, first_byte, origin_first_byte = keys or signals.sketch_keys()
        if startup is not None:
            self.startup.add_key(startup)
        if first_byte is not None:
            self.first_byte.add_key(first_byte)
        if origin_first_byte is not None:
            self.origin_first_byte.add_key(origin_first_byte)

    def merge(self, other: Aggregate) -> None:
        for name, value in other.counts.items():
            self.counts[name] = self.counts.get(name, 0) + value
        self.startup.merge(other.startup)
        self.first_byte.merge(other.first_byte)
        self.origin_first_byte.merge(other.origin_first_byte)

    def to_state(self) -> list[Any]:
        # Trailing zeros and empty sketches left out (``from_state`` reads them as such): a
        # player's events leave every CDN counter at zero, and the state is JSON-encoded and
        # read back on every invocation of the window.
        counts = [self.counts[n] for n in COUNTERS]
        while counts and not counts[-1]:
            counts.pop()
        state: list[Any] = [
            counts,
            self.startup.to_state(),
            self.first_byte.to_state(),
            self.origin_first_byte.to_state(),
        ]
        while len(state) > 2 and not state[-1]:
            state.pop()
        return state

    @classmethod
    def from_state(cls, state: list[Any]) -> Aggregate:
        # A state written before the CDN's counters and sketches (a window open across a deploy)
        # has fewer of both: the missing ones are zero.
        counts = dict(zip(COUNTERS, state[0], strict=False))
        sketches = [QuantileSketch.from_state(s) for s in state[1:4]]
        sketches += [QuantileSketch() for _ in range(3 - len(sketches))]
        return cls({n: int(counts.get(n, 0)) for n in COUNTERS}, *sketches)


@dataclass
class WindowAggregates:
    """Per dimension, per value; plus events too late for this window, counted not lost."""

    max_values: int = MAX_VALUES
    by_dimension: dict[str, dict[str, Aggregate]] = field(default_factory=dict)
    late_events: int = 0
    unreadable: int = 0
    duplicates: int = 0  # records seen again in this window (a retried batch): not counted twice
    event_ids: EventIds = field(default_factory=EventIds)
    # the session facts counted (an attempt, a start, a stall: signals.py), and the sessions that
    # reported starting (CMCD sta=s) and have not played yet -> when
    facts: EventIds = field(default_factory=lambda: EventIds(capacity=MAX_SESSION_FACTS))
    starting: dict[str, int] = field(default_factory=dict)
    # the sessions' last requested video bitrate (CMCD br), for their switches (monitor/requests.py)
    renditions: dict[str, int] = field(default_factory=dict)
    # per dimension, per tracked value: events it may have had before it took its slot
    missed: dict[str, dict[str, int]] = field(default_factory=dict)
    folded: int = 0  # values folded into ``other`` to keep the state under Lambda's limit
    # per dimension: the most events (counted plus missed) of a value folded for size, which a
    # value arriving later may have had in ``other``
    floors: dict[str, int] = field(default_factory=dict)

    def add_event(self, event: dict[str, Any]) -> None:
        # Read once (a session's facts are counted once, across its events: monitor/signals.py),
        # then added to every value and pair the event belongs to.
        facts = SessionFacts(self.facts, self.starting, self.renditions)
        cdn = event["event_type"] == CDN_REQUEST
        signals = read_request(event, facts) if cdn else read_signals(event, facts)
        keys = signals.sketch_keys()
        self._slot("all", ALL).add(signals, keys)
        values = {dimension: str(read(event)) for dimension, read in DIMENSIONS.items()}
        for dimension, value in values.items():
            self._slot(dimension, value).add(signals, keys)
        for first, second in PAIRS:
            self._slot(_PAIR_NAMES[first, second], pair_value(values[first], values[second])).add(signals, keys)
        if not cdn:
            return
        served = {d: str(v) for d, read in CDN_DIMENSIONS.items() if (v := read(event)) is not None}
        for dimension, value in served.items():
            self._slot(dimension, value).add(signals, keys)
        served.update((d, str(v)) for d, read in CDN_PAIR_DIMENSIONS.items() if (v := read(event)) is not None)
        for first, second in CDN_PAIRS:
            if first in served and second in served:
                pair = pair_value(served[first], served[second])
                self._slot(_PAIR_NAMES[first, second], pair).add(signals, keys)

    def get(self, cause: Cause) -> Aggregate | None:
        dimension, value = key_of(cause)
        return self.by_dimension.get(dimension, {}).get(value)

    @property
    def everything(self) -> Aggregate:
        return self.by_dimension.get("all", {}).get(ALL) or Aggregate()

    def _slot(self, dimension: str, value: str) -> Aggregate:
        values = self.by_dimension.setdefault(dimension, {})
        found = values.get(value)
        if found is not None:
            return found
        if len(values) - (OTHER in values) >= self.max_values:
            self._give_slot(dimension, values, value)
        elif self.floors.get(dimension):
            self.missed.setdefault(dimension, {})[value] = self.floors[dimension]
        created = values[value] = Aggregate()
        return created

    def _give_slot(self, dimension: str, values: dict[str, Aggregate], newcomer: str) -> None:
        """Space-Saving: the value with the fewest events (counted plus missed) leaves its slot."""
        missed = self.missed.setdefault(dimension, {})
        victim = min((v for v in values if v != OTHER), key=lambda v: values[v].counts["events"] + missed.get(v, 0))
        floor = values[victim].counts["events"] + missed.pop(victim, 0)
        other = values.get(OTHER)
        if other is None:
            other = values[OTHER] = Aggregate()
        other.merge(values.pop(victim))
        missed[newcomer] = max(floor, self.floors.get(dimension, 0))

    def fit_state(self, budget: int = STATE_BUDGET) -> dict[str, Any]:
        """The window state, at most ``budget`` bytes of JSON: the lightest values of every
        dimension folded into ``other`` until it fits."""
        state = self.to_state()
        size = _json_size(state)
        while size > budget:
            if not self._fold_lightest(keep=0.9 * budget / size):
                # Only ``other`` is left in every dimension: the event ids are what remains.
                self.event_ids = EventIds(unchecked=self.event_ids.unchecked + len(self.event_ids))
                self.facts, self.starting, self.renditions = EventIds(capacity=MAX_SESSION_FACTS), {}, {}
            state = self.to_state()
            size = _json_size(state)
        return state

    def _fold_lightest(self, keep: float) -> bool:
        """Folds all but the heaviest ``keep`` share of every dimension's values into ``other``;
        False when there was nothing left to fold."""
        folded_any = False
        for dimension, values in self.by_dimension.items():
            if dimension == ALL:
                continue
            missed = self.missed.setdefault(dimension, {})
            ranked = sorted(
                (v for v in values if v != OTHER), key=lambda v: -(values[v].counts["events"] + missed.get(v, 0))
            )
            for victim in ranked[int(len(ranked) * keep) :]:
                floor = values[victim].counts["events"] + missed.pop(victim, 0)
                self.floors[dimension] = max(self.floors.get(dimension, 0), floor)
                values.setdefault(OTHER, Aggregate()).merge(values.pop(victim))
                self.folded += 1
                folded_any = True
        return folded_any

    def to_state(self) -> dict[str, Any]:
        return {
            "v": 3,
            "late": self.late_events,
            "unreadable": self.unreadable,
            "duplicates": self.duplicates,
            "seen": self.event_ids.to_state(),
            "facts": self.facts.to_state(),
            # Copies: a state handed back as it was returned (the monitor keeps its aggregates
            # beside it) must not change when they do.
            "starting": dict(self.starting),
            "renditions": dict(self.renditions),
            "folded": self.folded,
            "floors": dict(self.floors),
            "missed": _pack({d: dict(values) for d, values in self.missed.items() if values}),
            # Counters and sketches compress about tenfold: the room is left to the event ids.
            "dims": _pack({d: {v: a.to_state() for v, a in values.items()} for d, values in self.by_dimension.items()}),
        }

    @classmethod
    def from_state(cls, state: dict[str, Any] | None, max_values: int = MAX_VALUES) -> WindowAggregates:
        aggregates = cls(max_values)
        if not state:
            return aggregates
        aggregates.late_events = int(state.get("late", 0))
        aggregates.unreadable = int(state.get("unreadable", 0))
        aggregates.duplicates = int(state.get("duplicates", 0))
        aggregates.event_ids = EventIds.from_state(state.get("seen"))
        aggregates.facts = EventIds.from_state(state.get("facts"), MAX_SESSION_FACTS)
        aggregates.starting = {k: int(v) for k, v in (state.get("starting") or {}).items()}
        renditions = list((state.get("renditions") or {}).items())[:MAX_RENDITIONS]
        aggregates.renditions = {k: int(v) for k, v in renditions}
        aggregates.folded = int(state.get("folded", 0))
        aggregates.floors = {d: int(n) for d, n in state.get("floors", {}).items()}
        missed = _unpack(state.get("missed"))
        aggregates.missed = {d: {v: int(n) for v, n in values.items()} for d, values in missed.items()}
        for dimension, values in _unpack(state.get("dims")).items():
            aggregates.by_dimension[dimension] = {v: Aggregate.from_state(a) for v, a in values.items()}
        return aggregates

    def merge(self, other: WindowAggregates) -> None:
        self.late_events += other.late_events
        self.unreadable += other.unreadable
        self.duplicates += other.duplicates
        self.folded += other.folded
        for dimension, floor in other.floors.items():
            self.floors[dimension] = max(self.floors.get(dimension, 0), floor)
        # Combining shards keeps every value each of them kept: a combined view is not state.
        for dimension, values in other.by_dimension.items():
            mine = self.by_dimension.setdefault(dimension, {})
            for value, aggregate in values.items():
                mine.setdefault(value, Aggregate()).merge(aggregate)
        for dimension, missed in other.missed.items():
            own = self.missed.setdefault(dimension, {})
            for value, count in missed.items():
                own[value] = own.get(value, 0) + count

    def top(self, dimension: str, n: int) -> dict[str, Aggregate]:
        """The ``n`` values with the most events; the rest merged into ``other``."""
        values = self.by_dimension.get(dimension, {})
        ranked = sorted((v for v in values if v != OTHER), key=lambda v: -values[v].counts["events"])
        kept = {v: values[v] for v in ranked[:n]}
        rest = [values[v] for v in ranked[n:]] + ([values[OTHER]] if OTHER in values else [])
        if rest:
            merged = Aggregate()
            for aggregate in rest:
                merged.merge(aggregate)
            kept[OTHER] = merged
        return kept


def _pack(value: Any) -> str:
    return base64.b64encode(zlib.compress(json.dumps(value, separators=(",", ":")).encode(), 6)).decode("ascii")


def _json_size(state: dict[str, Any]) -> int:
    return len(json.dumps(state))  # as Lambda's runtime writes it, at its widest


def _unpack(packed: str | dict[str, Any] | None) -> Any:
    if isinstance(packed, dict):  # earlier versions kept them as plain JSON: a window open across a deploy
        return packed
    return json.loads(zlib.decompress(base64.b64decode(packed))) if packed else {}
