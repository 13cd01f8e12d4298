"""The health evaluation's parts: evidence that accounts for sample size, root-cause isolation,
the incident lifecycle, and shards that combine exactly."""

from __future__ import annotations

import itertools
from functools import cache

from sluice_tools.health.simulate import CleanEvents, shard_of
from sluice_tools.traffic.generator import TrafficConfig, generate
from support.factories import clean_record

from sluice.monitor.aggregate import PAIRS, WindowAggregates, pair_dimension
from sluice.monitor.evaluator import EvaluationSettings, judge
from sluice.monitor.incidents import incident_id
from sluice.monitor.significance import Baseline, ProportionTest, wilson_lower, z_for

START = "2026-11-26T08:00:00Z"
_SESSIONS = itertools.count()


@cache
def _records(cdn: str, country: str) -> tuple[dict, dict]:
    start = clean_record("session_start", payload={"autoplay": False, "page_url": None, "referrer": None})
    error = clean_record("error", payload={"code": "HTTP_503", "message": "failed", "fatal": True, "playhead_ms": None})
    for record in (start, error):
        record["cdn"]["name"], record["ingest"]["country"] = cdn, country
    return start, error


def _session(window: WindowAggregates, *, cdn: str, country: str, failed: bool, n: int = 1) -> None:
    """``n`` sessions on one CDN in one country, failing to start or playing."""
    start, error = _records(cdn, country)
    for _ in range(n):
        session = f"session-{next(_SESSIONS)}"  # a session's facts count once: one id each
        window.add_event({**start, "session_id": session})
        if failed:
            window.add_event({**error, "session_id": session})


def _fleet(failing: dict[tuple[str, str], float], sessions: int = 100) -> WindowAggregates:
    """Four CDN x country cells of ``sessions`` each; ``failing`` gives a cell's start-failure rate."""
    window = WindowAggregates(max_values=500)
    for cdn in ("akamai", "fastly"):
        for country in ("US", "GB"):
            bad = round(sessions * failing.get((cdn, country), 0.02))
            _session(window, cdn=cdn, country=country, failed=True, n=bad)
            _session(window, cdn=cdn, country=country, failed=False, n=sessions - bad)
    return window


@cache
def _baseline() -> WindowAggregates:
    history = WindowAggregates(max_values=500)
    for _ in range(10):
        history.merge(_fleet({}))
    return history


def _judge(current: WindowAggregates, incidents=None, start: str = START):
    return judge(
        current=current,
        baseline=_baseline(),
        incidents=incidents if incidents is not None else [],
        start=start,
        end=start,
        settings=EvaluationSettings(),
    )


def test_one_failure_in_seven_attempts_is_never_evidence():
    one_in_seven = ProportionTest(1, 7, Baseline.of(0, 0, 0.02, prior=100))
    assert not one_in_seven.significant(z_for(0.0001, 1), baseline_z=1.645)
    # and a true jump of the same rate on enough sessions is
    assert ProportionTest(140, 1000, Baseline.of(0, 0, 0.02, prior=100)).significant(z_for(0.0001, 1000), 1.645)
    # Wilson's bound stays inside [0, 1] where the normal approximation does not
    assert 0 < wilson_lower(1, 7, 3.0) < 1 / 7


def test_a_failing_cdn_is_the_cause_and_its_countries_and_the_fleet_are_knock_ons():
    incidents, messages = _judge(_fleet({("fastly", "US"): 0.6, ("fastly", "GB"): 0.6}))
    assert [m.status for m in messages] == ["opened"]
    opened = messages[0]
    assert opened.cause == {"cdn": "fastly"}
    assert opened.rule == "video_start_failures"
    assert opened.explains_share > 0.95
    assert opened.fleet_rate_without_cause < 0.03
    # the fleet and both countries looked worse only because of fastly: listed, not raised
    assert {"all": "all"} in opened.impacted and {"country": "US"} in opened.impacted
    assert incidents[0].cause == (("cdn", "fastly"),)


def test_an_outage_of_failed_starts_is_named_video_start_failures_though_fatal_errors_rose_too():
    # GIVEN fastly failing 60% of starts, and a few of its sessions that did start then crashing:
    # the fatal error share rose more for its baseline than the start failures did
    window = _fleet({("fastly", "US"): 0.6, ("fastly", "GB"): 0.6})
    start, _ = _records("fastly", "US")
    crash = clean_record("error", payload={"code": "DECODE", "message": "crashed", "fatal": True, "playhead_ms": 9000})
    crash["cdn"]["name"], crash["ingest"]["country"] = "fastly", "US"
    for n in range(12):
        window.add_event({**start, "session_id": f"crashing-{n}"})
        window.add_event({**crash, "session_id": f"crashing-{n}"})
    _, messages = _judge(window)
    # THEN the one incident is headlined by the failed starts, the fatal share listed beside it
    assert [(m.status, m.cause, m.rule) for m in messages] == [("opened", {"cdn": "fastly"}, "video_start_failures")]
    assert {"video_start_failures", "fatal_error_share"} <= {r["rule"] for r in messages[0].rules}


def test_only_a_pair_explains_it_then_the_pair_is_the_cause():
    _, messages = _judge(_fleet({("fastly", "GB"): 0.7}))
    assert [(m.status, m.cause) for m in messages] == [("opened", {"cdn": "fastly", "country": "GB"})]


def test_a_fleet_wide_problem_is_one_incident_on_all():
    everywhere = {(c, k): 0.3 for c in ("akamai", "fastly") for k in ("US", "GB")}
    _, messages = _judge(_fleet(everywhere))
    assert [(m.status, m.cause) for m in messages] == [("opened", {"all": "all"})]


def test_an_incident_is_updated_while_it_worsens_and_resolved_after_three_healthy_windows():
    incidents, opened = _judge(_fleet({("fastly", "US"): 0.4, ("fastly", "GB"): 0.4}), start="2026-11-26T08:00:00Z")
    incidents, same = _judge(
        _fleet({("fastly", "US"): 0.41, ("fastly", "GB"): 0.41}), incidents, "2026-11-26T08:01:00Z"
    )
    incidents, worse = _judge(_fleet({("fastly", "US"): 0.8, ("fastly", "GB"): 0.8}), incidents, "2026-11-26T08:02:00Z")
    statuses = []
    for minute in range(3, 6):
        incidents, healthy = _judge(_fleet({}), incidents, f"2026-11-26T08:0{minute}:00Z")
        statuses.append([m.status for m in healthy])
    assert [m.status for m in opened] == ["opened"] and same == [] and [m.status for m in worse] == ["updated"]
    assert statuses == [[], [], ["resolved"]] and incidents == []
    ids = {m.incident_id for m in opened + worse} | {incident_id((("cdn", "fastly"),), "2026-11-26T08:00:00Z")}
    assert len(ids) == 1  # one stable id, from the cause and the window it opened in


def test_shards_combine_to_exactly_what_one_shard_with_all_the_traffic_counts():
    clean = CleanEvents()
    lines = [e.line(with_request=True) for e in generate(TrafficConfig(sessions=300, seed=5, max_heartbeats=6))]
    events = [r for line in lines if (r := clean(line)) is not None]
    whole, shards = WindowAggregates(max_values=300), [WindowAggregates(max_values=300) for _ in range(4)]
    for event in events:
        whole.add_event(event)
        shards[shard_of(event["session_id"], 4)].add_event(event)
    combined = WindowAggregates()
    for shard in shards:
        combined.merge(WindowAggregates.from_state(shard.to_state(), max_values=300))
    dimensions = ["all", "content", "cdn", "device_class", "player_version", "country"]
    dimensions += [pair_dimension(a, b) for a, b in PAIRS]
    for dimension in dimensions:
        got = {v: (a.counts, a.startup.buckets) for v, a in combined.by_dimension[dimension].items()}
        want = {v: (a.counts, a.startup.buckets) for v, a in whole.by_dimension[dimension].items()}
        assert got == want, dimension
