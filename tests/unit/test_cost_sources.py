"""Requests per event for each source: the SDK's delivery rule replayed over sessions, the
players' CMCD reporting as the README configures it, a CDN log line per media request."""

from __future__ import annotations

from pathlib import Path

from sluice_tools.cost import sources
from sluice_tools.cost.traffic import generated_events
from sluice_tools.sdk import replay
from sluice_tools.sdk.delivery import policy
from support.player_config import cmcd_snippets

ROOT = Path(__file__).resolve().parents[2]


def _session(*offsets_and_types: tuple[int, str], start: int = 1_000_000) -> list[dict]:
    return [
        {"event_id": str(i), "session_id": "s", "sequence": i, "event_type": t, "client_time": start + at}
        for i, (at, t) in enumerate(offsets_and_types)
    ]


def test_the_sdk_flushes_every_interval_at_a_full_batch_and_at_page_exit():
    # GIVEN a session: its start, a play 500 ms in, heartbeats at 10 s and 20 s, 12 seeks at 21 s, the end at 25 s
    events = _session(
        (0, "session_start"),
        (500, "play"),
        (10_000, "heartbeat"),
        (20_000, "heartbeat"),
        *[(21_000, "seek")] * 12,
        (25_000, "session_end"),
    )
    requests = sources.requests_for("sdk", events, policy("interval"))
    # THEN the first tick (2 s) sends start and play; the heartbeat at 10 s waits for the 12 s tick
    # (a tick due at the same millisecond fires first); the seeks fill a batch of 10 with the
    # second heartbeat at once; the rest goes at the end
    assert [[e["event_type"] for e in r] for r in requests] == [
        ["session_start", "play"],
        ["heartbeat"],
        ["heartbeat"] + ["seek"] * 9,
        ["seek"] * 3,
        ["session_end"],
    ]
    # AND under the heartbeats policy the whole session is one page-exit request (a flush a minute)
    assert len(sources.requests_for("sdk", events, policy("heartbeats"))) == 1


def test_generated_sessions_through_the_sdks_rule():
    events = generated_events(sessions=120, seed=3, now_ms=1_790_000_000_000)
    interval = sources.requests_for("sdk", events, policy("interval"))
    batched = sources.requests_for("sdk", events, policy("heartbeats"))
    # every event sent once, each session's in order
    for requests in (interval, batched):
        sent = [e["event_id"] for r in requests for e in r]
        assert sorted(sent) == sorted(e["event_id"] for e in events)
    # the audit's figure: about 1.3 events a request, not the ten the model once assumed
    assert 1.2 < len(events) / len(interval) < 1.6
    assert len(events) / len(batched) > 5 * len(events) / len(interval) / 1.4


def test_cmcd_reports_are_the_readmes_reporting_one_a_request():
    # the README's block configures every player with the reporting the model counts
    for name, snippet in cmcd_snippets(ROOT / "README.md").items():
        assert (
            f"interval: {sources.CMCD_REPORTING.interval_s}, batchSize: {sources.CMCD_REPORTING.batch_size}" in snippet
        ), name
    timeline = replay.sessions_of(
        _session((0, "session_start"), (800, "play"), (31_000, "bitrate_change"), (65_000, "session_end"))
    )[0]
    reports = sources.cmcd_reports(timeline)
    assert [k for _, k in reports] == ["ps", "t", "ps", "t", "t", "t", "bc", "t", "t", "t", "ps"]
    assert sources.cmcd_requests(len(reports)) == 11
    assert len(sources.requests_for("cmcd", timeline.events)) == len(timeline.events)


def test_cdn_log_lines_skip_the_ingest_path():
    assert sources.skips_ingest("cdn-logs") and not sources.skips_ingest("sdk")
    assert sources.ingest_only("API Gateway", "HTTP API requests")
    assert sources.ingest_only("Lambda", "ingest requests") and not sources.ingest_only("Lambda", "indexer requests")
    assert sources.ingest_only("Kinesis", "raw stream data in") and not sources.ingest_only(
        "Kinesis", "clean stream data in"
    )
    assert len(sources.requests_for("cdn-logs", _session((0, "session_start"), (5, "play")))) == 2
