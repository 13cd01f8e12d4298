"""A short HLS stream made at test time with Debian's ffmpeg (two renditions of a test pattern),
served with the player page by a local HTTP server that injects faults: a stalled segment, a 404
on a rendition, every segment failing."""

from __future__ import annotations

import shutil
import subprocess
import threading
import time
from dataclasses import dataclass, field
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

RENDITIONS = (("low", "426x240", 400), ("high", "854x480", 1200))  # name, size, kbps
SECONDS = 12


def make_stream(folder: Path) -> Path:
    """``folder/master.m3u8`` over two H.264 renditions in 1-second segments."""
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise RuntimeError("ffmpeg is not installed (apt-get install ffmpeg)")
    for name, size, kbps in RENDITIONS:
        (folder / name).mkdir(parents=True, exist_ok=True)
        subprocess.run(
            [ffmpeg, "-loglevel", "error", "-y", "-f", "lavfi", "-i", f"testsrc=size={size}:rate=25",
             "-t", str(SECONDS), "-c:v", "libx264", "-profile:v", "baseline", "-pix_fmt", "yuv420p",
             "-b:v", f"{kbps}k", "-maxrate", f"{kbps}k", "-bufsize", f"{kbps}k", "-g", "25", "-keyint_min", "25",
             "-sc_threshold", "0", "-f", "hls", "-hls_time", "1", "-hls_playlist_type", "vod",
             "-hls_segment_filename", str(folder / name / "seg%03d.ts"), str(folder / name / "index.m3u8")],
            check=True,
            timeout=120,
        )  # fmt: skip
    lines = ["#EXTM3U", "#EXT-X-VERSION:3"]
    for name, size, kbps in RENDITIONS:
        lines += [
            f'#EXT-X-STREAM-INF:BANDWIDTH={kbps * 1000},RESOLUTION={size},CODECS="avc1.42c01e"',
            f"{name}/index.m3u8",
        ]
    (folder / "master.m3u8").write_text("\n".join(lines) + "\n")
    return folder / "master.m3u8"


@dataclass
class Faults:
    """What the server does to segment requests (``<rendition>/segNNN.ts``)."""

    stall: dict[str, float] = field(default_factory=dict)  # segment file name -> seconds to hold it
    missing: set[str] = field(default_factory=set)  # renditions whose segments answer 404
    fail_all: bool = False  # every segment answers 500


class MediaServer:
    """The page, the player's scripts and the stream from ``root``; ``faults`` apply per request."""

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
                if path.endswith(".ts"):
                    server.segments.append(path)
                    rendition, _, name = path.partition("/")
                    if server.faults.fail_all:
                        return self.send_error(500)
                    if rendition in server.faults.missing:
                        return self.send_error(404)
                    time.sleep(server.faults.stall.get(name, 0))
                super().do_GET()

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
