"""``sluice health simulate --arrival-delay``: events that reach Sluice later, as a delivery policy
of the web SDK sends them (or a fixed number of seconds late), and the delay that adds to the
alerts against the SDK's current policy. A CDN outage's incident opens in the same window under
the heartbeats policy (held at most one monitor window; a failed start ends its session, and the
page exit sends it at once), and exactly one window later with every event 60 s late."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from sluice_tools.cli.main import main
from sluice_tools.health.arrival import arrivals
from sluice_tools.health.simulate import CleanEvents
from sluice_tools.traffic.generator import Incident, Problems, TrafficConfig, generate

START = 1_795_680_000_000  # 2026-11-26T08:00:00Z
MINUTE = 60_000
DELAY = re.compile(r"(\d+) incidents opened by both, later by (\d+) s on average, (\d+) s at most")


@pytest.fixture(scope="module")
def outage(tmp_path_factory: pytest.TempPathFactory) -> Path:
    # The onset after ten windows: a simulated file starts from no traffic, and under the heartbeats
    # policy its first window holds only what the page exit sent at once (failed starts): the
    # baseline needs the windows after it, as a running pipeline has them.
    incident = Incident("cdn", "fastly", START + 11 * MINUTE, START + 15 * MINUTE, Problems(start_failure_rate=0.7))
    config = TrafficConfig(
        sessions=1500, seed=2, start_ms=START, spread_ms=18 * MINUTE, max_heartbeats=12, incidents=(incident,)
    )
    path = tmp_path_factory.mktemp("arrival") / "outage.jsonl"
    path.write_text("".join(e.line(with_request=True) + "\n" for e in generate(config)), encoding="utf-8")
    return path


def _delay(path: Path, value: str, capsys: pytest.CaptureFixture[str]) -> tuple[int, int, int]:
    assert main(["health", "simulate", str(path), "--arrival-delay", value]) == 0
    err = capsys.readouterr().err
    found = DELAY.search(err)
    assert found, err
    return int(found.group(1)), int(found.group(2)), int(found.group(3))


def test_the_heartbeats_policy_adds_at_most_one_window_to_an_alert(outage, capsys):
    # WHEN the outage's events arrive as the heartbeats policy sends them
    matched, mean, most = _delay(outage, "heartbeats", capsys)
    print(f"heartbeats: {matched} incident, its alert later by {mean} s ({most} s at most)")
    # THEN the incident opens under both policies, at most one 60 s window later
    assert matched == 1
    assert most <= 60


def test_a_fixed_arrival_delay_of_a_window_moves_the_alert_one_window(outage, capsys):
    assert _delay(outage, "60", capsys) == (1, 60, 60)


def test_each_event_arrives_with_the_request_that_carries_it(outage):
    clean = CleanEvents()
    records = [r for line in outage.read_text().splitlines() if (r := clean(line)) is not None]
    for name, most_s in (("interval", 2), ("heartbeats", 60)):
        at = arrivals(name)(records)
        waits = [at[str(r["event_id"])] - r["client_time"] for r in records]
        assert len(at) == len(records)
        assert min(waits) >= 0
        assert max(waits) <= most_s * 1000, name


def test_a_bad_arrival_delay_is_refused_with_what_it_takes(outage, capsys):
    assert main(["health", "simulate", str(outage), "--arrival-delay", "hourly"]) == 2
    assert "--arrival-delay 'hourly': seconds, or a delivery policy (interval, heartbeats)" in capsys.readouterr().err
    assert main(["health", "simulate", str(outage), "--arrival-delay", "-5"]) == 2
    assert "from 0 to 3600 seconds" in capsys.readouterr().err
