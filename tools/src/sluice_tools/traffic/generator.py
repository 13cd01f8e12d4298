"""Realistic player sessions: start, ads, startup, heartbeats, stalls, bitrate switches, seeks,
pauses, errors and end; with tunable problem rates and incidents on one dimension value (a CDN
outage, a buffering storm on a player version). The same seed and start give the same output.
"""

from __future__ import annotations

import heapq
import json
import random
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

from sluice.events.json_mapping import iso_millis
from sluice_tools.sdk.delivery import DEFAULT as SDK_DELIVERY
from sluice_tools.traffic import catalogue
from sluice_tools.traffic.bad_events import BadKind, make_bad

__all__ = [
    "HEARTBEAT_INTERVAL_MS",
    "STEADY_HEARTBEAT_PAYLOAD",
    "GeneratedEvent",
    "Incident",
    "Problems",
    "Session",
    "TrafficConfig",
    "generate",
]

HEARTBEAT_INTERVAL_MS = SDK_DELIVERY.heartbeat_interval_ms  # the web SDK's (sluice_tools.sdk.delivery)

# One heartbeat of steady playback, fixed where a session would draw it: a whole interval watched,
# no stall, a full buffer. The image report probes the stages with it; the tests' factories build on it.
STEADY_HEARTBEAT_PAYLOAD: Mapping[str, int] = MappingProxyType(
    {
        "playhead_ms": 61_000,
        "bitrate_kbps": 3000,
        "buffer_length_ms": 18_000,
        "dropped_frames": 0,
        "watch_time_ms": HEARTBEAT_INTERVAL_MS,
        "rebuffer_time_ms": 0,
        "interval_ms": HEARTBEAT_INTERVAL_MS,
    }
)


@dataclass(frozen=True)
class Problems:
    """Per-session probabilities of the things that go wrong."""

    start_failure_rate: float = 0.02
    exit_before_start_rate: float = 0.03
    rebuffer_rate: float = 0.03  # per heartbeat interval
    fatal_error_rate: float = 0.002  # per heartbeat interval
    recoverable_error_rate: float = 0.01
    ad_error_rate: float = 0.05

    def worse(self, other: Problems) -> Problems:
        return Problems(*(max(a, b) for a, b in zip(vars(self).values(), vars(other).values(), strict=True)))


@dataclass(frozen=True)
class Incident:
    """Problems that hit sessions whose ``dimension`` equals ``value`` from ``start_ms`` on."""

    dimension: str  # cdn, player_version, content, device_type or country
    value: str
    start_ms: int
    end_ms: int | None = None
    problems: Problems = field(default_factory=Problems)
    also: tuple[tuple[str, Any], ...] = ()  # further (dimension, value) conditions: a pair's incident

    def applies(self, session: Session, at_ms: int) -> bool:
        return (
            getattr(session, self.dimension) == self.value
            and all(getattr(session, dimension) == value for dimension, value in self.also)
            and at_ms >= self.start_ms
            and (self.end_ms is None or at_ms < self.end_ms)
        )


@dataclass
class Session:
    session_id: str
    device: catalogue.DeviceProfile
    player_version: str
    content: tuple[str, str, int | None, bool]
    cdn: str
    country: str
    client_ip: str
    start_ms: int
    device_id: str

    @property
    def device_type(self) -> str:
        return self.device.type


@dataclass(frozen=True, slots=True)
class GeneratedEvent:
    """One line a player would send, and what must happen to it (``bad`` is None for a good one)."""

    body: str
    client_time_ms: int
    session: Session
    bad: BadKind | None = None
    event_id: str | None = None

    def line(self, *, with_request: bool = False) -> str:
        """The event as a player sends it; with the request context ingest would stamp on it
        (``sluice health simulate`` reads it: the country and device class are dimensions)."""
        if not with_request or not self.body.endswith("}"):
            return self.body  # a spoilt event stays as spoilt as it was
        request = {"user_agent": self.session.device.user_agent, "country": self.session.country}
        return self.body[:-1] + ',"request":' + json.dumps(request, separators=(",", ":")) + "}"

    @property
    def headers(self) -> dict[str, str]:
        return {
            "user-agent": self.session.device.user_agent,
            "cloudfront-viewer-country": self.session.country,
            "x-forwarded-for": self.session.client_ip,
        }


@dataclass
class TrafficConfig:
    sessions: int = 100
    seed: int = 1
    start_ms: int = 1_795_680_000_000  # 2026-11-26T08:00:00Z
    spread_ms: int = 5 * 60_000  # sessions start uniformly over this span
    max_heartbeats: int = 30
    bad_rate: float = 0.0
    problems: Problems = field(default_factory=Problems)
    incidents: tuple[Incident, ...] = ()


def _weighted(rng: random.Random, options: tuple[tuple[str, float], ...]) -> str:
    return rng.choices([o for o, _ in options], weights=[w for _, w in options])[0]


class _SessionWriter:
    """Emits the events of one session in order."""

    def __init__(self, session: Session, rng: random.Random, config: TrafficConfig) -> None:
        self.s = session
        self.rng = rng
        self.config = config
        self.now = session.start_ms
        self.sequence = 0
        self.events: list[tuple[int, dict[str, Any]]] = []  # (client time ms, event)
        self.playhead = 0
        self.bitrate = rng.choice(catalogue.BITRATE_LADDER_KBPS[2:5])

    def problems(self) -> Problems:
        current = self.config.problems
        for incident in self.config.incidents:
            if incident.applies(self.s, self.now):
                current = current.worse(incident.problems)
        return current

    def emit(self, event_type: str, payload: dict[str, Any], advance_ms: int = 0) -> None:
        self.now += advance_ms
        s = self.s
        content_id, title, duration, live = s.content
        self.events.append(
            (
                self.now,
                {
                    "event_id": str(uuid.UUID(int=self.rng.getrandbits(128), version=4)),
                    "event_type": event_type,
                    "session_id": s.session_id,
                    "sequence": self.sequence,
                    "client_time": iso_millis(self.now),
                    "player": {"name": s.device.player, "version": s.player_version},
                    "device": {
                        "id": s.device_id,
                        "type": s.device.type,
                        "model": s.device.model,
                        "screen_width": s.device.screen[0],
                        "screen_height": s.device.screen[1],
                    },
                    "content": {"id": content_id, "title": title, "duration_ms": duration, "live": live},
                    "cdn": {"name": s.cdn, "host": catalogue.CDN_HOSTS[s.cdn]},
                    "payload": payload,
                },
            )
        )
        self.sequence += 1

    def run(self) -> list[tuple[int, dict[str, Any]]]:
        rng = self.rng
        self.emit(
            "session_start",
            {
                "autoplay": rng.random() < 0.4,
                "page_url": f"https://watch.example/{self.s.content[0]}",
                "referrer": None,
            },
        )
        problems = self.problems()
        if rng.random() < problems.start_failure_rate:
            self.emit("buffering_start", {"playhead_ms": 0, "cause": "initial"}, 200)
            code = rng.choice(catalogue.START_FAILURE_CODES)
            self.emit(
                "error",
                {"code": code, "message": f"playback failed to start: {code}", "fatal": True, "playhead_ms": None},
                rng.randint(500, 8000),
            )
            self.emit("session_end", {"reason": "error", "playhead_ms": 0, "watch_time_ms": 0}, 100)
            return self.events
        if rng.random() < 0.3:
            self.ad_break("preroll")
        self.emit("buffering_start", {"playhead_ms": 0, "cause": "initial"}, 150)
        if rng.random() < problems.exit_before_start_rate:
            self.emit(
                "session_end", {"reason": "user_exit", "playhead_ms": 0, "watch_time_ms": 0}, rng.randint(3000, 15000)
            )
            return self.events
        startup = int(rng.lognormvariate(6.9, 0.45))  # median about 1 s
        self.emit("buffering_end", {"playhead_ms": 0, "cause": "initial", "duration_ms": startup}, startup)
        self.emit("play", {"playhead_ms": 0, "initial": True, "startup_time_ms": startup + 150}, 10)
        watch_total = 0
        last_heartbeat = self.now
        for _ in range(rng.randint(3, self.config.max_heartbeats)):
            problems = self.problems()
            rebuffer = 0
            if rng.random() < problems.rebuffer_rate:
                rebuffer = int(rng.lognormvariate(7.5, 0.6))
                self.emit("buffering_start", {"playhead_ms": self.playhead, "cause": "stall"}, rng.randint(500, 5000))
                self.emit(
                    "buffering_end", {"playhead_ms": self.playhead, "cause": "stall", "duration_ms": rebuffer}, rebuffer
                )
                if self.bitrate > catalogue.BITRATE_LADDER_KBPS[0]:
                    new = catalogue.BITRATE_LADDER_KBPS[catalogue.BITRATE_LADDER_KBPS.index(self.bitrate) - 1]
                    self.emit(
                        "bitrate_change", {"playhead_ms": self.playhead, "from_kbps": self.bitrate, "to_kbps": new}, 50
                    )
                    self.bitrate = new
            elif rng.random() < 0.08 and self.bitrate < catalogue.BITRATE_LADDER_KBPS[-1]:
                new = catalogue.BITRATE_LADDER_KBPS[catalogue.BITRATE_LADDER_KBPS.index(self.bitrate) + 1]
                self.emit(
                    "bitrate_change",
                    {"playhead_ms": self.playhead, "from_kbps": self.bitrate, "to_kbps": new},
                    rng.randint(500, 5000),
                )
                self.bitrate = new
            if rng.random() < problems.recoverable_error_rate:
                code = rng.choice(catalogue.RECOVERABLE_CODES)
                self.emit(
                    "error",
                    {"code": code, "message": f"recovered: {code}", "fatal": False, "playhead_ms": self.playhead},
                    100,
                )
            if rng.random() < problems.fatal_error_rate:
                code = rng.choice(catalogue.FATAL_CODES)
                self.emit(
                    "error",
                    {"code": code, "message": f"playback stopped: {code}", "fatal": True, "playhead_ms": self.playhead},
                    300,
                )
                self.emit(
                    "session_end", {"reason": "error", "playhead_ms": self.playhead, "watch_time_ms": watch_total}, 100
                )
                return self.events
            if rng.random() < 0.03:
                target = self.playhead + rng.randint(-60_000, 120_000)
                self.emit("seek", {"from_ms": self.playhead, "to_ms": max(0, target)}, 200)
                self.playhead = max(0, target)
            if rng.random() < 0.02:
                self.emit("pause", {"playhead_ms": self.playhead}, 300)
                self.emit(
                    "play",
                    {"playhead_ms": self.playhead, "initial": False, "startup_time_ms": None},
                    rng.randint(2000, 20000),
                )
            stalled = min(rebuffer, HEARTBEAT_INTERVAL_MS // 2)
            watched = HEARTBEAT_INTERVAL_MS - stalled
            self.playhead += watched
            watch_total += watched
            last_heartbeat = max(self.now, last_heartbeat + HEARTBEAT_INTERVAL_MS)
            self.emit(
                "heartbeat",
                {
                    "playhead_ms": self.playhead,
                    "bitrate_kbps": self.bitrate,
                    "buffer_length_ms": max(0, int(rng.gauss(20_000, 6_000)) - rebuffer),
                    "dropped_frames": rng.choice((0, 0, 0, 0, 1, 2, 5)),
                    "watch_time_ms": watched,
                    "rebuffer_time_ms": stalled,
                    "interval_ms": HEARTBEAT_INTERVAL_MS,
                },
                last_heartbeat - self.now,
            )
            if rng.random() < 0.04:
                self.ad_break("midroll")
        self.emit(
            "session_end",
            {
                "reason": rng.choice(("completed", "user_exit")),
                "playhead_ms": self.playhead,
                "watch_time_ms": watch_total,
            },
            500,
        )
        return self.events

    def ad_break(self, position: str) -> None:
        rng = self.rng
        break_id = f"{position}-{self.sequence}"
        self.emit("ad_break_start", {"ad_break_id": break_id, "position": position, "playhead_ms": self.playhead}, 100)
        started = self.now
        for index in range(rng.randint(1, 3)):
            ad_id = f"ad-{rng.randint(1, 400):04d}"
            if rng.random() < self.problems().ad_error_rate:
                code = rng.choice(catalogue.AD_ERROR_CODES)
                self.emit(
                    "ad_error", {"ad_id": ad_id, "code": code, "message": f"ad failed: {code}"}, rng.randint(300, 3000)
                )
                continue
            duration = rng.choice((15_000, 30_000))
            self.emit(
                "ad_start",
                {"ad_id": ad_id, "ad_break_id": break_id, "duration_ms": duration, "ad_system": "gam"},
                400 + index,
            )
            if rng.random() < 0.15:
                skip_after = rng.randint(5_000, duration - 1_000)
                self.emit("ad_skip", {"ad_id": ad_id, "skipped_after_ms": skip_after}, skip_after)
                continue
            for quartile in (1, 2, 3):
                self.emit("ad_quartile", {"ad_id": ad_id, "quartile": quartile}, duration // 4)
            self.emit("ad_complete", {"ad_id": ad_id}, duration // 4)
        self.emit("ad_break_end", {"ad_break_id": break_id, "duration_ms": self.now - started}, 50)


def _new_session(
    rng: random.Random, config: TrafficConfig, contents: list[tuple[str, str, int | None, bool]]
) -> Session:
    device = rng.choices(catalogue.DEVICES, weights=[d.weight for d in catalogue.DEVICES])[0]
    return Session(
        session_id=str(uuid.UUID(int=rng.getrandbits(128), version=4)),
        device=device,
        player_version=rng.choice(catalogue.PLAYER_VERSIONS[device.player]),
        content=contents[min(int(rng.paretovariate(1.2)) - 1, len(contents) - 1)],
        cdn=_weighted(rng, catalogue.CDNS),
        country=_weighted(rng, catalogue.COUNTRIES),
        client_ip=f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}",
        start_ms=config.start_ms + rng.randint(0, config.spread_ms),
        device_id=f"dev-{rng.getrandbits(48):012x}",
    )


def generate(config: TrafficConfig) -> Iterator[GeneratedEvent]:
    """Every event of ``config.sessions`` sessions, in client-time order."""
    rng = random.Random(config.seed)
    contents = catalogue.content_catalogue()
    streams = []
    for _ in range(config.sessions):
        session = _new_session(rng, config, contents)
        events = _SessionWriter(session, random.Random(rng.getrandbits(64)), config).run()
        streams.append([(ms, session.start_ms, e["sequence"], e, session) for ms, e in events])
    bad_rng = random.Random(config.seed ^ 0x5EED)
    for client_ms, _, _, event, session in heapq.merge(*streams, key=lambda item: item[:3]):
        if config.bad_rate and bad_rng.random() < config.bad_rate:
            kind = bad_rng.choice(list(BadKind))
            body = make_bad(kind, event, bad_rng)
            yield GeneratedEvent(body, client_ms, session, kind, event["event_id"])
            continue
        yield GeneratedEvent(json.dumps(event, separators=(",", ":")), client_ms, session, None, event["event_id"])
