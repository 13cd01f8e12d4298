"""Short streams made at test time with Debian's ffmpeg (an HLS and a DASH ladder of a test pattern,
and a plain MP4), served with the player pages by a local HTTP server that injects faults (a held
segment, a 404 on a rendition, every segment failing); and a CMCD collector that records what a
player posts, exactly as sent."""

from __future__ import annotations

import re
import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RENDITIONS = (("low", "426x240", 400), ("high", "854x480", 1200))  # name, size, kbps
SECONDS = 12
HELD_TARGET_S = 5  # the HLS playlists' EXT-X-TARGETDURATION (see make_stream)
# hls: low/seg005.ts (numbered from 0); dash: chunk-1-00006.m4s (ffmpeg's $Number$ starts at 1)
_HLS_SEGMENT = re.compile(r"^(?P<rendition>[^/]+)/seg(?P<n>\d+)\.ts$")
_DASH_SEGMENT = re.compile(r"^dash/chunk-(?P<rendition>\d+)-(?P<n>\d+)\.m4s$")
_DASH_INIT = re.compile(r"^dash/init-(?P<rendition>\d+)\.m4s$")


def _ffmpeg() -> str:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is not installed (apt-get install ffmpeg)")
    return ffmpeg


def _video(kbps: int) -> list[str]:
    # One keyframe a second, so every 1-second segment starts with one.
    return ["-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-b:v", f"{kbps}k",
            "-maxrate", f"{kbps}k", "-bufsize", f"{kbps}k", "-g", "25", "-keyint_min", "25",
            "-sc_threshold", "0"]  # fmt: skip


def make_stream(folder: Path) -> Path:
    """``folder/master.m3u8`` over two H.264 renditions in 1-second segments (video only)."""
    for name, size, kbps in RENDITIONS:
        (folder / name).mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [_ffmpeg(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25",
             "-t", str(SECONDS), *_video(kbps), "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod",
             "-hls_segment_filename", str(folder / name / "seg%03d.ts"), str(folder / name / "index.m3u8")],
            check=True,
            timeout=120,
        )  # fmt: skip
    for name, _, _ in RENDITIONS:
        # A target duration above the segments' is valid (it is an upper bound), and keeps VHS
        # (video.js) from timing out a held segment at 1.5 x the target duration (1.5 s).
        playlist = folder / name / "index.m3u8"
        playlist.write_text(
            re.sub(r"#EXT-X-TARGETDURATION:\d+", f"#EXT-X-TARGETDURATION:{HELD_TARGET_S}", playlist.read_text())
        )
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for name, size, kbps in RENDITIONS:
        lines += [
            f'#EXT-X-STREAM-INF:BANDWIDTH={kbps * 1000},RESOLUTION={size},CODECS="avc1.42c01e"',
            f"{name}/index.m3u8",
        ]
    (folder / "master.m3u8").write_text("\n".join(lines) + "\n")
    return folder / "master.m3u8"


def make_dash(folder: Path) -> Path:
    """``folder/dash/manifest.mpd``: the same two video renditions (representations 0 and 1) and
    one AAC audio track (representation 2), in 1-second fMP4 segments."""
    out = folder / "dash"
    out.mkdir(parents=True, exist_ok=True)
    (_, low_size, low_kbps), (_, high_size, high_kbps) = RENDITIONS
    subprocess.run(
        [_ffmpeg(), "-loglevel", "error", "-y",
         "-f", "lavfi", "-i", f"testsrc=size={high_size}:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000",
         "-t", str(SECONDS),
         "-map", "0:v", "-map", "0:v", "-map", "1:a",
         "-s:v:0", low_size, *_ladder(low_kbps, high_kbps),
         "-c:a", "aac", "-b:a", "64k", "-ac", "1",
         "-f", "dash", "-seg_duration", "1", "-use_template", "1", "-use_timeline", "0",
         "-adaptation_sets", "id=0,streams=v id=1,streams=a",
         "-init_seg_name", "init-$RepresentationID$.m4s",
         "-media_seg_name", "chunk-$RepresentationID$-$Number%05d$.m4s",
         str(out / "manifest.mpd")],
        check=True,
        timeout=180,
    )  # fmt: skip
    return out / "manifest.mpd"


def _ladder(low_kbps: int, high_kbps: int) -> list[str]:
    """Per-output-stream video options: stream v:0 the low rendition, v:1 the high one."""
    _, high_size, _ = RENDITIONS[1]
    options = ["-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p", "-g", "25",
               "-keyint_min", "25", "-sc_threshold", "0", "-s:v:1", high_size]  # fmt: skip
    for index, kbps in ((0, low_kbps), (1, high_kbps)):
        options += [f"-b:v:{index}", f"{kbps}k", f"-maxrate:v:{index}", f"{kbps}k", f"-bufsize:v:{index}", f"{kbps}k"]
    return options


def make_mp4(folder: Path) -> Path:
    """``folder/plain.mp4``: one progressive H.264 + AAC file (faststart, so it plays as it loads)."""
    _, size, kbps = RENDITIONS[0]
    subprocess.run(
        [_ffmpeg(), "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25",
         "-f", "lavfi", "-i", "sine=frequency=440:sample_rate=48000", "-t", str(SECONDS), *_video(kbps),
         "-c:a", "aac", "-b:a", "64k", "-ac", "1", "-movflags", "+faststart", str(folder / "plain.mp4")],
        check=True,
        timeout=120,
    )  # fmt: skip
    return folder / "plain.mp4"


@dataclass
class Faults:
    """What the server does to media segment requests (HLS ``<rendition>/segNNN.ts``, DASH
    ``dash/chunk-<representation>-NNNNN.m4s`` and ``dash/init-<representation>.m4s``); media segments
    are numbered from 0 in both."""

    stall: dict[int, float] = field(default_factory=dict)  # segment number -> seconds to hold it (every track)
    missing: set[str] = field(default_factory=set)  # renditions ("high", or a DASH representation "1") -> 404
    fail_all: bool = False  # every segment (and plain.mp4) answers 500
    hold_mp4: float = 0.0  # seconds plain.mp4 is held after its first quarter (a progressive stall)


def _segment(path: str) -> tuple[str, int] | None:
    """(rendition, number from 0) of a media segment's path, None for anything else."""
    if match := _HLS_SEGMENT.match(path):
        return match["rendition"], int(match["n"])
    if match := _DASH_SEGMENT.match(path):
        return match["rendition"], int(match["n"]) - 1
    if match := _DASH_INIT.match(path):
        return match["rendition"], -1  # the initialization segment: fails with the rest, never held
    return None


class MediaServer:
    """The pages, the players' scripts and the streams from ``root``; ``faults`` apply per request."""

    def __init__(self, root: Path, faults: Faults | None = None) -> None:
        self.root = root
        self.faults = faults or Faults()
        self.segments: list[str] = []
        server = self

        class Handler(SimpleHTTPRequestHandler):
            def __init__(self, *args: Any, **kwargs: Any) -> None:
                super().__init__(*args, directory=str(server.root), **kwargs)

            def log_message(self, format: str, *args: Any) -> None:
                return

            def do_GET(self) -> None:
                path = self.path.split("?")[0].lstrip("/")
                if path == "plain.mp4":
                    server.segments.append(path)
                    return self._mp4()
                segment = _segment(path)
                if segment is not None:
                    server.segments.append(path)
                    rendition, number = segment
                    if server.faults.fail_all:
                        return self.send_error(500)
                    if rendition in server.faults.missing:
                        return self.send_error(404)
                    time.sleep(server.faults.stall.get(number, 0))
                super().do_GET()

            def _mp4(self) -> None:
                # The whole file in one 200 (no ranges): a quarter at once, the rest after the hold,
                # so playback reaches the gap and waits on the network as it would on a slow CDN.
                if server.faults.fail_all:
                    return self.send_error(500)
                body = (server.root / "plain.mp4").read_bytes()
                self.send_response(200)
                self.send_header("Content-Type", "video/mp4")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                quarter = len(body) // 4
                try:
                    self.wfile.write(body[:quarter])
                    self.wfile.flush()
                    time.sleep(server.faults.hold_mp4)
                    self.wfile.write(body[quarter:])
                except (BrokenPipeError, ConnectionResetError):
                    return  # the browser gave up on this request (it may ask again)

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def __enter__(self) -> MediaServer:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()


@dataclass(frozen=True)
class Post:
    """One request a player sent to the collector, as it arrived."""

    at: float  # time.monotonic() on arrival
    method: str
    path: str
    headers: dict[str, str]
    lines: list[str]  # the body's lines (one CMCD report each), exactly as sent


class CmcdCollector:
    """A CMCD v2 event-mode collector that records every request and answers ``status`` (200 by
    default) with CORS, so a page on another origin can post ``application/cmcd``."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.posts: list[Post] = []
        collector = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                return

            def _cors(self) -> None:
                self.send_header("Access-Control-Allow-Origin", "*")
                self.send_header("Access-Control-Allow-Methods", "POST, GET, OPTIONS")
                self.send_header("Access-Control-Allow-Headers", "*")

            def do_OPTIONS(self) -> None:
                self.send_response(204)
                self._cors()
                self.end_headers()

            def _record(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode("utf-8", "replace") if length else ""
                collector.posts.append(
                    Post(time.monotonic(), self.command, self.path, dict(self.headers.items()), body.splitlines())
                )
                self.send_response(collector.status)
                self._cors()
                self.send_header("Content-Length", "0")
                self.end_headers()

            do_POST = _record
            do_GET = _record

        self._server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def reports(self) -> list[str]:
        """Every report line posted, in arrival order."""
        return [line for post in self.posts for line in post.lines if line.strip()]

    def __enter__(self) -> CmcdCollector:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()
