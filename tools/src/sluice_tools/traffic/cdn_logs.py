"""Realistic CloudFront real-time log lines: viewers' players fetching HLS and DASH through edge
locations, with CMCD version 1 on every media request, and faults to inject for scenarios.

Each viewer session is one player (hls.js, dash.js or Shaka in a browser, ExoPlayer, AVPlayer)
behind one edge location, playing one title from one of two origins (the ``/live/*`` and
``/vod/*`` cache behaviours). It fetches the manifest, then segments: back to back while it
starts (``su``), then one per segment duration; it switches bitrate with its throughput, stalls
now and then (``bs`` on the next request), retries a failed request and gives up after a few.
Its CMCD rides where its player puts it (the query for the browser players, headers for
ExoPlayer and AVPlayer), or where the caller says, and the configuration's ``cmcd-*`` fields
carry it in the ``fields`` mode. The edge answers from its cache (Hit, RefreshHit) or the
origin's (Miss, with the origin's first-byte latency); a small share of requests fail.

Lines come in the field order given (the deployed configuration's), written by
``sluice.cdn.logline.format_line``, in the order of their ``timestamp`` (when the edge finished
answering), kept at random at the configuration's sampling rate as CloudFront keeps them. The
same arguments give the same lines; the sampling draws apart from the sessions, so a sampled
output is a subset of the unsampled one.
"""

from __future__ import annotations

import base64
import heapq
import math
import random
import uuid
from collections.abc import Generator, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Literal

from sluice.cdn.config import local_fields
from sluice.cdn.logline import Value, format_line
from sluice_tools.traffic import catalogue

__all__ = [
    "BASE_ERROR_RATE",
    "CMCD_MODES",
    "DISTRIBUTION_HOST",
    "EDGES",
    "EDGE_LOCATIONS",
    "FAULT_KINDS",
    "LIVE_SHARE",
    "MAX_RETRIES",
    "ORIGINS",
    "PLAYERS",
    "PLAYER_DEFAULTS",
    "RETRY_DELAY_S",
    "SEGMENT_DURATION_S",
    "STALL_RATE",
    "SWITCH_RATE",
    "VIEWER_HOST",
    "CdnFault",
    "CmcdMode",
    "FaultKind",
    "Player",
    "cdn_log_lines",
]

FaultKind = Literal["status", "slow_first_byte", "origin_status", "origin_slow"]
FAULT_KINDS: tuple[FaultKind, ...] = ("status", "slow_first_byte", "origin_status", "origin_slow")
CmcdMode = Literal["query", "headers", "fields", "none"]
CMCD_MODES: tuple[CmcdMode, ...] = ("query", "headers", "fields", "none")
# "players": each player's own default (hls.js, dash.js and Shaka: the query; Media3 and AVPlayer:
# headers), with some sessions whose player was configured for headers or sends none.
PLAYER_DEFAULTS: Literal["players"] = "players"

SEGMENT_DURATION_S = 4.0
DISTRIBUTION_HOST = "d111111abcdef8.cloudfront.net"
VIEWER_HOST = "video.example.com"

# Edge locations and the countries whose viewers they serve (a viewer stays on one: its resolver's).
EDGES: tuple[tuple[str, tuple[str, ...], float], ...] = (
    ("AMS1-C1", ("NL", "BE"), 0.15),
    ("FRA56-P2", ("DE", "AT", "CH"), 0.20),
    ("LHR61-C2", ("GB", "IE"), 0.15),
    ("IAD89-C3", ("US", "CA"), 0.30),
    ("NRT57-P1", ("JP",), 0.10),
    ("GRU3-C1", ("BR",), 0.10),
)
EDGE_LOCATIONS = tuple(edge for edge, _, _ in EDGES)
# The two origins, as the cache behaviours that route to them.
ORIGINS = ("/live/*", "/vod/*")
LIVE_SHARE = 0.3
# Cache results per origin and object: live segments are new to each edge, live playlists expire
# every segment; VOD is mostly cached. (result, weight)
_CACHE = {
    ("/live/*", "manifest"): (("RefreshHit", 0.5), ("Miss", 0.35), ("Hit", 0.15)),
    ("/live/*", "segment"): (("Hit", 0.7), ("Miss", 0.3)),
    ("/vod/*", "manifest"): (("Hit", 0.9), ("RefreshHit", 0.05), ("Miss", 0.05)),
    ("/vod/*", "segment"): (("Hit", 0.85), ("RefreshHit", 0.03), ("Miss", 0.12)),
}
BASE_ERROR_RATE = 0.002  # a request the edge answers 404 or 5xx without any fault
STALL_RATE = 0.004  # per segment: the buffer runs dry
SWITCH_RATE = 0.03  # per segment: the player moves one rung with its throughput
MAX_RETRIES = 3  # a failed request is retried this often before the player gives up on it
RETRY_DELAY_S = 1.0


@dataclass(frozen=True)
class Player:
    name: str  # what the player is: hls.js, dash.js, shaka, exoplayer, avplayer
    user_agent: str
    streaming_format: Literal["h", "d"]
    default_mode: CmcdMode
    weight: float
    deadline: bool = False  # dash.js sends dl
    separate_audio: bool = False  # fetches audio segments on their own (ot=a)


_CHROME = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
)
PLAYERS: tuple[Player, ...] = (
    Player("hls.js", _CHROME, "h", "query", 0.25),
    Player(
        "hls.js",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "h",
        "query",
        0.08,
    ),
    Player(
        "dash.js",
        "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0",
        "d",
        "query",
        0.12,
        deadline=True,
        separate_audio=True,
    ),
    Player(
        "shaka",
        "Mozilla/5.0 (SMART-TV; LINUX; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) 94.0.4606.31/7.0 TV Safari/537.36",
        "d",
        "query",
        0.08,
        separate_audio=True,
    ),
    Player("shaka", _CHROME, "h", "query", 0.07),
    Player(
        "exoplayer",
        "SluiceTV/3.9.0 (Linux;Android 14) ExoPlayerLib/2.19.1",
        "d",
        "headers",
        0.17,
        separate_audio=True,
    ),
    Player(
        "avplayer",
        "AppleCoreMedia/1.0.0.22B83 (iPhone; U; CPU OS 18_1 like Mac OS X; en_us)",
        "h",
        "headers",
        0.23,
    ),
)
# CMCD version 1 keys by the header that carries them (CTA-5004, 3.1).
_HEADER_OF = {
    **dict.fromkeys(("bl", "dl", "mtp", "nor", "nrr", "su"), "CMCD-Request"),
    **dict.fromkeys(("br", "d", "ot", "tb"), "CMCD-Object"),
    **dict.fromkeys(("bs", "rtp"), "CMCD-Status"),
    **dict.fromkeys(("cid", "pr", "sf", "sid", "st", "v"), "CMCD-Session"),
}
# The configuration's cmcd-* field of each key.
_FIELD_OF = {
    "br": "cmcd-encoded-bitrate",
    "bl": "cmcd-buffer-length",
    "bs": "cmcd-buffer-starvation",
    "cid": "cmcd-content-id",
    "d": "cmcd-object-duration",
    "dl": "cmcd-deadline",
    "mtp": "cmcd-measured-throughput",
    "nor": "cmcd-next-object-request",
    "nrr": "cmcd-next-range-request",
    "ot": "cmcd-object-type",
    "pr": "cmcd-playback-rate",
    "rtp": "cmcd-requested-maximum-throughput",
    "sf": "cmcd-streaming-format",
    "sid": "cmcd-session-id",
    "st": "cmcd-stream-type",
    "su": "cmcd-startup",
    "tb": "cmcd-top-bitrate",
    "v": "cmcd-version",
}
_STRING_KEYS = frozenset({"cid", "nor", "nrr", "sid"})


@dataclass(frozen=True)
class CdnFault:
    """What goes wrong, where and when (seconds from the start of the traffic, ``end_s`` None:
    to the end): ``status``: the edge answers ``status``; ``slow_first_byte``: the edge takes
    ``first_byte_ms`` to its first byte; ``origin_status``: requests that reach the origin
    (Miss, RefreshHit) get ``status``; ``origin_slow``: they wait ``first_byte_ms`` for the
    origin's first byte. ``edge_location`` and ``origin`` (a cache behaviour, ``/live/*``)
    narrow it; ``rate`` is the share of the requests it matches that it hits."""

    kind: FaultKind
    edge_location: str | None = None
    origin: str | None = None
    status: int = 503
    first_byte_ms: float = 3000.0
    start_s: float = 0.0
    end_s: float | None = None
    rate: float = 1.0

    def __post_init__(self) -> None:
        if self.kind not in FAULT_KINDS:
            raise ValueError(f"fault kind {self.kind!r}: one of {', '.join(FAULT_KINDS)}")
        if not 100 <= self.status <= 599:
            raise ValueError(f"fault status {self.status}: an HTTP status from 100 to 599")
        if self.first_byte_ms < 0 or not 0 <= self.rate <= 1:
            raise ValueError("a fault's first_byte_ms is at least 0 and its rate from 0 to 1")
        if self.end_s is not None and self.end_s < self.start_s:
            raise ValueError(f"a fault ends ({self.end_s} s) before it starts ({self.start_s} s)")

    def matches(self, edge: str, origin: str, at_s: float) -> bool:
        return (
            (self.edge_location is None or self.edge_location == edge)
            and (self.origin is None or self.origin == origin)
            and at_s >= self.start_s
            and (self.end_s is None or at_s < self.end_s)
        )


@dataclass
class _Response:
    status: int
    result: str
    detailed: str
    ttfb_s: float
    origin_fbl_s: float | None


class _Viewer:
    """One session's requests, in request order, each with its line's values."""

    def __init__(
        self,
        rng: random.Random,
        *,
        index: int,
        start_s: float,
        end_s: float,
        start_ms: int,
        faults: Sequence[CdnFault],
        mode: CmcdMode,
        player: Player,
        contents: list[tuple[str, str, int | None, bool]],
    ) -> None:
        self.rng = rng
        self.start_ms = start_ms
        self.faults = faults
        self.mode = mode
        self.player = player
        self.now = start_s
        self.end_s = end_s
        edge, countries, _ = rng.choices(EDGES, weights=[w for _, _, w in EDGES])[0]
        self.edge = edge
        self.country = rng.choice(countries)
        self.live = rng.random() < LIVE_SHARE
        self.origin = "/live/*" if self.live else "/vod/*"
        content_id = rng.choice([c for c in contents if c[3] == self.live] or contents)[0]
        self.content_id = content_id
        self.with_cid = rng.random() < 0.85
        self.sid = str(uuid.UUID(int=rng.getrandbits(128), version=4))
        if rng.random() < 0.15:
            self.ip = f"2001:db8:{rng.getrandbits(16):x}:{rng.getrandbits(16):x}::{rng.getrandbits(16):x}"
        else:
            self.ip = f"{rng.randint(11, 223)}.{rng.randint(0, 255)}.{rng.randint(0, 255)}.{rng.randint(1, 254)}"
        self.port = rng.randint(1024, 65535)
        self.asn = rng.choice((1136, 3320, 7922, 2516, 28573, 3352, 5089, 701))
        self.protocol_version = rng.choice(("HTTP/2.0", "HTTP/2.0", "HTTP/3.0", "HTTP/1.1"))
        # Throughput the viewer's network gives, kbps (median about 20 Mbps), and its rung.
        self.bandwidth = rng.lognormvariate(math.log(20_000), 0.7)
        ladder = catalogue.BITRATE_LADDER_KBPS
        self.rung = max(i for i, rate in enumerate(ladder) if rate <= self.bandwidth * 0.6 or i == 0)
        self.segment = rng.randint(0, 5000) if self.live else 0
        self.base = f"/{'live' if self.live else 'vod'}/{content_id}"
        self.starved = False
        self.played = False
        self.index = index

    # --- the session ---------------------------------------------------------------------------

    def requests(self) -> Generator[dict[str, Value], None, None]:
        rng = self.rng
        manifest = "master.m3u8" if self.player.streaming_format == "h" else "manifest.mpd"
        first = yield from self._fetch(f"{self.base}/{manifest}", "m", startup=True)
        if first is None:
            return
        startup_segments = 3
        while self.now < self.end_s:
            startup = startup_segments > 0
            ladder = catalogue.BITRATE_LADDER_KBPS
            if not startup and rng.random() < SWITCH_RATE:
                up = self.bandwidth * 0.6 > ladder[min(self.rung + 1, len(ladder) - 1)]
                self.rung = min(self.rung + 1, len(ladder) - 1) if up else max(self.rung - 1, 0)
            # A live HLS player reloads its media playlist before each segment.
            playlist = f"{self.base}/{ladder[self.rung]}k/index.m3u8"
            if self.live and self.player.streaming_format == "h" and (yield from self._fetch(playlist, "m")) is None:
                return
            got = yield from self._fetch(self._segment_path(self.segment), "v", startup=startup)
            if got is None:
                return
            if self.player.separate_audio:
                self.now += rng.uniform(0.005, 0.05)
                if (yield from self._fetch(self._segment_path(self.segment, audio=True), "a", startup=startup)) is None:
                    return
            self.played = True
            self.segment += 1
            if startup:
                startup_segments -= 1
                continue
            if rng.random() < STALL_RATE:
                self.starved = True
                self.now += rng.uniform(1.0, 6.0)
            self.now = max(self.now, got + SEGMENT_DURATION_S * rng.uniform(0.97, 1.03))

    def _segment_path(self, number: int, *, audio: bool = False) -> str:
        rendition = "audio_128k" if audio else f"{catalogue.BITRATE_LADDER_KBPS[self.rung]}k"
        extension = ".ts" if self.player.streaming_format == "h" and self.player.name == "avplayer" else ".m4s"
        return f"{self.base}/{rendition}/seg_{number:05d}{extension}"

    def _fetch(
        self, path: str, object_type: str, *, startup: bool = False
    ) -> Generator[dict[str, Value], None, float | None]:
        """Request ``path`` (retried when it fails), the player waiting for each answer; returns
        the request's start time, or None when the player gave up on the session."""
        started = self.now
        for attempt in range(MAX_RETRIES + 1):
            started = self.now
            values, ok, time_taken = self._request(path, object_type, startup=startup or attempt > 0)
            yield values
            self.now = started + time_taken
            if ok:
                return started
            self.now += RETRY_DELAY_S * (attempt + 1)
            if self.now >= self.end_s:
                return None
        if not self.played:
            return None  # the first requests all failed: the viewer leaves
        self.starved = True  # the player skips the object, its buffer ran dry
        return started

    def _request(self, path: str, object_type: str, *, startup: bool) -> tuple[dict[str, Value], bool, float]:
        rng = self.rng
        kind = "manifest" if object_type == "m" else "segment"
        ladder = catalogue.BITRATE_LADDER_KBPS
        bitrate = ladder[self.rung] if object_type == "v" else 128
        if kind == "manifest":
            body = rng.randint(600, 4000)
        else:
            body = int(bitrate * SEGMENT_DURATION_S * 125 * rng.uniform(0.85, 1.15))
        response = self._respond(kind)
        failed = response.status >= 400
        if failed:
            body = rng.randint(300, 900)
        throughput = max(100.0, self.bandwidth * rng.uniform(0.6, 1.2))
        transfer_s = body * 8 / (throughput * 1000)
        time_taken = response.ttfb_s + transfer_s
        cmcd = self._cmcd(path, object_type, bitrate, startup, throughput)
        values: dict[str, Value] = {
            "timestamp": self.start_ms + round((self.now + time_taken) * 1000),
            "c-ip": self.ip,
            "time-to-first-byte": round(response.ttfb_s, 3),
            "sc-status": response.status,
            "sc-bytes": body + rng.randint(300, 520),
            "cs-method": "GET",
            "cs-protocol": "https",
            "cs-host": DISTRIBUTION_HOST,
            "cs-uri-stem": path,
            "cs-bytes": rng.randint(180, 420),
            "x-edge-location": self.edge,
            "x-edge-request-id": base64.urlsafe_b64encode(rng.getrandbits(320).to_bytes(40, "big")).decode(),
            "x-host-header": VIEWER_HOST,
            "time-taken": round(time_taken, 3),
            "cs-protocol-version": self.protocol_version,
            "c-ip-version": "IPv6" if ":" in self.ip else "IPv4",
            "cs-user-agent": self.player.user_agent,
            "cs-referer": None if self.player.name in ("exoplayer", "avplayer") else "https://watch.example/",
            "x-edge-response-result-type": response.result,
            "x-forwarded-for": None,
            "ssl-protocol": "TLSv1.3",
            "x-edge-result-type": response.result,
            "sc-content-type": _content_type(path, failed),
            "sc-content-len": body,
            "sc-range-start": None,
            "sc-range-end": None,
            "c-port": self.port,
            "x-edge-detailed-result-type": response.detailed,
            "c-country": self.country,
            "cs-accept-encoding": "gzip, deflate, br",
            "cs-accept": "*/*",
            "cache-behavior-path-pattern": self.origin,
            "origin-fbl": None if response.origin_fbl_s is None else round(response.origin_fbl_s, 3),
            "origin-lbl": None if response.origin_fbl_s is None else round(response.origin_fbl_s + transfer_s * 0.3, 3),
            "asn": self.asn,
        }
        headers = [f"Host:{VIEWER_HOST}", f"User-Agent:{self.player.user_agent}", "Accept:*/*"]
        if cmcd and self.mode in ("query", "fields"):
            values["cs-uri-query"] = "CMCD=" + _serialise(cmcd)
        if cmcd and self.mode == "headers":
            by_header: dict[str, dict[str, object]] = {}
            for key, value in cmcd.items():
                by_header.setdefault(_HEADER_OF[key], {})[key] = value
            headers += [f"{name}:{_serialise(keys)}" for name, keys in sorted(by_header.items())]
        if cmcd and self.mode == "fields":
            for key, value in cmcd.items():
                values[_FIELD_OF[key]] = _field_value(value)
        values["cs-headers"] = "\n".join(headers) + "\n"
        if not failed:
            self.starved = False
        return values, not failed, time_taken

    def _respond(self, kind: str) -> _Response:
        rng = self.rng
        outcomes = _CACHE[(self.origin, kind)]
        result = rng.choices([r for r, _ in outcomes], weights=[w for _, w in outcomes])[0]
        ttfb = rng.lognormvariate(math.log(0.004), 0.6)
        origin_fbl = None
        if result != "Hit":
            origin_fbl = rng.lognormvariate(math.log(0.025 if self.live else 0.045), 0.5)
            ttfb += origin_fbl
        status = 200
        detailed = result
        for fault in self.faults:
            if not fault.matches(self.edge, self.origin, self.now) or rng.random() >= fault.rate:
                continue
            reaches_origin = result != "Hit"
            if fault.kind == "status":
                status, result, detailed = fault.status, "Error", "Error"
                origin_fbl = None
                ttfb = rng.lognormvariate(math.log(0.003), 0.4)
            elif fault.kind == "slow_first_byte":
                ttfb = max(ttfb, fault.first_byte_ms / 1000 * rng.uniform(0.8, 1.2))
            elif fault.kind == "origin_status" and reaches_origin:
                status, result = fault.status, "Error"
                detailed = {502: "OriginConnectError", 504: "OriginReadTimeout"}.get(status, "Error")
            elif fault.kind == "origin_slow" and reaches_origin:
                origin_fbl = fault.first_byte_ms / 1000 * rng.uniform(0.8, 1.2)
                ttfb = origin_fbl + rng.lognormvariate(math.log(0.004), 0.6)
        if status == 200 and rng.random() < BASE_ERROR_RATE:
            status = rng.choice((404, 404, 500, 502, 503, 504))
            result, detailed = "Error", {502: "OriginConnectError", 504: "OriginReadTimeout"}.get(status, "Error")
        return _Response(status, result, detailed, ttfb, origin_fbl)

    def _cmcd(self, path: str, object_type: str, bitrate: int, startup: bool, throughput: float) -> dict[str, object]:
        """The CMCD version 1 keys this player sends on this request (version 1: no ``v``)."""
        if self.mode == "none":
            return {}
        keys: dict[str, object] = {
            "sf": self.player.streaming_format,
            "sid": self.sid,
            "st": "l" if self.live else "v",
            "ot": object_type,
        }
        if self.with_cid:
            keys["cid"] = self.content_id
        if startup:
            keys["su"] = True
        if self.starved:
            keys["bs"] = True
        if object_type != "m":
            ladder = catalogue.BITRATE_LADDER_KBPS
            keys["br"] = bitrate
            keys["tb"] = ladder[-1] if object_type == "v" else 128
            keys["d"] = round(SEGMENT_DURATION_S * 1000)
            buffer_ms = 0 if startup else round(self.rng.gauss(12_000 if self.live else 24_000, 3_000))
            keys["bl"] = max(0, buffer_ms) // 100 * 100
            keys["mtp"] = round(throughput) // 100 * 100
            keys["nor"] = path.rsplit("/", 1)[-1].replace(f"{self.segment:05d}", f"{self.segment + 1:05d}")
            if self.player.deadline:
                keys["dl"] = max(0, buffer_ms - 2_000) // 100 * 100
        return dict(sorted(keys.items()))


def _content_type(path: str, failed: bool) -> str:
    if failed:
        return "text/html"
    if path.endswith(".m3u8"):
        return "application/vnd.apple.mpegurl"
    if path.endswith(".mpd"):
        return "application/dash+xml"
    if path.endswith(".ts"):
        return "video/mp2t"
    return "audio/mp4" if "/audio_" in path else "video/iso.segment"


def _serialise(keys: Mapping[str, object]) -> str:
    """CMCD keys as one Structured Field dictionary, as players write it (sorted, a true
    boolean as the bare key, strings quoted, tokens bare)."""
    members = []
    for key, value in keys.items():
        if value is True:
            members.append(key)
        elif key in _STRING_KEYS:
            members.append(f'{key}="{value}"')
        else:
            members.append(f"{key}={value}")
    return ",".join(members)


def _field_value(value: object) -> str:
    """A key's value as CloudFront logs it in its ``cmcd-*`` field: the bare value."""
    return "true" if value is True else str(value)


def cdn_log_lines(
    *,
    sessions: int,
    duration_s: float,
    seed: int = 1,
    start_ms: int = 1_795_680_000_000,
    faults: Sequence[CdnFault] = (),
    order: Sequence[str] | None = None,
    sampling_rate: int = 100,
    cmcd_mode: CmcdMode | Literal["players"] | Mapping[CmcdMode, float] = PLAYER_DEFAULTS,
    spread_s: float | None = None,
) -> Iterator[tuple[int, str]]:
    """(timestamp ms, line) of ``sessions`` viewers over ``duration_s`` seconds from ``start_ms``,
    in timestamp order, in ``order`` (default: the local stand-in's, ``local_fields()``).

    Sessions start over ``spread_s`` (default: the first half of the duration) and play to a
    random length within the duration. ``cmcd_mode``: ``players`` (each player's own), one mode
    for every session, or weights of modes (``{"query": 0.6, "headers": 0.3, "fields": 0.1}``).
    ``sampling_rate`` is the configuration's percentage of requests logged (1-100).
    """
    if sessions < 0 or duration_s <= 0:
        raise ValueError("sessions is at least 0 and duration_s above 0")
    if not 1 <= sampling_rate <= 100:
        raise ValueError(f"sampling_rate {sampling_rate}: a percentage from 1 to 100, as CloudFront takes it")
    for fault in faults:
        # A fault no request can match (a typo: AMS1-c1) would inject nothing, silently.
        if fault.edge_location is not None and fault.edge_location not in EDGE_LOCATIONS:
            raise ValueError(f"fault edge {fault.edge_location!r}: one of {', '.join(EDGE_LOCATIONS)}")
        if fault.origin is not None and fault.origin not in ORIGINS:
            raise ValueError(f"fault origin {fault.origin!r}: one of {', '.join(ORIGINS)}")
    fields = list(order) if order is not None else local_fields()
    rng = random.Random(seed)
    sample = random.Random(seed ^ 0x5A3D1E)
    contents = catalogue.content_catalogue()
    spread = duration_s / 2 if spread_s is None else min(spread_s, duration_s)
    viewers = []
    for index in range(sessions):
        player = rng.choices(PLAYERS, weights=[p.weight for p in PLAYERS])[0]
        mode = _mode(rng, cmcd_mode, player)
        start = rng.uniform(0, spread)
        length = rng.uniform(min(60.0, duration_s - start), duration_s - start)
        viewer = _Viewer(
            random.Random(rng.getrandbits(64)),
            index=index,
            start_s=start,
            end_s=start + length,
            start_ms=start_ms,
            faults=faults,
            mode=mode,
            player=player,
            contents=contents,
        )
        viewers.append(_in_time_order(viewer))
    # Checked above, before the first line: a caller writing a file sees a mistake before it opens it.
    return _merged(viewers, fields, sampling_rate, sample)


def _merged(
    viewers: list[Iterator[tuple[int, int, dict[str, Value]]]],
    fields: Sequence[str],
    sampling_rate: int,
    sample: random.Random,
) -> Iterator[tuple[int, str]]:
    for timestamp, _, values in heapq.merge(*viewers, key=lambda item: item[:2]):
        if sampling_rate < 100 and sample.random() * 100 >= sampling_rate:
            continue
        yield timestamp, format_line(values, fields)


def _mode(
    rng: random.Random, chosen: CmcdMode | Literal["players"] | Mapping[CmcdMode, float], player: Player
) -> CmcdMode:
    if isinstance(chosen, Mapping):
        unknown = set(chosen) - set(CMCD_MODES)
        if unknown or not chosen or sum(chosen.values()) <= 0:
            raise ValueError(f"cmcd_mode weights of {', '.join(CMCD_MODES)}, some above 0; got {dict(chosen)}")
        modes = list(chosen)
        return rng.choices(modes, weights=[chosen[m] for m in modes])[0]
    if chosen == PLAYER_DEFAULTS:
        # A player configured for headers instead, or sending none (CMCD left off).
        draw = rng.random()
        return "none" if draw < 0.03 else "headers" if draw < 0.10 else player.default_mode
    if chosen not in CMCD_MODES:
        raise ValueError(f"cmcd_mode {chosen!r}: players or one of {', '.join(CMCD_MODES)}")
    return chosen


def _in_time_order(viewer: _Viewer) -> Iterator[tuple[int, int, dict[str, Value]]]:
    """A viewer's lines by timestamp (when each answer ended): a request never ends before it
    starts, so a line is due once the next request starts after its end."""
    pending: list[tuple[int, int, dict[str, Value]]] = []
    for number, values in enumerate(viewer.requests()):
        started_ms = viewer.start_ms + round(viewer.now * 1000)
        while pending and pending[0][0] <= started_ms:
            yield heapq.heappop(pending)
        timestamp = values["timestamp"]
        assert isinstance(timestamp, int)
        heapq.heappush(pending, (timestamp, viewer.index * 10_000_000 + number, values))
    while pending:
        yield heapq.heappop(pending)
