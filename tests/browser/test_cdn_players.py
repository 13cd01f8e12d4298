"""The players people ship, playing through the local CDN stand-in with their own CMCD version 1 on
every media request (the default of hls.js, dash.js and Shaka Player): hls.js, dash.js and Shaka
(its compiled build) with CMCD in the query, and hls.js with CMCD in headers (a preflight per
request kind), in Debian's chromium (headless, driven by Playwright: no browser download), from a
page on another origin than the edge.

What is checked is what a user would see: each session's media requests as ``cdn_request`` rows
in the warehouse (the stand-in's real-time log lines, read by the processor's second input,
through the lake and the loader) with the player's CMCD (sid, cid, br, ot, sf, ...) and the edge
location that served them; and, for the header mode, that the CDN saw the CMCD in the request's
headers, not its query (the lines on the CDN log stream). A player at an edge faulted to answer
503 is a session of failed requests named by that edge; one at an edge slow to first byte plays,
each row saying the edge's time to first byte."""

from __future__ import annotations

import os
import shutil
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sluice_tools.local.cdn import EdgeFault
from sluice_tools.local.pipeline import LocalOptions, LocalPipeline
from sqlalchemy import create_engine, text
from support.media import MediaServer

from sluice.cdn.config import local_fields
from sluice.cdn.logline import parse_line

ROOT = Path(__file__).resolve().parents[2]
WEB = ROOT / "clients/web"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
# A desktop user agent (the processor flags HeadlessChrome as a bot: kept, but not viewing).
DESKTOP = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36"
SCRIPTS = (
    "hls.js/dist/hls.min.js",
    "dashjs/dist/modern/umd/dash.all.min.js",
    "shaka-player/dist/shaka-player.compiled.js",
)
HEALTHY, FAULTED, SLOW = "IAD89-C3", "AMS1-C1", "FRA56-P2"
SLOW_FIRST_BYTE_S = 0.3  # the slow edge's hold on each first byte: under the players' timeouts
# Each player's CMCD streaming format and the video bitrates its br can take (kbps): the ladder's
# 400 and 1200; Shaka's br is the variant's, its 64 kbps audio in (464, 1264).
FORMAT = {"hls.js": "h", "dash.js": "d", "shaka": "d"}
BITRATES = {"hls.js": {400, 1200}, "dash.js": {400, 1200}, "shaka": {400, 1200, 464, 1264}}


def _require(condition: bool, what: str) -> None:
    if condition:
        return
    if os.environ.get("SLUICE_REQUIRE_BROWSER"):
        pytest.fail(what)
    pytest.skip(what)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page and the players from npm, in one folder (the page's origin)."""
    _require(os.path.exists(CHROMIUM), f"no chromium at {CHROMIUM} (apt-get install chromium)")
    _require(shutil.which("ffmpeg") is not None, "no ffmpeg (apt-get install ffmpeg): the stand-in has no stream")
    modules = WEB / "node_modules"
    _require(all((modules / script).exists() for script in SCRIPTS), "no players: run `npm ci` in clients/web")
    root = tmp_path_factory.mktemp("cdn-site")
    (root / "players").mkdir()
    for script in SCRIPTS:
        shutil.copy(modules / script, root / "players" / Path(script).name)
    shutil.copy(Path(__file__).with_name("cdn_player.html"), root / "cdn_player.html")
    return root


@pytest.fixture(scope="module")
def pipeline(site: Path):
    local = LocalPipeline(
        LocalOptions(
            provisioning="direct",
            say=lambda line: None,
            cdn_faults={FAULTED: EdgeFault(status=503), SLOW: EdgeFault(first_byte_delay_s=SLOW_FIRST_BYTE_S)},
        )
    )
    local.start()
    assert local.cdn is not None and local.cdn.root is not None, local.cdn and local.cdn.off
    yield local
    local.stop()


@dataclass
class Session:
    player: str
    mode: str
    edge: str
    sid: str
    finished: str
    errors: list[Any]
    rows: list[dict[str, Any]]  # the session's cdn_request rows in the warehouse
    lines: list[dict[str, Any]]  # the session's lines on the CDN log stream, as the CDN wrote them

    def requests(self) -> list[tuple[Any, ...]]:
        """Each row's path, status and main CMCD keys: what a failed check shows."""
        keys = ("cdn_path", "cdn_status", "cmcd_ot", "cmcd_sf", "cmcd_br", "cmcd_d", "cmcd_sid")
        return [tuple(r[k] for k in keys) for r in self.rows]

    def figures(self) -> str:
        segments = [r for r in self.rows if r["cmcd_ot"] in ("v", "a", "av")]
        return (
            f"{self.player} ({self.mode}) via {self.edge}: {self.finished}; sessions in the warehouse"
            f" {len({r['session_id'] for r in self.rows})}, cdn_request rows {len(self.rows)}"
            f" ({len(segments)} media segments), bitrates {sorted({r['cmcd_br'] for r in segments if r['cmcd_br']})},"
            f" log lines {len(self.lines)} ({sum(1 for line in self.lines if line['cs-method'] == 'OPTIONS')} preflights)"
        )


def _play(site: Path, pipeline: LocalPipeline, player: str, mode: str, edge: str) -> Session:
    from playwright.sync_api import sync_playwright

    assert pipeline.cdn is not None
    sid = str(uuid.uuid4())
    started_ms = int(time.time() * 1000)
    edge_url = pipeline.cdn.edges[edge].url
    with MediaServer(site) as page_server, sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=[f"--user-agent={DESKTOP}", "--autoplay-policy=no-user-gesture-required"]
        )
        try:
            page = browser.new_page()
            page.goto(f"{page_server.url}/cdn_player.html?player={player}&edge={edge_url}&sid={sid}&mode={mode}")
            page.wait_for_function("window.finished !== null", timeout=90_000)
            finished, errors = page.evaluate("[window.finished, window.errors]")
            page.close()
        finally:
            browser.close()
    assert pipeline.drain(timeout_s=120)
    session = Session(
        player, mode, edge, sid, finished, errors, _rows(pipeline, sid), _lines(pipeline, sid, started_ms)
    )
    print(session.figures())  # the session counts the note quotes (pytest -s)
    return session


def _rows(pipeline: LocalPipeline, sid: str) -> list[dict[str, Any]]:
    engine = create_engine(pipeline.warehouse_url)
    with engine.connect() as connection:
        found = connection.execute(
            text(
                "SELECT * FROM player_events WHERE event_type = 'cdn_request' AND session_id = :s ORDER BY client_time"
            ),
            {"s": sid},
        )
        rows = [dict(r._mapping) for r in found]
    engine.dispose()
    return rows


def _lines(pipeline: LocalPipeline, sid: str, since_ms: int) -> list[dict[str, Any]]:
    """The CDN log stream's lines of one session (its sid in the query or the headers) and the
    preflights since it began (a preflight carries no CMCD; the tests play one at a time)."""
    kinesis, stream = pipeline.client("kinesis"), pipeline.settings["cdn_log_stream"]
    lines = []
    for shard in kinesis.list_shards(StreamName=stream)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=stream, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        while iterator:
            page = kinesis.get_records(ShardIterator=iterator, Limit=10_000)
            lines += [parse_line(r["Data"], local_fields()) for r in page["Records"]]
            iterator = page.get("NextShardIterator") if page["Records"] else None
    return [
        line
        for line in lines
        if int(line["timestamp"]) >= since_ms
        and (sid in f"{line['cs-uri-query'] or ''}{line['cs-headers'] or ''}" or line["cs-method"] == "OPTIONS")
    ]


def _assert_session_in_the_warehouse(session: Session) -> None:
    assert session.finished == "ended", session.errors
    rows = session.rows
    assert rows, f"no cdn_request row of {session.player}'s session {session.sid}"
    # one session, the player's own, every request served by the edge it played from
    assert {r["session_id"] for r in rows} == {session.sid}
    assert {r["cmcd_sid"] for r in rows} == {session.sid}
    assert not any(r["cmcd_session_inferred"] for r in rows)
    assert {r["content_id"] for r in rows} == {"test-pattern"}
    assert {r["cdn_edge_location"] for r in rows} == {session.edge}
    assert {r["cdn_status"] for r in rows} == {200}
    # every segment names its streaming format (dash.js leaves sf off its manifest request)
    assert {r["cmcd_sf"] for r in rows if r["cmcd_ot"] != "m"} == {FORMAT[session.player]}, session.requests()
    assert {r["cmcd_v"] for r in rows} <= {1, None}
    # the manifest and the media segments, each with its object type; every video segment its bitrate
    assert "m" in {r["cmcd_ot"] for r in rows}
    video = [r for r in rows if r["cmcd_ot"] in ("v", "av")]
    assert video, [r["cmcd_ot"] for r in rows]
    assert all(r["cmcd_br"] in BITRATES[session.player] for r in video), [r["cmcd_br"] for r in video]
    assert all(r["cmcd_d"] for r in video)
    assert all(r["cdn_time_to_first_byte_ms"] is not None and r["cdn_bytes_sent"] for r in rows)
    assert {r["cdn_result_type"] for r in rows} <= {"Hit", "Miss"}
    assert {r["cdn_sampling_rate"] for r in rows} == {100}


@pytest.mark.parametrize("player", ["hls.js", "dash.js", "shaka"])
def test_cmcd_in_the_query_through_the_cdn_is_the_session_in_the_warehouse(site, pipeline, player):
    # GIVEN the player with CMCD v1 in the query, playing the stand-in's stream from one edge
    session = _play(site, pipeline, player, "query", HEALTHY)
    # THEN its requests are its session's cdn_request rows, with their CMCD and edge location
    _assert_session_in_the_warehouse(session)
    # AND the CDN saw the CMCD in each media request's query
    media = [line for line in session.lines if line["cs-method"] == "GET"]
    assert media and all("CMCD=" in (line["cs-uri-query"] or "") for line in media)


def test_hls_js_cmcd_in_headers_through_the_cdn_is_the_session_in_the_warehouse(site, pipeline):
    # GIVEN hls.js with CMCD v1 in headers (not CORS-safelisted: the browser asks first)
    session = _play(site, pipeline, "hls.js", "header", HEALTHY)
    # THEN its requests are its session's cdn_request rows, with their CMCD and edge location
    _assert_session_in_the_warehouse(session)
    # AND the CDN saw the CMCD in the request headers, none in the query, after allowed preflights
    media = [line for line in session.lines if line["cs-method"] == "GET"]
    assert media and not any("CMCD=" in (line["cs-uri-query"] or "") for line in media)
    assert all("cmcd-session:" in str(line["cs-headers"]).lower() for line in media)
    preflights = [line for line in session.lines if line["cs-method"] == "OPTIONS"]
    assert preflights and {line["sc-status"] for line in preflights} == {204}
    # a preflight is no media request: not a row
    assert len(session.rows) == len(media)


def test_a_player_at_a_failing_edge_is_a_session_of_failed_requests(site, pipeline):
    # GIVEN hls.js playing from the edge location faulted to answer 503
    session = _play(site, pipeline, "hls.js", "query", FAULTED)
    # THEN it cannot start, and its session's rows are the edge's 503s, named by the edge
    assert session.finished == "fatal"
    assert session.rows, f"no cdn_request row of the session {session.sid}"
    assert {r["session_id"] for r in session.rows} == {session.sid}
    assert {(r["cdn_edge_location"], r["cdn_status"], r["cdn_result_type"]) for r in session.rows} == {
        (FAULTED, 503, "Error")
    }


def test_a_player_at_a_slow_edge_plays_and_its_rows_say_the_time_to_first_byte(site, pipeline):
    # GIVEN Shaka playing from the edge location that holds every first byte 300 ms
    session = _play(site, pipeline, "shaka", "query", SLOW)
    # THEN it plays to the end, and every row of its session names that edge and its slow first byte
    _assert_session_in_the_warehouse(session)
    assert all(r["cdn_time_to_first_byte_ms"] >= SLOW_FIRST_BYTE_S * 1000 for r in session.rows), session.requests()
