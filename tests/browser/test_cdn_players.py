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

import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sluice_tools.local.cdn import EdgeFault
from sluice_tools.local.pipeline import LocalOptions, LocalPipeline
from support.aws import read_stream
from support.browser import finished_page, site, warehouse_rows
from support.media import MediaServer

from sluice.batch.kinesis import iter_records
from sluice.cdn.config import local_fields
from sluice.cdn.logline import parse_line

PLAYERS = ["hls.js", "dash.js", "shaka"]
HEALTHY, FAULTED, SLOW = "IAD89-C3", "AMS1-C1", "FRA56-P2"
SLOW_FIRST_BYTE_S = 0.3  # the slow edge's hold on each first byte: under the players' timeouts
# Each player's CMCD streaming format and the video bitrates its br can take (kbps): the ladder's
# 400 and 1200; Shaka's br is the variant's, its 64 kbps audio in (464, 1264).
FORMAT = {"hls.js": "h", "dash.js": "d", "shaka": "d"}
BITRATES = {"hls.js": {400, 1200}, "dash.js": {400, 1200}, "shaka": {400, 1200, 464, 1264}}


@pytest.fixture(scope="module", name="site")
def site_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page and the players from npm, in one folder (the page's origin; the stream is the
    stand-in's, made with ffmpeg)."""
    return site(tmp_path_factory.mktemp("cdn-site"), "cdn_player.html", PLAYERS)


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
    assert pipeline.cdn is not None
    sid = str(uuid.uuid4())
    started_ms = int(time.time() * 1000)
    edge_url = pipeline.cdn.edges[edge].url
    with MediaServer(site) as server:
        url = f"{server.url}/cdn_player.html?player={player}&edge={edge_url}&sid={sid}&mode={mode}"
        with finished_page(url, 90_000) as page:
            finished, errors = page.evaluate("[window.finished, window.errors]")
    assert pipeline.drain(timeout_s=120)
    session = Session(
        player, mode, edge, sid, finished, errors, _rows(pipeline, sid), _lines(pipeline, sid, started_ms)
    )
    print(session.figures())  # the session counts the note quotes (pytest -s)
    return session


def _rows(pipeline: LocalPipeline, sid: str) -> list[dict[str, Any]]:
    return warehouse_rows(pipeline, "event_type = 'cdn_request' AND session_id = :s", s=sid)


def _lines(pipeline: LocalPipeline, sid: str, since_ms: int) -> list[dict[str, Any]]:
    """The CDN log stream's lines of one session (its sid in the query or the headers) and the
    preflights since it began (a preflight carries no CMCD; the tests play one at a time)."""
    records = read_stream(pipeline.endpoint, pipeline.settings["cdn_log_stream"])
    lines = [parse_line(r.data, local_fields()) for r in iter_records({"Records": records})]
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


@pytest.mark.parametrize("player", PLAYERS)
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
