"""Window aggregates: counters and a startup-time sketch per dimension value and per pair of
dimension values (``cdn=fastly × country=GB``: root-cause isolation needs them), updated event by
event, merged across invocations and shards by addition, kept small enough for Lambda's 1 MB
window state.

Each dimension keeps at most ``max_values`` values, chosen by Space-Saving (Metwally, Agrawal and
El Abbadi, 2005): when a new value arrives with every slot taken, the value with the fewest
events (counted plus missed) gives up its slot, its counters are folded into ``other``, and the
newcomer starts with that number as its ``missed`` events. So, with k = ``max_values`` and N the
events a shard saw in the window: every value with more than N/k of them holds a slot at the
window's end (a failing content id cannot vanish into ``other``); its counters miss at most its
``missed`` events, never more than N/k, which sit in ``other``; a value that held its slot from
its first event is exact; and the tracked values plus ``other`` always add up to the exact total.

The state Lambda carries between invocations is also bounded in bytes (``fit_state``): values at
their schema bounds (a 512-byte content id, in 15 dimensions and pairs) can fill Lambda's 1 MB
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
from sluice.monitor.signals import MAX_SESSION_FACTS, SessionFacts, Signals
from sluice.monitor.signals import read as read_signals
from sluice.monitor.sketch import QuantileSketch

__all__ = [
    "ALL",
    "COUNTERS",
    "DIMENSIONS",
    "DIMENSION_FIELDS",
    "MAX_VALUES",
    "OTHER",
    "PAIRS",
    "PAIR_SEPARATOR",
    "STATE_BUDGET",
    "Aggregate",
    "Cause",
    "WindowAggregates",
    "cause_of",
    "key_of",
    "max_value_bytes",
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
# dimension -> the schema fields its value is made of: their bounds bound the monitor's keys
DIMENSION_FIELDS: dict[str, tuple[str, ...]] = {
    "content": ("content.id",),
    "cdn": ("cdn.name",),
    "device_class": ("enrichment.device_class",),
    "player_version": ("player.name", "player.version"),
    "country": ("ingest.country",),
}


# Pairs of dimensions, tracked like dimensions: a cause may be a pair (a rebuffer storm on one CDN
# in one country), and removing a cause from any other dimension's counts needs their overlap.
PAIRS: tuple[tuple[str, str], ...] = tuple(itertools.combinations(DIMENSIONS, 2))
PAIR_SEPARATOR = "\u00d7"  # ×


def pair_dimension(first: str, second: str) -> str:
    return f"{first}{PAIR_SEPARATOR}{second}"


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
)


@dataclass
class Aggregate:
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(COUNTERS, 0))
    startup: QuantileSketch = field(default_factory=QuantileSketch)

    def add(self, signals: Signals) -> None:
        for name, amount in signals.counts.items():
            self.counts[name] += amount
        if signals.startup_ms is not None:
            self.startup.add(signals.startup_ms)

    def merge(self, other: Aggregate) -> None:
        for name, value in other.counts.items():
            self.counts[name] = self.counts.get(name, 0) + value
        self.startup.merge(other.startup)

    def to_state(self) -> list[Any]:
        return [[self.counts[n] for n in COUNTERS], self.startup.to_state()]

    @classmethod
    def from_state(cls, state: list[Any]) -> Aggregate:
        counts = dict(zip(COUNTERS, state[0], strict=False))
        return cls({n: int(counts.get(n, 0)) for n in COUNTERS}, QuantileSketch.from_state(state[1]))


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
    # per dimension, per tracked value: events it may have had before it took its slot
    missed: dict[str, dict[str, int]] = field(default_factory=dict)
    folded: int = 0  # values folded into ``other`` to keep the state under Lambda's limit
    # per dimension: the most events (counted plus missed) of a value folded for size, which a
    # value arriving later may have had in ``other``
    floors: dict[str, int] = field(default_factory=dict)

    def add_event(self, event: dict[str, Any]) -> None:
        # Read once (a session's facts are counted once, across its events: monitor/signals.py),
        # then added to every value and pair the event belongs to.
        signals = read_signals(event, SessionFacts(self.facts, self.starting))
        self._slot("all", ALL).add(signals)
        values = {dimension: str(read(event)) for dimension, read in DIMENSIONS.items()}
        for dimension, value in values.items():
            self._slot(dimension, value).add(signals)
        for first, second in PAIRS:
            self._slot(pair_dimension(first, second), pair_value(values[first], values[second])).add(signals)

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
                self.facts, self.starting = EventIds(capacity=MAX_SESSION_FACTS), {}
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
            "starting": self.starting,
            "folded": self.folded,
            "floors": self.floors,
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
