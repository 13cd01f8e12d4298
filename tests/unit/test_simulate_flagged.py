"""``sluice health simulate`` flags bots and test players as the processor does and leaves them
out as the monitor does: a file with a crawler's and a headless browser's events in it is judged
exactly as the file without them."""

from __future__ import annotations

import io
import json
import uuid
from contextlib import redirect_stderr, redirect_stdout

from sluice_tools.cli.main import main
from sluice_tools.health.simulate import Simulation, simulate

from sluice.monitor.store import pack

START = "2026-11-26T08:00:00Z"
BOTS = (
    "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
    "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.0.0 Safari/537.36",
)


def _viewers() -> list[str]:
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["generate", "--sessions", "30", "--seed", "5", "--with-request", "--start", START]) == 0
    return out.getvalue().splitlines()


def _with_bots(lines: list[str]) -> list[str]:
    """Every third session played again by a bot, each bot event just after the one it copies."""
    sessions: dict[str, tuple[str, str]] = {}  # viewer's session -> its bot's session and user agent
    seen: set[str] = set()
    mixed = []
    for line in lines:
        mixed.append(line)
        event = json.loads(line)
        if event["session_id"] not in seen:
            seen.add(event["session_id"])
            if len(seen) % 3 == 0:
                sessions[event["session_id"]] = (str(uuid.uuid4()), BOTS[len(sessions) % 2])
        if event["session_id"] in sessions:
            bot_session, user_agent = sessions[event["session_id"]]
            event.update(event_id=str(uuid.uuid4()), session_id=bot_session)
            event["request"]["user_agent"] = user_agent
            mixed.append(json.dumps(event))
    return mixed


def _windows(result: Simulation) -> dict[str, dict[tuple[str, str], list[bytes]]]:
    """Every shard's counters for every window, as the health table stores them."""
    return {start: {part: pack(a) for part, a in parts.items()} for start, parts in result.store.shards.items()}


def test_bot_events_simulated_leave_the_counts_as_without_them():
    # GIVEN viewers' events, and the same file with bots' sessions mixed in
    viewers = _viewers()
    mixed = _with_bots(viewers)
    bots = len(mixed) - len(viewers)
    assert bots > 100
    # WHEN both are simulated
    alone, with_bots = simulate(viewers, shards=2), simulate(mixed, shards=2)
    # THEN every window's counts, the windows and the messages are the same; the bots are counted
    assert _windows(with_bots) == _windows(alone)
    assert (with_bots.events, with_bots.windows, with_bots.messages) == (alone.events, alone.windows, alone.messages)
    assert (alone.flagged, with_bots.flagged) == (0, bots)


def test_the_summary_says_how_many_were_left_out(tmp_path):
    path = tmp_path / "events.jsonl"
    viewers = _viewers()
    path.write_text("\n".join(_with_bots(viewers)) + "\n")
    err = io.StringIO()
    with redirect_stdout(io.StringIO()), redirect_stderr(err):
        assert main(["health", "simulate", str(path)]) == 0
    summary = err.getvalue()
    assert f"{len(viewers)} events (0 refused as ingest would)" in summary
    assert "bot or test-player events left out, as the monitor leaves them out" in summary
