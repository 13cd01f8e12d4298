"""What real clients send, against what the cost model counts for them: hls.js in Debian's
chromium (headless, driven by Playwright) plays a stream of over two minutes (made with ffmpeg),
with the Sluice web SDK at its default delivery settings and hls.js's own CMCD v2 reports as the
README's block configures them, and, in a second page at the same time, the SDK under the
heartbeats delivery policy. A local server records every request each page sent. The model
(``sluice_tools.cost.sources``) is then run on the same session timeline, the events'
timestamps and the session's start and end, and must predict each count of requests within one.

The two pages play in parallel in one browser (each in its own context): the SDK's timers and
hls.js's are per page, so neither changes what the other sends, and the run takes one session's
time, not two."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import time
from pathlib import Path
from typing import Any

import pytest
from sluice_tools.cost import sources
from sluice_tools.sdk import replay
from sluice_tools.sdk.delivery import policy
from support.media import CmcdCollector, MediaServer, Post
from support.player_config import write_cmcd_module

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "clients/web"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# A desktop user agent (the processor flags HeadlessChrome as a bot; not that it matters here).
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
HLS = "hls.js/dist/hls.min.js"
SESSION_S = 126  # the stream's length: a session of over two minutes
MIN_SESSION_MS = 120_000
# A CMCD v2 report line's keys: key=value (a quoted string or a token) or a bare key (true).
_CMCD_KEY = re.compile(r'([a-z0-9-]+)(?:=("(?:[^"\\]|\\.)*"|[^,]*))?')


def _require(condition: bool, what: str) -> None:
    if condition:
        return
    if os.environ.get("SLUICE_REQUIRE_BROWSER"):
        pytest.fail(what)
    pytest.skip(what)


def _make_long_stream(folder: Path) -> None:
    """``folder/long/index.m3u8``: SESSION_S seconds of one small H.264 rendition in 2 s segments
    (cheap to encode and to play twice at once on a loaded machine)."""
    out = folder / "long"
    out.mkdir()
    subprocess.run(
        ["ffmpeg", "-loglevel", "error", "-y", "-f", "lavfi", "-i", "testsrc=size=160x90:rate=10",
         "-t", str(SESSION_S), "-c:v", "libx264", "-preset", "ultrafast", "-profile:v", "baseline",
         "-pix_fmt", "yuv420p", "-b:v", "100k", "-g", "20", "-keyint_min", "20", "-sc_threshold", "0",
         "-f", "hls", "-hls_time", "2", "-hls_playlist_type", "vod",
         "-hls_segment_filename", str(out / "seg%03d.ts"), str(out / "index.m3u8")],
        check=True,
        timeout=120,
    )  # fmt: skip


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    _require(os.path.exists(CHROMIUM), f"no chromium at {CHROMIUM} (apt-get install chromium)")
    _require(shutil.which("ffmpeg") is not None, "no ffmpeg (apt-get install ffmpeg)")
    _require((WEB / "node_modules" / HLS).exists(), "no hls.js: run `npm ci` in clients/web")
    root = tmp_path_factory.mktemp("delivery-site")
    _make_long_stream(root)
    (root / "players").mkdir()
    shutil.copy(WEB / "node_modules" / HLS, root / "players" / "hls.min.js")
    shutil.copytree(WEB / "src", root / "sdk")
    shutil.copy(Path(__file__).with_name("delivery_player.html"), root / "delivery_player.html")
    write_cmcd_module(ROOT / "README.md", root / "cmcd-config.js")
    return root


def _sdk_events(posts: list[Post]) -> list[list[dict[str, Any]]]:
    """Each request the SDK sent to ingest, as the events it carried."""
    return [json.loads("".join(p.lines)) for p in posts if p.method == "POST" and p.path.startswith("/events")]


def _cmcd_reports(posts: list[Post]) -> list[list[dict[str, str]]]:
    """Each request hls.js sent to the collector, as its reports' keys."""
    return [
        [{k: v.strip('"') for k, v in _CMCD_KEY.findall(line)} for line in p.lines if line.strip()]
        for p in posts
        if p.method == "POST" and p.path.startswith("/cmcd")
    ]


@pytest.fixture(scope="module")
def played(site: Path) -> dict[str, list[Post]]:
    """The two pages' sessions, played at once: what each server recorded."""
    from playwright.sync_api import sync_playwright

    with (
        MediaServer(site) as media,
        CmcdCollector() as interval,
        CmcdCollector() as heartbeats,
        sync_playwright() as playwright,
    ):
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM,
            args=[f"--user-agent={DESKTOP}", "--autoplay-policy=no-user-gesture-required"],
        )
        try:
            pages = []
            for query in (
                f"ingest={interval.url}&collector={interval.url}/cmcd",
                f"ingest={heartbeats.url}&policy=heartbeats",
            ):
                page = browser.new_context().new_page()
                page.goto(f"{media.url}/delivery_player.html?src=long/index.m3u8&{query}")
                pages.append(page)
            for page in pages:
                page.wait_for_function("window.finished !== null", timeout=(SESSION_S + 60) * 1000, polling=1000)
                assert page.evaluate("window.finished") == "ended", page.evaluate("window.errors")
            time.sleep(1.5)  # the last CMCD reports
            for page in pages:
                page.close(run_before_unload=True)
            time.sleep(1.0)
        finally:
            browser.close()
        return {"interval": list(interval.posts), "heartbeats": list(heartbeats.posts)}


@pytest.mark.parametrize("name", ["interval", "heartbeats"])
def test_the_model_predicts_the_sdks_requests_within_one(played, name):
    # GIVEN the requests the SDK sent over a session of over two minutes
    requests = _sdk_events(played[name])
    events = [e for r in requests for e in r]
    [timeline] = replay.sessions_of(events)
    assert timeline.end_ms - timeline.start_ms >= MIN_SESSION_MS
    assert [e["event_type"] for e in timeline.events][:: len(timeline.events) - 1] == ["session_start", "session_end"]
    # WHEN the model replays the same timeline through the SDK's rule under that policy
    predicted = replay.sdk_requests(timeline, policy(name))
    print(
        f"SDK {name}: {len(events)} events in {len(requests)} requests ({len(events) / len(requests):.2f} a request)"
        f" over {(timeline.end_ms - timeline.start_ms) / 1000:.1f} s; the model: {len(predicted)} requests"
    )
    # THEN it predicts as many requests, within one
    assert abs(len(predicted) - len(requests)) <= 1, ([len(r) for r in requests], [len(r) for r in predicted])
    assert sum(len(r) for r in predicted) == len(events)


def test_under_the_heartbeats_policy_no_event_waits_past_the_monitor_window(played):
    posts = [p for p in played["heartbeats"] if p.method == "POST" and p.path.startswith("/events")]
    held = policy("heartbeats")
    wall = time.time() - time.monotonic()  # a post's arrival (monotonic) on the events' clock
    # a flush a minute: a request holds several heartbeats ...
    requests = _sdk_events(posts)
    assert max(sum(e["event_type"] == "heartbeat" for e in r) for r in requests) >= 5
    # ... and no event reached ingest later than one monitor window after it happened
    waits = [(p.at + wall) * 1000 - replay.event_ms(e) for p, r in zip(posts, requests, strict=True) for e in r]
    print(
        f"SDK heartbeats: the longest wait {max(waits) / 1000:.1f} s (the window: {held.flush_interval_ms / 1000:.0f} s)"
    )
    assert max(waits) <= held.flush_interval_ms + 1000  # the timers' and the loaded machine's slack


def test_the_model_predicts_the_players_cmcd_requests_within_one(played):
    # GIVEN hls.js's CMCD reports over the session, as the README configures them
    requests = _cmcd_reports(played["interval"])
    reports = [r for request in requests for r in request]
    assert reports and {r["e"] for r in reports} >= {"t", "ps"}, reports[:3]
    stamps = [int(r["ts"]) for r in reports]
    assert max(stamps) - min(stamps) >= MIN_SESSION_MS
    # WHEN the model is given the session's start and end (its first and last report) and its
    # state changes, and makes the time-interval reports itself
    kinds = {"ps": "play", "bc": "bitrate_change", "e": "error"}
    changes = [
        {"session_id": "s", "event_type": kinds[r["e"]], "client_time": int(r["ts"])}
        for r in reports
        if r["e"] in kinds
    ]
    timeline = replay.Timeline(min(stamps), max(stamps), changes)
    predicted = sources.cmcd_requests(len(sources.cmcd_reports(timeline)))
    print(
        f"CMCD (hls.js): {len(reports)} reports in {len(requests)} requests"
        f" ({sum(r['e'] == 't' for r in reports)} time-interval); the model: {predicted} requests"
    )
    # THEN it predicts as many requests, within one
    assert abs(predicted - len(requests)) <= 1
