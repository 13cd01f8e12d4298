"""The players people ship, in a real browser against the local pipeline: hls.js, dash.js, Shaka
Player (its compiled build), video.js (VHS) and a plain ``<video>`` playing an MP4, from npm, in
Debian's chromium (headless, driven by Playwright: no browser download), playing ffmpeg-made
streams from a server that injects faults. Each player runs twice, once with a held segment (a
stall; the ladders also switch rendition) and once with every segment failing, with the Sluice
web SDK attached and, where the player has it, its own CMCD v2 reporting configured by the
README's block (read from there: ``support.player_config``), its session id the SDK's.

Each check is its own test over the shared run, so a check a player's reports cannot support is
a named skip of that check alone (``CANNOT``, the same list as the table in
``images/ingest/README.md``). What is checked is what a user would see: rows in the warehouse and
the monitor's counts (its window aggregates fed the session's events from the clean stream)."""

from __future__ import annotations

import os
import shutil
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sluice_tools.local.pipeline import LocalOptions, LocalPipeline
from support.aws import stream_events
from support.browser import PLAYER_SCRIPTS, ROOT, WEB, finished_page, site, warehouse_rows
from support.media import Faults, MediaServer, make_dash, make_mp4, make_stream
from support.player_config import cmcd_snippets, write_cmcd_module

from sluice.monitor.aggregate import Aggregate, WindowAggregates

STARTUP_TOLERANCE = 0.25  # the SDK's and the monitor's startup against the page's own measurement
STALL = Faults(stall={5: 4.0})  # segment 5 held 4 s: the players buffer about 2 s ahead
MP4_STALL = Faults(hold_mp4=6.0)  # the MP4's last three quarters held 6 s: playback reaches the gap


@dataclass(frozen=True)
class Player:
    page: str  # the page's ?player=
    name: str  # player_name on the SDK's events
    cmcd: bool  # has its own CMCD v2 event reporting
    renditions: bool  # its stream has a ladder to switch on


PLAYERS = {
    "hls.js": Player("hls.js", "hls.js", cmcd=True, renditions=True),
    "dash.js": Player("dash.js", "dash.js", cmcd=True, renditions=True),
    "shaka": Player("shaka", "shaka-player", cmcd=True, renditions=True),
    "video.js": Player("video.js", "video.js", cmcd=False, renditions=True),
    "video": Player("video", "html5", cmcd=False, renditions=False),
}
CMCD_PLAYERS = [name for name, player in PLAYERS.items() if player.cmcd]
LADDERS = [name for name, player in PLAYERS.items() if player.renditions]

# Checks a player's own CMCD reports cannot support, and why: each is skipped by name (the rest
# of that player's checks run), and the table in images/ingest/README.md says the same.
CANNOT: dict[tuple[str, str], str] = {
    ("hls.js", "fatal"): "hls.js 1.7.4 posts no report after a fatal error (no e=e, no sta=f arrives)",
    ("dash.js", "switch count"): "dash.js 5.2.1 sends no bc event: its br changes ride on ps reports only",
    ("shaka", "stall"): "Shaka 5.2.12's compiled build renames sta: no report says rebuffering",
}


def _cannot(player: str, check: str) -> None:
    reason = CANNOT.get((player, check))
    if reason:
        pytest.skip(f"{player}'s CMCD reports cannot support the {check} check: {reason}")


@pytest.fixture(scope="module", name="site")
def site_fixture(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The page, the players from npm, the SDK's modules, the README's CMCD configurations and the
    streams (HLS, DASH, MP4), in one folder."""
    root = site(tmp_path_factory.mktemp("site"), "player.html", list(PLAYER_SCRIPTS))
    make_stream(root)
    make_dash(root)
    make_mp4(root)
    shutil.copytree(WEB / "src", root / "sdk")
    write_cmcd_module(ROOT / "README.md", root / "cmcd-config.js")
    return root


@pytest.fixture(scope="module")
def pipeline():
    os.environ["SLUICE_CORS_ALLOW_ORIGINS"] = "*"  # the page is served from another origin
    local = LocalPipeline(LocalOptions(provisioning="direct", say=lambda line: None))
    local.start()
    yield local
    local.stop()


@dataclass
class Run:
    """One player's session as the page saw it, and as Sluice stored and counted it."""

    player: str
    finished: str  # "ended" or "fatal"
    page_startup_ms: float | None  # the page's own: play() to the first `playing` after it
    page_errors: list[Any]
    page_stalls: int  # `waiting` (Shaka: `buffering`) after the first `playing`, as the page saw them
    page_heights: list[int]  # the picture's height at each `resize`: a rendition switch changes it
    session_id: str
    rows: list[dict[str, Any]]  # the SDK's events in the warehouse
    cmcd_rows: list[dict[str, Any]]  # the player's own CMCD reports in the warehouse
    events: list[dict[str, Any]]  # the SDK's events on the clean stream
    cmcd_events: list[dict[str, Any]]

    def figures(self, scenario: str) -> str:
        """One line: the page's startup and stalls against the SDK's and the player's CMCD."""
        sdk, cmcd = self.counts(), self.counts(cmcd=True)
        return (
            f"{self.player} {scenario}: page startup {self.page_startup_ms and round(self.page_startup_ms)} ms,"
            f" stalls {self.page_stalls}; SDK sessions {len({e['session_id'] for e in self.events})},"
            f" startup {sdk.startup.quantile(0.5)} ms, stalls {sdk.counts['stalls']},"
            f" attempts {sdk.counts['attempts']}, fatal {sdk.counts['fatal_errors']}"
            f" (start failures {sdk.counts['video_start_failures']}); CMCD reports {len(self.cmcd_rows)},"
            f" startup {cmcd.startup.quantile(0.5)} ms, stalls {cmcd.counts['stalls']},"
            f" attempts {cmcd.counts['attempts']}, fatal {cmcd.counts['fatal_errors']}"
            f" (start failures {cmcd.counts['video_start_failures']}), switches {cmcd.counts['bitrate_switches']}"
        )

    def counts(self, cmcd: bool = False) -> Aggregate:
        """The monitor's counts for this session alone: its SDK events, or its CMCD reports."""
        window = WindowAggregates()
        for event in sorted(self.cmcd_events if cmcd else self.events, key=lambda e: e["client_time"]):
            window.add_event(event)
        return window.everything


class Runs:
    """Each (player, scenario) played once per module, its results read once."""

    def __init__(self, site: Path, pipeline: LocalPipeline) -> None:
        self.site, self.pipeline, self.done = site, pipeline, {}

    def __call__(self, player: str, scenario: str) -> Run:
        key = (player, scenario)
        if key not in self.done:
            self.done[key] = self._play(player, scenario)
        return self.done[key]

    def _play(self, player: str, scenario: str) -> Run:
        stall = MP4_STALL if player == "video" else STALL
        faults = Faults(fail_all=True) if scenario == "fail" else stall
        ingest = self.pipeline.api.url
        query = f"player={player}&sdk=1&ingest={ingest}"
        if PLAYERS[player].cmcd:
            query += f"&collector={ingest}/cmcd"
        with MediaServer(self.site, faults) as media, finished_page(f"{media.url}/player.html?{query}", 60_000) as page:
            state = page.evaluate(
                "({session: window.sessionId || null, finished: window.finished,"
                " startup: window.measured.startupMs, errors: window.errors,"
                " stalls: window.measured.waiting.filter("
                "   (t) => window.measured.firstPlayingAt !== null && t > window.measured.firstPlayingAt).length,"
                " heights: window.measured.heights})"
            )
            _end_session(page)
        session = state["session"]
        assert session, f"{player}: the SDK gave the page no session id"
        assert self.pipeline.drain(timeout_s=120)
        rows = _rows(self.pipeline, session)
        events = [e for e in _clean_events(self.pipeline) if e["session_id"] == session]
        run = Run(
            player=player,
            finished=state["finished"],
            page_startup_ms=state["startup"],
            page_errors=state["errors"],
            page_stalls=state["stalls"],
            page_heights=state["heights"],
            session_id=session,
            rows=[r for r in rows if r["event_type"] != "cmcd"],
            cmcd_rows=[r for r in rows if r["event_type"] == "cmcd"],
            events=[e for e in events if e["event_type"] != "cmcd"],
            cmcd_events=[e for e in events if e["event_type"] == "cmcd"],
        )
        print(run.figures(scenario))  # what the note on the players quotes (pytest -s)
        return run


@pytest.fixture(scope="module")
def runs(site: Path, pipeline: LocalPipeline) -> Runs:
    return Runs(site, pipeline)


def _end_session(page: Any) -> None:
    time.sleep(1.5)  # the last heartbeat and CMCD reports
    page.close(run_before_unload=True)  # pagehide: session_end goes out with keepalive
    time.sleep(1.0)


def _rows(pipeline: LocalPipeline, session_id: str) -> list[dict[str, Any]]:
    return warehouse_rows(pipeline, "session_id = :s", s=session_id)


def _clean_events(pipeline: LocalPipeline) -> list[dict[str, Any]]:
    """Every event on the clean stream, decoded as the monitor decodes it (KPL aggregates opened)."""
    return stream_events(pipeline.endpoint, pipeline.stage_environment()["SLUICE_CLEAN_STREAM"])


def _within(measured: float | None, page: float | None) -> bool:
    return measured is not None and page is not None and abs(measured - page) <= STARTUP_TOLERANCE * page


# --- the README is what runs --------------------------------------------------------------------


def test_the_readme_gives_every_cmcd_player_a_configuration_with_a_session_id():
    snippets = cmcd_snippets(ROOT / "README.md")
    assert set(snippets) == set(CMCD_PLAYERS)
    for name, snippet in snippets.items():
        assert "sid" in snippet and "collector" in snippet, (name, snippet)
    # dash.js 5 sends only the keys a target lists: without sid there, its reports carry none.
    assert '"sid"' in snippets["dash.js"], snippets["dash.js"]


# Each check -> the row of the table in images/ingest/README.md ("What each player sends").
TABLE_ROWS = {
    "attempt": "attempt",
    "startup": "start, startup",
    "stall": "stall",
    "switch count": "switch",
    "fatal": "fatal error, failed start",
}
TABLE_COLUMNS = {"hls.js": "hls.js", "dash.js": "dash.js", "shaka": "Shaka"}


def test_the_ingest_readme_says_which_checks_each_players_reports_cannot_support():
    text = (ROOT / "images/ingest/README.md").read_text(encoding="utf-8")
    section = text[text.index("## What each player sends") :]
    lines = [line for line in section.splitlines() if line.startswith("|")]
    header = [cell.strip() for cell in lines[0].strip("|").split("|")]
    table = {cells[0]: cells for cells in ([c.strip() for c in line.strip("|").split("|")] for line in lines[2:])}
    for player, column in TABLE_COLUMNS.items():
        index = next(i for i, name in enumerate(header) if name.startswith(column))
        for check, row in TABLE_ROWS.items():
            says_cannot = "**cannot**" in table[row][index]
            assert says_cannot == ((player, check) in CANNOT), (player, check, table[row][index])


# --- the SDK, on every player -------------------------------------------------------------------


@pytest.mark.parametrize("player", list(PLAYERS))
def test_sdk_one_attempt_and_one_start(runs, player):
    run = runs(player, "stall")
    assert run.finished == "ended", run.page_errors
    types = [r["event_type"] for r in run.rows]
    assert types.count("session_start") == 1 and types[-1] == "session_end", types
    assert len([r for r in run.rows if r["event_type"] == "play" and r["initial"]]) == 1, types
    assert run.rows[0]["player_name"] == PLAYERS[player].name
    counts = run.counts().counts
    assert (counts["attempts"], counts["video_starts"]) == (1, 1), counts
    assert run.rows[-1]["reason"] == "completed"


@pytest.mark.parametrize("player", list(PLAYERS))
def test_sdk_startup_matches_the_page(runs, player):
    run = runs(player, "stall")
    play = next(r for r in run.rows if r["event_type"] == "play" and r["initial"])
    assert _within(play["startup_time_ms"], run.page_startup_ms), (play["startup_time_ms"], run.page_startup_ms)
    sketch = run.counts().startup
    assert sketch.count == 1 and _within(sketch.quantile(0.5), run.page_startup_ms)


@pytest.mark.parametrize("player", list(PLAYERS))
def test_sdk_one_stall_per_injected_stall(runs, player):
    run = runs(player, "stall")
    assert run.page_stalls >= 1, "the held segment did not stall playback: no check to make"
    stalls = [r for r in run.rows if r["event_type"] == "buffering_start" and r["cause"] == "stall"]
    assert len(stalls) == 1, [(r["event_type"], r["cause"], r["playhead_ms"]) for r in run.rows]
    ends = [r for r in run.rows if r["event_type"] == "buffering_end" and r["cause"] == "stall"]
    assert ends and ends[0]["duration_ms"] >= 1_000  # around the held segment
    assert run.counts().counts["stalls"] == 1


@pytest.mark.parametrize("player", LADDERS)
def test_sdk_reports_the_rendition_switch(runs, player):
    run = runs(player, "stall")
    assert len(set(run.page_heights)) >= 2, f"the player did not switch rendition: {run.page_heights}"
    switches = [r for r in run.rows if r["event_type"] == "bitrate_change"]
    assert switches, ([r["event_type"] for r in run.rows], run.page_heights)
    # between the two video renditions (Shaka's variants are 464 and 1264: video and 64 kbps audio)
    pairs = {(400, 1200), (1200, 400), (464, 1264), (1264, 464)}
    assert {(s["from_kbps"], s["to_kbps"]) for s in switches} & pairs, switches
    heartbeats = [r["bitrate_kbps"] for r in run.rows if r["event_type"] == "heartbeat"]
    assert heartbeats and all(kbps in (400, 1200, 464, 1264) for kbps in heartbeats), heartbeats
    assert run.counts().counts["bitrate_switches"] == len(switches)


@pytest.mark.parametrize("player", list(PLAYERS))
def test_sdk_when_every_segment_fails_a_fatal_error_and_a_start_failure(runs, player):
    run = runs(player, "fail")
    assert run.finished == "fatal", run.page_errors
    types = [r["event_type"] for r in run.rows]
    assert types.count("session_start") == 1, types
    assert [r for r in run.rows if r["event_type"] == "error" and r["fatal"]], types
    assert run.rows[-1]["event_type"] == "session_end" and run.rows[-1]["reason"] == "error", types
    counts = run.counts().counts
    assert (counts["attempts"], counts["video_starts"]) == (1, 0), counts
    assert (counts["fatal_errors"], counts["video_start_failures"]) == (1, 1), counts
    assert counts["exits_before_video_start"] == 0, counts  # a failed start, not a viewer leaving


def test_sdk_a_rendition_answering_404_is_a_reported_error_and_playback_goes_on(site, pipeline):
    # GIVEN the high rendition's segments answer 404 (hls.js starts low, then tries it)
    with (
        MediaServer(site, Faults(missing={"high"})) as media,
        finished_page(f"{media.url}/player.html?player=hls.js&sdk=1&ingest={pipeline.api.url}", 60_000) as page,
    ):
        session, finished = page.evaluate("[window.sessionId, window.finished]")
        _end_session(page)
    # THEN the player falls back and finishes; the failed loads are non-fatal errors on record
    assert finished == "ended"
    assert pipeline.drain(timeout_s=120)
    rows = _rows(pipeline, session)
    errors = [r for r in rows if r["event_type"] == "error"]
    assert errors and not any(r["fatal"] for r in errors), errors
    assert {r["code"] for r in errors} <= {"fragLoadError", "levelLoadError", "fragLoadTimeOut"}
    assert rows[-1]["reason"] == "completed"


# --- each player's own CMCD, configured as the README shows -------------------------------------


@pytest.mark.parametrize("player", CMCD_PLAYERS)
def test_cmcd_reports_land_in_the_sdk_session(runs, player):
    run = runs(player, "stall")
    assert run.cmcd_rows, f"no CMCD report of {player} under the SDK's session {run.session_id}"
    assert {r["cmcd_sid"] for r in run.cmcd_rows} == {run.session_id}
    assert run.cmcd_rows[0]["player_name"] == PLAYERS[player].name
    assert {r["content_id"] for r in run.cmcd_rows} == {"test-pattern"}


@pytest.mark.parametrize("player", CMCD_PLAYERS)
def test_cmcd_one_attempt(runs, player):
    _cannot(player, "attempt")
    counts = runs(player, "stall").counts(cmcd=True).counts
    assert counts["attempts"] == 1, counts


@pytest.mark.parametrize("player", CMCD_PLAYERS)
def test_cmcd_one_start(runs, player):
    _cannot(player, "startup")
    counts = runs(player, "stall").counts(cmcd=True).counts
    assert counts["video_starts"] == 1, counts


@pytest.mark.parametrize("player", CMCD_PLAYERS)
def test_cmcd_startup_matches_the_page(runs, player):
    _cannot(player, "startup")
    run = runs(player, "stall")
    sketch = run.counts(cmcd=True).startup
    assert sketch.count == 1 and _within(sketch.quantile(0.5), run.page_startup_ms), (
        sketch.quantile(0.5),
        run.page_startup_ms,
    )


@pytest.mark.parametrize("player", CMCD_PLAYERS)
def test_cmcd_one_stall_per_injected_stall(runs, player):
    _cannot(player, "stall")
    counts = runs(player, "stall").counts(cmcd=True).counts
    assert counts["stalls"] == 1, counts


@pytest.mark.parametrize("player", CMCD_PLAYERS)
def test_cmcd_reports_the_rendition_switch(runs, player):
    run = runs(player, "stall")
    # THEN the stored reports show the video bitrate change (Shaka's br is the variant's, audio in)
    bitrates = {r["cmcd_br"] for r in run.cmcd_rows if r["cmcd_br"] is not None}
    assert len(bitrates) >= 2, [(r["cmcd_e"], r["cmcd_br"]) for r in run.cmcd_rows]
    _cannot(player, "switch count")
    assert run.counts(cmcd=True).counts["bitrate_switches"] >= 1


@pytest.mark.parametrize("player", CMCD_PLAYERS)
def test_cmcd_when_every_segment_fails_a_fatal_error_and_a_start_failure(runs, player):
    _cannot(player, "fatal")
    run = runs(player, "fail")
    assert run.cmcd_rows, f"no CMCD report of {player} under the SDK's session {run.session_id}"
    counts = run.counts(cmcd=True).counts
    assert (counts["fatal_errors"], counts["video_start_failures"]) == (1, 1), counts
    assert counts["video_starts"] == 0, counts
