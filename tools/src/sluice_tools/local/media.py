"""Short test streams made with Debian's ffmpeg: an HLS and a DASH ladder of a test pattern, and a
plain MP4. The local CDN stand-in (``sluice_tools.local.cdn``) serves them to real players; the browser
tests serve them with their own fault-injecting server (tests/support/media.py)."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

from sluice.runtime.errors import SluiceError

__all__ = [
    "HELD_TARGET_S",
    "RENDITIONS",
    "SECONDS",
    "FfmpegMissingError",
    "ffmpeg_available",
    "make_dash",
    "make_mp4",
    "make_stream",
]

RENDITIONS = (("low", "426x240", 400), ("high", "854x480", 1200))  # name, size, kbps
SECONDS = 12
HELD_TARGET_S = 5  # the HLS playlists' EXT-X-TARGETDURATION (see make_stream)


class FfmpegMissingError(SluiceError, RuntimeError):
    """No ffmpeg on this machine: no test stream can be made."""


def ffmpeg_available() -> bool:
    return shutil.which("ffmpeg") is not None


def _ffmpeg() -> str:
    ffmpeg = shutil.which("ffmpeg")
    if ffmpeg is None:
        raise FfmpegMissingError("ffmpeg is not installed (apt-get install ffmpeg)")
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
