"""Player health from the CDN's requests (``cdn_request`` events, one real-time log line each):
what a window counts of them, where they were served (the dimensions isolation reads), what
sampling does to counts and rates, and what the window state costs at a shard's full rate."""

from __future__ import annotations

import itertools
import json

import pytest
from sluice_tools.cli.main import main
from support.cdn_lines import line

from sluice.cdn.fields import field_names
from sluice.cdn.logline import parse_line
from sluice.cdn.requests import to_event
from sluice.monitor.aggregate import STATE_BUDGET, Aggregate, WindowAggregates
from sluice.monitor.evaluator import EvaluationSettings, judge
from sluice.monitor.qoe import metrics
from sluice.monitor.requests import MAX_RENDITIONS

START = "2026-11-26T08:00:00Z"
_BASE = to_event(parse_line(line(), field_names()))
_IDS = itertools.count()


def request(session: str = "s-1", *, at: int = 0, host: str = "video.example.com", **payload) -> dict:
    """One media request of ``session``, ``at`` ms into the window, with payload fields changed."""
    at_ms = 1_795_680_000_000 + at
    fields = {**_BASE["payload"], "cdn_sampling_rate": 100, "cdn_origin_first_byte_ms": None, **payload}
    return {
        **_BASE,
        "event_id": f"id-{next(_IDS)}",
        "session_id": session,
        "client_time": at_ms,
        "server_time": at_ms,
        "cdn": {**_BASE["cdn"], "host": host},
        "payload": fields,
    }


def window_of(events: list[dict], max_values: int = 100) -> WindowAggregates:
    window = WindowAggregates(max_values=max_values)
    for event in events:
        window.add_event(event)
    return window


def test_requests_give_the_health_they_can_tell():
    # GIVEN three sessions' requests: one served, stalling once (bs on its audio and its video
    # request) and switching 3000 -> 1500 -> 3000 kbps (its audio at 128 kbps between them); one
    # whose first three requests failed; one failing once then served
    video = {"cmcd_ot": "v", "cmcd_mtp": 20_000}
    events = [
        request("played", at=0, cmcd_br=3000, **video, cdn_time_to_first_byte_ms=4.0),
        request("played", at=10, cmcd_br=128, cmcd_ot="a", cdn_time_to_first_byte_ms=4.0),
        request("played", at=4000, cmcd_br=1500, **video, cmcd_bs=True, cdn_time_to_first_byte_ms=60.0),
        request("played", at=4100, cmcd_br=128, cmcd_ot="a", cmcd_bs=True, cdn_time_to_first_byte_ms=5.0),
        request("played", at=8000, cmcd_br=3000, **video, cdn_origin_first_byte_ms=45.0, cdn_result_type="Miss"),
        *(request("failed", at=i * 1000, cdn_status=503, cdn_result_type="Error") for i in range(4)),
        request("retried", at=0, cdn_status=502, cdn_result_type="Error"),
        request("retried", at=2000),
        request("gone", at=0, cdn_status=0),  # the viewer left before the answer: neither
    ]
    # WHEN a window counts them
    everything = window_of(events).everything
    shown = metrics(everything)
    # THEN what a user reads, named for what requests say
    assert shown["media_requests"] == 12 and shown["media_request_errors"] == 5
    assert shown["media_request_error_rate"] == pytest.approx(5 / 12)
    assert shown["sessions_seen_in_requests"] == 4
    assert shown["sessions_first_requests_failed"] == 1  # "failed" only: "retried" was served
    assert shown["sessions_first_requests_failed_rate"] == pytest.approx(1 / 4)
    assert shown["request_stalls"] == 1  # the audio and the video request of one starvation
    assert shown["requested_bitrate_switches"] == 2  # video only: audio's 128 is no switch
    assert shown["average_requested_bitrate_kbps"] == pytest.approx(2500)
    assert shown["average_measured_throughput_kbps"] == pytest.approx(20_000)
    # every request's time to first byte (the rest at the line's 2 ms), the origin's of the one miss
    assert everything.first_byte.count == 12 and everything.first_byte.quantile(1.0) == pytest.approx(60, rel=0.03)
    assert shown["time_to_first_byte_p95_ms"] == pytest.approx(5.0, rel=0.03)
    assert shown["origin_first_byte_p95_ms"] == pytest.approx(45.0, rel=0.03)
    assert shown["cdn_sampling_rate"] == 100
    # and none of it is a player's attempt, start or fatal error
    assert shown["attempts"] == shown["video_starts"] == shown["fatal_errors"] == 0


def test_requests_are_counted_where_they_were_served():
    # GIVEN requests through two edge locations for two cache behaviours, one for the default
    # behaviour, an origin's failure (it reached the origin) and an edge's own 5xx
    events = [
        request(cdn_edge_location="AMS1-C1", cdn_cache_behavior="/vod/*", cdn_result_type="Hit"),
        request(cdn_edge_location="AMS1-C1", cdn_cache_behavior="/live/*", cdn_result_type="RefreshHit"),
        request(
            cdn_edge_location="FRA56-P2",
            cdn_cache_behavior="/live/*",
            cdn_status=502,
            cdn_result_type="Error",
            cdn_detailed_result_type="OriginConnectError",
        ),
        request(cdn_edge_location="FRA56-P2", cdn_cache_behavior="*", host="media.example.com"),
        request(
            cdn_edge_location="FRA56-P2", cdn_status=503, cdn_result_type="Error", cdn_detailed_result_type="Error"
        ),
    ]
    window = window_of(events)
    counts = {
        d: {v: a.counts["media_requests"] for v, a in values.items()} for d, values in window.by_dimension.items()
    }
    assert counts["edge_location"] == {"AMS1-C1": 2, "FRA56-P2": 3}
    # the cache behaviour's path pattern, else (the default behaviour) the distribution's host
    assert counts["origin"] == {"/vod/*": 2, "/live/*": 2, "media.example.com": 1}
    # an error that reached the origin is a miss; the edge's own 5xx has no cache result
    assert counts["origin×cache_result"] == {
        '["/vod/*","Hit"]': 1,
        '["/live/*","RefreshHit"]': 1,
        '["/live/*","Miss"]': 1,
        '["media.example.com","Hit"]': 1,
    }
    assert set(counts["edge_location×origin"]) == {
        '["AMS1-C1","/vod/*"]',
        '["AMS1-C1","/live/*"]',
        '["FRA56-P2","/live/*"]',
        '["FRA56-P2","media.example.com"]',
        '["FRA56-P2","/vod/*"]',
    }


def _edge_failing(failing: float, rate: int, windows: int = 1) -> WindowAggregates:
    """Requests of 600 sessions on three edges, sampled at ``rate``; AMS1-C1's fail at ``failing``."""
    events = []
    for index in range(600 * windows):
        edge = ("AMS1-C1", "FRA56-P2", "LHR61-C2")[index % 3]
        bad = edge == "AMS1-C1" and (index // 3) % 100 < failing * 100
        for n in range(4):
            status = 503 if bad else (404 if (index * 4 + n) % 500 == 0 else 200)
            events.append(
                request(
                    f"s-{index}",
                    at=n * 4000,
                    cdn_edge_location=edge,
                    cdn_status=status,
                    cdn_result_type="Error" if status >= 400 else "Hit",
                    cdn_sampling_rate=rate,
                )
            )
    return window_of(events, max_values=1000)


@pytest.mark.parametrize("rate", [100, 10])
def test_an_edge_failing_is_one_incident_naming_it_and_its_sampling_rate(rate):
    # GIVEN ten windows of healthy requests as the baseline, then a window where AMS1-C1 fails
    baseline = _edge_failing(0.0, rate, windows=10)
    current = _edge_failing(0.5, rate)
    # WHEN the window is judged
    _, messages = judge(
        current=current, baseline=baseline, incidents=[], start=START, end=START, settings=EvaluationSettings()
    )
    # THEN one incident naming the edge location, on the request errors, saying the rate; what it
    # cost is scaled to every request (100 / rate), its significance the sample's own
    assert [(m.status, m.cause, m.rule) for m in messages] == [
        ("opened", {"edge_location": "AMS1-C1"}, "media_request_errors")
    ]
    opened = messages[0]
    assert opened.sampling_rate == rate
    excess = opened.significance["x"] - opened.significance["n"] * opened.significance["expected_rate"]
    # in requests, the unit the rule counts: no session count is claimed
    assert opened.impacted_requests == pytest.approx(excess * 100 / rate, abs=100 / rate)
    assert opened.impacted_sessions is None
    assert f"{opened.impacted_requests} requests beyond the baseline" in opened.detail
    assert opened.observed == pytest.approx(0.5, abs=0.01)  # a rate is the sample's, unscaled
    assert ("sampling rate of 10%" in opened.detail) == (rate == 10)
    # AND the counts shown are scaled, the rates not
    shown = metrics(current.everything)
    assert shown["media_requests"] == 600 * 4 * 100 // rate
    assert shown["media_request_error_rate"] == pytest.approx(400 / 2400, abs=0.005)  # and the few 404s


def test_window_state_of_a_shard_at_its_full_rate_of_requests_stays_under_lambdas_1_mb():
    # GIVEN a minute of a shard at its full 1,000 records a second: 60,000 requests from 6,000
    # sessions, each on its own bitrate, at its schema bounds where a value is a dimension's
    events = []
    for index in range(60_000):
        session = f"{index % 6000:036d}"
        events.append(
            request(
                session,
                at=index,
                cdn_edge_location=f"E{index % 500:031d}",
                cdn_cache_behavior=f"/{index % 300:0254d}",
                cmcd_ot="v",
                cmcd_br=index % 7 * 1000,
                cdn_time_to_first_byte_ms=float(index % 5000),
                cdn_origin_first_byte_ms=float(index % 3000),
            )
        )
    window = WindowAggregates()
    for event in events:
        window.event_ids.first_time(event["event_id"])  # as the handler keeps them, beside the counters
        window.add_event(event)
    # WHEN the window state is written for the next invocation
    state = window.fit_state()
    # THEN it fits Lambda's 1 MB, the bitrates kept are bounded, and every request is counted
    assert len(json.dumps(state)) <= STATE_BUDGET
    kept = WindowAggregates.from_state(state)
    assert len(window.renditions) == MAX_RENDITIONS and len(kept.renditions) <= MAX_RENDITIONS
    assert kept.everything.counts["media_requests"] == 60_000
    assert sum(a.counts["media_requests"] for a in kept.by_dimension["edge_location"].values()) == 60_000


def test_a_window_state_from_before_the_cdn_counters_reads_as_zero_for_them():
    # GIVEN an aggregate as the monitor stored it before (its counters, one sketch)
    old = [[5, 2] + [0] * 14, [[10, 3]]]
    # WHEN read by this version THEN the CDN's counters and sketches are zero, the rest kept
    aggregate = Aggregate.from_state(old)
    assert aggregate.counts["events"] == 5 and aggregate.startup.count == 3
    assert aggregate.counts["media_requests"] == 0 and aggregate.first_byte.count == 0


@pytest.mark.parametrize("arguments", [[], ["events.jsonl", "--cdn-logs", "lines.log"]])
def test_simulate_takes_a_file_of_events_or_of_cdn_log_lines(arguments, capsys):
    assert main(["health", "simulate", *arguments]) == 2
    assert "--cdn-logs FILE" in capsys.readouterr().err
