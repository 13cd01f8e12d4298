"""What the browser tests share: Debian's chromium driven by Playwright (no browser download), the
players' builds from ``clients/web/node_modules``, a folder the pages are served from (the page,
``tests/browser/page.js`` beside it, the players), a page opened until it says it finished, and
the warehouse rows the local pipeline stored (its streams: ``support.aws.read_stream``)."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
from sluice_tools.local.pipeline import LocalPipeline
from sqlalchemy import create_engine, text

__all__ = [
    "CHROMIUM",
    "DESKTOP",
    "PLAYER_SCRIPTS",
    "ROOT",
    "WEB",
    "finished_page",
    "require",
    "site",
    "warehouse_rows",
]

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "clients/web"
PAGES = ROOT / "tests/browser"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# A desktop user agent for the whole browser (a per-page override misses pagehide's requests):
# the processor flags HeadlessChrome as a bot, which is kept but not viewing.
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
# The players' builds as users ship them, from clients/web/node_modules (pinned in package.json),
# by the name the pages give them (?player=).
PLAYER_SCRIPTS = {
    "hls.js": "hls.js/dist/hls.min.js",
    "dash.js": "dashjs/dist/modern/umd/dash.all.min.js",
    "shaka": "shaka-player/dist/shaka-player.compiled.js",
    "video.js": "video.js/dist/video.min.js",
}


def require(condition: bool, what: str) -> None:
    """Skip the test for want of ``what``, or fail it where the browser tests must run."""
    if condition:
        return
    if os.environ.get("SLUICE_REQUIRE_BROWSER"):
        pytest.fail(what)
    pytest.skip(what)


def site(root: Path, page: str, players: list[str]) -> Path:
    """``root`` made the pages' origin: ``page`` (of tests/browser), the shared page script and the
    named players' builds under ``players/``; skipped (or failed, see ``require``) without
    chromium, ffmpeg or the players."""
    require(os.path.exists(CHROMIUM), f"no chromium at {CHROMIUM} (apt-get install chromium)")
    require(shutil.which("ffmpeg") is not None, "no ffmpeg (apt-get install ffmpeg): no stream to play")
    modules = WEB / "node_modules"
    scripts = [PLAYER_SCRIPTS[name] for name in players]
    require(all((modules / script).exists() for script in scripts), "no players: run `npm ci` in clients/web")
    (root / "players").mkdir()
    for script in scripts:
        shutil.copy(modules / script, root / "players" / Path(script).name)
    for name in (page, "page.js"):
        shutil.copy(PAGES / name, root / name)
    return root


@contextmanager
def finished_page(url: str, timeout_ms: int) -> Iterator[Any]:
    """The page at ``url`` in headless chromium, once it has set ``window.finished`` (its player
    ended or failed); the browser is closed after."""
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[f"--user-agent={DESKTOP}", "--autoplay-policy=no-user-gesture-required"]
        )
        try:
            page = browser.new_page()
            page.goto(url)
            page.wait_for_function("window.finished !== null", timeout=timeout_ms)
            yield page
        finally:
            browser.close()


def warehouse_rows(pipeline: LocalPipeline, where: str, **params: Any) -> list[dict[str, Any]]:
    """The ``player_events`` rows ``where`` selects (a SQL condition over ``params``), in client time."""
    engine = create_engine(pipeline.warehouse_url)
    with engine.connect() as connection:
        found = connection.execute(
            text(f"SELECT * FROM player_events WHERE {where} ORDER BY client_time, sequence"), params
        )
        rows = [dict(r._mapping) for r in found]
    engine.dispose()
    return rows
