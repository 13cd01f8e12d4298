"""The incident scenarios, through ``sluice health simulate`` with 1 and 4 shards: the generator's
traffic with one incident applied, 20 one-minute windows, the incident from minute 8 to minute 12.
Each must give exactly one incident naming the injected cause within two windows of its onset, a
``resolved`` after recovery, and nothing else; normal traffic over 10 seeds must stay silent.
The CDN scenarios do the same with CloudFront real-time log lines (``--cdn-logs``)."""

from __future__ import annotations

import io
import json
from concurrent.futures import ProcessPoolExecutor
from contextlib import redirect_stdout
from datetime import datetime
from pathlib import Path

import pytest
from sluice_tools.cli.main import main
from sluice_tools.traffic import catalogue
from sluice_tools.traffic.cdn_logs import CdnFault, cdn_log_lines
from sluice_tools.traffic.generator import Incident, Problems, TrafficConfig, generate

START = 1_795_680_000_000  # 2026-11-26T08:00:00Z
MINUTE = 60_000
ONSET, RECOVERY = START + 8 * MINUTE, START + 12 * MINUTE
CONTENT = next(c for c in catalogue.content_catalogue() if c[0] == "content-0001")  # ~17% of sessions

SCENARIOS = {
    "cdn outage": (
        Incident("cdn", "fastly", ONSET, RECOVERY, Problems(start_failure_rate=0.6)),
        {"cdn": "fastly"},
        "video_start_failures",  # a failed start is a fatal error too: named as what it is
    ),
    "crashing player version": (
        Incident("player_version", "4.13.0", ONSET, RECOVERY, Problems(fatal_error_rate=0.08)),
        {"player_version": "sluice-web@4.13.0"},
        "fatal_error_share",
    ),
    "one content id fails to start": (
        Incident("content", CONTENT, ONSET, RECOVERY, Problems(start_failure_rate=0.7)),
        {"content": "content-0001"},
        "video_start_failures",
    ),
    "rebuffer storm on one cdn in one country": (
        Incident("cdn", "fastly", ONSET, RECOVERY, Problems(rebuffer_rate=0.5), also=(("country", "GB"),)),
        {"cdn": "fastly", "country": "GB"},
        "rebuffer_ratio",
    ),
}
NORMAL_SEEDS = range(1, 11)
SHARDS = (1, 4)


def _traffic(path: Path, seed: int, incident: Incident | None) -> None:
    config = TrafficConfig(
        sessions=3000,
        seed=seed,
        start_ms=START,
        spread_ms=18 * MINUTE,
        max_heartbeats=12,
        incidents=(incident,) if incident else (),
    )
    path.write_text("".join(e.line(with_request=True) + "\n" for e in generate(config)), encoding="utf-8")


def _simulate(path: Path, shards: int, *source: str) -> list[dict]:
    """What a user runs: the CLI, its JSON lines parsed (``source``: ``--cdn-logs`` for log lines)."""
    out = io.StringIO()
    with redirect_stdout(out):
        assert main(["health", "simulate", *source, str(path), "--shards", str(shards)]) == 0
    return [json.loads(line) for line in out.getvalue().splitlines()]


def _run(job: tuple[str, int, Path]) -> tuple[tuple[str, int], list[dict]]:
    name, seed, folder = job
    path = folder / f"{name.replace(' ', '-')}-{seed}.jsonl"
    _traffic(path, seed, SCENARIOS[name][0] if name in SCENARIOS else None)
    return (name, seed), {shards: _simulate(path, shards) for shards in SHARDS}


@pytest.fixture(scope="module")
def outcomes(tmp_path_factory):
    """Every scenario, two at a time (one per core)."""
    folder = tmp_path_factory.mktemp("scenarios")
    jobs = [(name, 1, folder) for name in SCENARIOS] + [("normal", seed, folder) for seed in NORMAL_SEEDS]
    with ProcessPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(_run, jobs))


def _the_one_incident(messages: list[dict], cause: str) -> dict:
    """Exactly one incident across the messages, opened once and naming the cause: its opening."""
    assert len({m["incident_id"] for m in messages}) == 1, messages
    opened = [m for m in messages if m["status"] == "opened"]
    assert len(opened) == 1 and opened[0]["cause"] == cause, messages
    return opened[0]


def _minute(iso: str) -> int:
    moment = datetime.fromisoformat(iso.replace("Z", "+00:00"))
    return int((moment.timestamp() * 1000 - START) // MINUTE)


@pytest.mark.parametrize("shards", SHARDS)
@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_one_incident_names_the_injected_cause_and_resolves(outcomes, scenario, shards):
    messages = outcomes[(scenario, 1)][shards]
    _, expected_cause, expected_rule = SCENARIOS[scenario]
    # THEN exactly one incident, naming the cause
    first = _the_one_incident(messages, expected_cause)
    # headlined by the rule the incident broke, in every window it is updated in
    assert {m["rule"] for m in messages if m["status"] != "resolved"} == {expected_rule}, messages
    # within two windows of the onset (minute 8)
    assert 8 <= _minute(first["window_start"]) <= 9
    # with its evidence, as a user reads it
    assert first["observed"] > first["baseline"] and first["impacted_sessions"] >= 10
    assert first["explains_share"] > 0.8
    # AND resolved once the cause has been healthy for three windows after recovery (minute 12)
    resolved = [m for m in messages if m["status"] == "resolved"]
    assert len(resolved) == 1 and 14 <= _minute(resolved[0]["window_start"]) <= 17
    assert all(m["cause"] == expected_cause for m in messages)


@pytest.mark.parametrize("shards", SHARDS)
def test_normal_traffic_stays_silent_over_ten_seeds(outcomes, shards):
    alerts = {seed: outcomes[("normal", seed)][shards] for seed in NORMAL_SEEDS}
    assert alerts == {seed: [] for seed in NORMAL_SEEDS}


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_four_shards_judge_the_same_numbers_as_one(outcomes, scenario):
    one, four = outcomes[(scenario, 1)][1], outcomes[(scenario, 1)][4]
    keys = (
        "incident_id",
        "status",
        "window_start",
        "cause",
        "observed",
        "baseline",
        "impacted_sessions",
        "significance",
    )
    assert [{k: m[k] for k in keys} for m in one] == [{k: m[k] for k in keys} for m in four]


# --- CDN scenarios: CloudFront real-time log lines through ``sluice health simulate --cdn-logs`` ---
# The generator's viewers (sluice_tools.traffic.cdn_logs) over 13 one-minute windows, one fault from
# minute 6 to minute 9; each must give exactly one incident naming the edge location or origin.
CDN_MINUTES, CDN_SESSIONS = 13, 200
CDN_ONSET_S, CDN_RECOVERY_S = 6 * 60, 9 * 60
CDN_SCENARIOS = {
    "one edge location answering 5xx": (
        CdnFault("status", edge_location="AMS1-C1", status=503, start_s=CDN_ONSET_S, end_s=CDN_RECOVERY_S),
        {"edge_location": "AMS1-C1"},
        "media_request_errors",
    ),
    "one edge location slow to first byte": (
        CdnFault("slow_first_byte", edge_location="AMS1-C1", start_s=CDN_ONSET_S, end_s=CDN_RECOVERY_S),
        {"edge_location": "AMS1-C1"},
        "time_to_first_byte_p95",
    ),
    "one origin failing": (
        # Its cached objects are still served: the cause is the origin's requests that reach it.
        CdnFault("origin_status", origin="/live/*", status=502, start_s=CDN_ONSET_S, end_s=CDN_RECOVERY_S),
        {"origin": "/live/*", "cache_result": "Miss"},
        "media_request_errors",
    ),
    "one origin slow": (
        CdnFault("origin_slow", origin="/live/*", first_byte_ms=2000, start_s=CDN_ONSET_S, end_s=CDN_RECOVERY_S),
        {"origin": "/live/*"},
        "origin_first_byte_p95",
    ),
}
CDN_NORMAL_SEEDS = range(1, 4)


def _cdn_run(job: tuple[str, int, Path]) -> tuple[tuple[str, int], dict[int, list[dict]]]:
    name, seed, folder = job
    fault = CDN_SCENARIOS[name][0] if name in CDN_SCENARIOS else None
    path = folder / f"cdn-{name.replace(' ', '-')}-{seed}.log"
    lines = cdn_log_lines(
        sessions=CDN_SESSIONS, duration_s=CDN_MINUTES * 60, seed=seed, start_ms=START, faults=(fault,) if fault else ()
    )
    path.write_text("".join(line + "\n" for _, line in lines), encoding="utf-8")
    shards = SHARDS if fault else (1,)
    return (name, seed), {n: _simulate(path, n, "--cdn-logs") for n in shards}


@pytest.fixture(scope="module")
def cdn_outcomes(tmp_path_factory):
    folder = tmp_path_factory.mktemp("cdn-scenarios")
    jobs = [(name, 1, folder) for name in CDN_SCENARIOS] + [("normal", seed, folder) for seed in CDN_NORMAL_SEEDS]
    with ProcessPoolExecutor(max_workers=2) as pool:
        return dict(pool.map(_cdn_run, jobs))


@pytest.mark.parametrize("shards", SHARDS)
@pytest.mark.parametrize("scenario", list(CDN_SCENARIOS))
def test_a_cdn_fault_is_one_incident_naming_the_edge_location_or_origin(cdn_outcomes, scenario, shards):
    messages = cdn_outcomes[(scenario, 1)][shards]
    _, expected_cause, expected_rule = CDN_SCENARIOS[scenario]
    # THEN exactly one incident, naming where the requests were served, on the rule the fault broke
    first = _the_one_incident(messages, expected_cause)
    assert {m["rule"] for m in messages} == {expected_rule}, messages
    assert all(m["cause"] == expected_cause for m in messages)
    # within two windows of the onset (minute 6), with its evidence, as sampled at 100%
    assert 6 <= _minute(first["window_start"]) <= 7
    # what it cost, in the unit the rule counts: requests, never claimed as sessions
    assert first["observed"] > first["baseline"] and first["impacted_requests"] >= 10
    assert first["impacted_sessions"] is None
    assert first["explains_share"] > 0.8 and first["sampling_rate"] == 100
    # AND resolved once healthy for three windows after recovery (minute 9)
    resolved = [m for m in messages if m["status"] == "resolved"]
    assert len(resolved) == 1 and 11 <= _minute(resolved[0]["window_start"]) <= 12


def test_normal_cdn_traffic_stays_silent(cdn_outcomes):
    alerts = {seed: cdn_outcomes[("normal", seed)][1] for seed in CDN_NORMAL_SEEDS}
    assert alerts == {seed: [] for seed in CDN_NORMAL_SEEDS}
