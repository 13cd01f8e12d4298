"""The health report as an on-call engineer opens it: in a real browser (Debian's chromium,
headless, driven by Playwright), with the network cut off, after `sluice health simulate` of a
CDN outage."""

from __future__ import annotations

import io
import os
import shutil
from contextlib import redirect_stdout

import pytest
from sluice_tools.cli.main import main
from sluice_tools.traffic.generator import Incident, Problems, TrafficConfig, generate

START = 1_795_680_000_000  # 2026-11-26T08:00:00Z
MINUTE = 60_000
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# A desktop browser's user agent: elsewhere the pipeline flags HeadlessChrome as a bot, left out of player health.
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"


@pytest.fixture(scope="module")
def report(tmp_path_factory):
    if not os.path.exists(CHROMIUM):
        if os.environ.get("SLUICE_REQUIRE_BROWSER"):
            pytest.fail(f"no chromium at {CHROMIUM} (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install chromium)")
    folder = tmp_path_factory.mktemp("report")
    outage = Incident("cdn", "fastly", START + 8 * MINUTE, START + 12 * MINUTE, Problems(start_failure_rate=0.6))
    traffic = TrafficConfig(
        sessions=3000, seed=1, start_ms=START, spread_ms=18 * MINUTE, max_heartbeats=12, incidents=(outage,)
    )
    events = folder / "events.jsonl"
    events.write_text("".join(e.line(with_request=True) + "\n" for e in generate(traffic)), encoding="utf-8")
    page = folder / "player-health.html"
    with redirect_stdout(io.StringIO()):
        assert main(["health", "simulate", str(events), "--shards", "2", "--report", str(page)]) == 0
    return page


def test_the_report_draws_one_chart_per_metric_with_the_incident_shaded_and_named_offline(report):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=[f"--user-agent={DESKTOP}"])
        try:
            page = browser.new_page(viewport={"width": 1280, "height": 900})
            requested: list[str] = []
            errors: list[str] = []
            page.on("pageerror", lambda error: errors.append(str(error)))
            # Offline: anything but the file itself is refused (and noted)
            page.route("http*://**/*", lambda route: (requested.append(route.request.url), route.abort()))
            page.goto(report.as_uri())
            page.wait_for_selector(".js-plotly-plot .main-svg")
            charts = page.locator(".js-plotly-plot")
            titles = [charts.nth(i).locator(".gtitle").text_content() for i in range(charts.count())]
            shaded = [charts.nth(i).locator(".shapelayer path").count() for i in range(charts.count())]
            named = page.locator(".annotation-text", has_text="cdn=fastly: video_start_failures").count()
            axes = page.locator(".ytitle").all_text_contents()
            lines = page.locator(".js-plotly-plot .scatterlayer .trace").count()
            incident_row = page.locator("#incidents tr", has_text="cdn=fastly").inner_text()
            page.screenshot(path=str(report.with_suffix(".png")), full_page=True)
        finally:
            browser.close()
    assert not errors and not requested
    assert titles == [
        "Video start failures",
        "Exits before video start",
        "Startup time, p95",
        "Rebuffer ratio",
        "Fatal error share",
        "Attempts",
    ]
    assert shaded == [1] * 6 and named == 6  # the incident's span, on every chart, with its cause
    assert "failed starts per attempt" in axes and "milliseconds" in axes
    assert lines == 12  # the fleet and the cause's own line on each chart
    assert "inc-" in incident_row and "video_start_failure_rate" in incident_row
