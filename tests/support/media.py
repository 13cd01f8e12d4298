"""The browser tests' media server: the pages, the players' scripts and the test streams (made by
``sluice_tools.local.media`` with Debian's ffmpeg: an HLS and a DASH ladder, a plain MP4), served by a
local HTTP server that injects faults (a held segment, a 404 on a rendition, every segment
failing); and a CMCD collector that records what a player posts, exactly as sent."""

from __future__ import annotations

import re
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sluice_tools.local.media import HELD_TARGET_S, RENDITIONS, SECONDS, make_dash, make_mp4, make_stream

__all__ = ["HELD_TARGET_S", "RENDITIONS", "SECONDS", "CmcdCollector", "Faults", "MediaServer", "Post",
           "make_dash", "make_mp4", "make_stream"]  # fmt: skip

# hls: low/seg005.ts (numbered from 0); dash: chunk-1-00006.m4s (ffmpeg's $Number$ starts at 1)
_HLS_SEGMENT = re.compile(r"^(?P<rendition>[^/]+)/seg(?P<n>\d+)\.ts$")
_DASH_SEGMENT = re.compile(r"^dash/chunk-(?P<rendition>\d+)-(?P<n>\d+)\.m4s$")
_DASH_INIT = re.compile(r"^dash/init-(?P<rendition>\d+)\.m4s$")


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
