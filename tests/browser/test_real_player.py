"""A real player in a real browser against the local pipeline: hls.js from npm in Debian's
chromium (headless, driven by Playwright: no browser download) plays an ffmpeg-made HLS stream
from a server that injects faults; once with the Sluice web SDK, once with hls.js's own CMCD v2
reporting. The test asserts what a user would check in the warehouse."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from pathlib import Path

import pytest
from sqlalchemy import create_engine, text
from support.hls_media import Faults, MediaServer, make_stream

from sluice.local.pipeline import LocalOptions, LocalPipeline

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "clients/web"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# A desktop user agent for the whole browser (a per-page override misses pagehide's requests):
# the processor flags HeadlessChrome as a bot, which is kept but not viewing.
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


def _require(condition: bool, what: str) -> None:
    if condition:
        return
    if os.environ.get("SLUICE_REQUIRE_BROWSER"):
        pytest.fail(what)
    pytest.skip(what)


@pytest.fixture(scope="module")
def site(tmp_path_factory):
    """The page, hls.js from npm, the SDK's modules and the stream, in one folder."""
    _require(os.path.exists(CHROMIUM), f"no chromium at {CHROMIUM} (apt-get install chromium)")
    _require(shutil.which("ffmpeg") is not None, "no ffmpeg (apt-get install ffmpeg)")
    hls = WEB / "node_modules/hls.js/dist/hls.min.js"
    _require(hls.exists(), "no hls.js: run `npm ci` in clients/web")
    root = tmp_path_factory.mktemp("site")
    make_stream(root)
    shutil.copy(hls, root / "hls.min.js")
    shutil.copytree(WEB / "src", root / "sdk")
    shutil.copy(Path(__file__).with_name("player.html"), root / "player.html")
    return root


@pytest.fixture(scope="module")
def pipeline():
    os.environ["SLUICE_CORS_ALLOW_ORIGINS"] = "*"  # the page is served from another origin
    local = LocalPipeline(LocalOptions(provisioning="direct", say=lambda line: None))
    local.start()
    yield local
    local.stop()


def _play(site: Path, faults: Faults, ingest: str, mode: str, sid: str = "") -> tuple[str | None, str]:
    """Plays the stream until it ends or fails, then leaves the page (pagehide); returns the
    SDK's session id and how playback finished."""
    from playwright.sync_api import sync_playwright

    with MediaServer(site, faults) as media, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[f"--user-agent={DESKTOP}", "--autoplay-policy=no-user-gesture-required"]
        )
        try:
            page = browser.new_page()
            page.goto(f"{media.url}/player.html?mode={mode}&ingest={ingest}&sid={sid}")
            page.wait_for_function("window.finished !== null", timeout=60_000)
            session, finished = page.evaluate("[window.sessionId || null, window.finished]")
            time.sleep(1.5)  # the last heartbeat and CMCD reports
            page.close(run_before_unload=True)  # pagehide: session_end goes out with keepalive
            time.sleep(1.0)
        finally:
            browser.close()
    return session, finished


def _rows(pipeline: LocalPipeline, session_id: str, columns: str) -> list[dict]:
    assert pipeline.drain(timeout_s=120)
    engine = create_engine(pipeline.warehouse_url)
    with engine.connect() as connection:
        rows = connection.execute(
            text(f"SELECT {columns} FROM player_events WHERE session_id = :s ORDER BY sequence"), {"s": session_id}
        )
        found = [dict(r._mapping) for r in rows]
    engine.dispose()
    return found


def test_the_sdk_reports_a_real_session_with_its_stall_and_bitrate_switch(site, pipeline):
    # GIVEN segment 5 held for 4 s (the player has 2 s of buffer ahead: a stall)
    faults = Faults(stall={"seg005.ts": 4.0})
    # WHEN hls.js plays it with the Sluice SDK attached, and the viewer leaves at the end
    session, finished = _play(site, faults, pipeline.api.url, "sdk")
    assert finished == "ended" and session
    rows = _rows(pipeline, session, "event_type, startup_time_ms, cause, duration_ms, from_kbps, to_kbps, reason")
    types = [r["event_type"] for r in rows]
    # THEN the session is in the warehouse as a viewer's tools would see it
    assert types[0] == "session_start" and types[-1] == "session_end", types
    play = next(r for r in rows if r["event_type"] == "play")
    assert 0 < play["startup_time_ms"] < 10_000
    assert types.count("heartbeat") >= 5
    stall = [r for r in rows if r["event_type"].startswith("buffering_") and r["cause"] == "stall"]
    assert [r["event_type"] for r in stall][:2] == ["buffering_start", "buffering_end"], types
    assert stall[1]["duration_ms"] >= 1_000  # around the held segment
    switch = next(r for r in rows if r["event_type"] == "bitrate_change")
    assert (switch["from_kbps"], switch["to_kbps"]) == (400, 1200)
    assert rows[-1]["reason"] == "completed"


def test_when_every_segment_fails_the_sdk_reports_the_fatal_error(site, pipeline):
    session, finished = _play(site, Faults(fail_all=True), pipeline.api.url, "sdk")
    assert finished == "fatal"
    rows = _rows(pipeline, session, "event_type, fatal, code, reason")
    errors = [r for r in rows if r["event_type"] == "error" and r["fatal"]]
    assert errors, [r["event_type"] for r in rows]
    assert rows[-1]["event_type"] == "session_end" and rows[-1]["reason"] == "error"


def test_hls_js_own_cmcd_reports_land_keyed_by_their_sid(site, pipeline):
    sid = str(uuid.uuid4())
    _, finished = _play(site, Faults(), pipeline.api.url, "cmcd", sid)
    assert finished == "ended"
    rows = _rows(pipeline, sid, "event_type, player_name, player_version, content_id, cmcd_e, cmcd_sta, cmcd_sid")
    assert rows and {r["event_type"] for r in rows} == {"cmcd"}
    assert rows[0]["player_name"] == "hls.js" and rows[0]["player_version"].startswith("1.7")
    assert {r["cmcd_sid"] for r in rows} == {sid} and rows[0]["content_id"] == "test-pattern"
    states = {r["cmcd_sta"] for r in rows if r["cmcd_e"] == "ps"}
    assert {"s", "p"} <= states, states  # starting, then playing


def test_a_rendition_answering_404_is_a_reported_error_and_playback_goes_on(site, pipeline):
    # GIVEN the high rendition's segments answer 404 (the player starts low, then tries it)
    session, finished = _play(site, Faults(missing={"high"}), pipeline.api.url, "sdk")
    # THEN the player falls back and finishes; the failed loads are non-fatal errors on record
    assert finished == "ended"
    rows = _rows(pipeline, session, "event_type, fatal, code, reason")
    errors = [r for r in rows if r["event_type"] == "error"]
    assert errors and not any(r["fatal"] for r in errors), errors
    assert {r["code"] for r in errors} <= {"fragLoadError", "levelLoadError", "fragLoadTimeOut"}
    assert rows[-1]["reason"] == "completed"
