"""``sluice_tools.traffic.cdn_logs``: the lines read as CloudFront's (every one a media request the
reader turns into a ``cdn_request`` event with the session, edge and status generated), viewing
that looks real, faults exactly where and when asked, and sampling as CloudFront samples."""

from __future__ import annotations

import itertools
import statistics
from collections import defaultdict

import pytest
from sluice_tools.traffic.cdn_logs import EDGE_LOCATIONS, CdnFault, cdn_log_lines

from sluice.cdn.config import local_fields
from sluice.cdn.logline import parse_line
from sluice.cdn.requests import LineCounts, read_line

ORDER = local_fields()
START_MS = 1_795_680_000_000


def lines(**options):
    return list(cdn_log_lines(**{"sessions": 40, "duration_s": 240, "seed": 7, "start_ms": START_MS, **options}))


def read(generated):
    counts = LineCounts()
    return [(parse_line(line, ORDER), read_line(line, ORDER, counts)) for _, line in generated], counts


@pytest.fixture(scope="module")
def normal():
    return lines()


def test_every_line_is_a_media_request_event_with_the_session_edge_and_status_generated(normal):
    pairs, counts = read(normal)
    assert counts.lines == counts.kept == len(normal) > 1000 and counts.unreadable == counts.not_media == 0
    for (timestamp, _), (values, event) in zip(normal, pairs, strict=True):
        assert event["event_type"] == "cdn_request" and event["client_time"] == timestamp == values["timestamp"]
        assert event["payload"]["cdn_edge_location"] == values["x-edge-location"] in EDGE_LOCATIONS
        assert event["payload"]["cdn_status"] == values["sc-status"]
        assert event["payload"]["cdn_cache_behavior"] == values["cache-behavior-path-pattern"]
        if event["payload"]["cmcd_source"] is not None:
            assert (
                event["session_id"] == event["payload"].get("cmcd_sid")
                and not event["payload"]["cmcd_session_inferred"]
            )
            assert event["payload"]["cmcd_invalid_keys"] is None
    # one session per viewer: by its CMCD sid, or inferred from its network and player
    assert len({event["session_id"] for _, event in pairs}) == 40


def test_the_same_seed_gives_the_same_lines_in_time_order(normal):
    assert lines() == normal
    assert lines(seed=8) != normal
    assert [t for t, _ in normal] == sorted(t for t, _ in normal)
    assert normal[0][0] >= START_MS and normal[-1][0] < START_MS + 300_000 + 60_000


def test_viewing_looks_like_players_fetching_segments_at_their_duration(normal):
    pairs, _ = read(normal)
    events = [event for _, event in pairs]
    agents = " ".join({values["cs-user-agent"] for values, _ in pairs})
    assert all(name in agents for name in ("Chrome/", "Firefox/", "Tizen", "ExoPlayerLib/", "AppleCoreMedia/"))
    payloads = [e["payload"] for e in events]
    assert {"query", "headers"} <= {p["cmcd_source"] for p in payloads}
    assert len({p["cdn_edge_location"] for p in payloads}) >= 4
    assert {"Hit", "Miss", "RefreshHit"} <= {p["cdn_result_type"] for p in payloads}
    assert {p["cdn_cache_behavior"] for p in payloads} == {"/live/*", "/vod/*"}
    assert {p.get("cmcd_sf") for p in payloads} >= {"h", "d"} and {p.get("cmcd_st") for p in payloads} >= {"v", "l"}
    assert any(p.get("cmcd_bs") for p in payloads), "some stall"
    errors = sum(p["cdn_status"] >= 400 for p in payloads)
    assert 0 < errors < 0.01 * len(payloads), "a small base error rate"
    # each session: a manifest first, then video segments about 4 s apart once started
    by_session = defaultdict(list)
    for e in events:
        by_session[e["session_id"]].append(e)
    gaps, switches = [], 0
    for session in by_session.values():
        assert session[0]["payload"].get("cmcd_ot") in ("m", None) and session[0]["payload"]["cdn_path"].endswith(
            (".m3u8", ".mpd")
        )
        video = [e for e in session if e["payload"].get("cmcd_ot") == "v" and not e["payload"].get("cmcd_su")]
        gaps += [b["client_time"] - a["client_time"] for a, b in itertools.pairwise(video)]
        rates = [e["payload"].get("cmcd_br") for e in video]
        switches += sum(a != b for a, b in itertools.pairwise(rates))
    assert 3800 <= statistics.median(gaps) <= 4300
    assert switches > 0


def test_the_cmcd_fields_mode_fills_the_configurations_cmcd_fields():
    pairs, _ = read(lines(sessions=5, cmcd_mode="fields"))
    assert {event["payload"]["cmcd_source"] for _, event in pairs} == {"fields"}
    assert all(values["cmcd-session-id"] == event["session_id"] for values, event in pairs)
    mixed, _ = read(lines(sessions=30, cmcd_mode={"query": 1, "headers": 1, "fields": 1}))
    assert {event["payload"]["cmcd_source"] for _, event in mixed} == {"query", "headers", "fields"}


def _in(values, fault):
    at_s = (values["timestamp"] - START_MS) / 1000
    return values["x-edge-location"] == fault.edge_location and fault.start_s + 10 <= at_s < fault.end_s


def test_an_edge_answering_5xx_fails_only_its_requests_in_its_window(normal):
    fault = CdnFault("status", edge_location="FRA56-P2", status=503, start_s=60, end_s=180)
    pairs, _ = read(lines(faults=[fault]))
    inside = [v for v, _ in pairs if _in(v, fault)]
    assert inside and all(v["sc-status"] == 503 and v["x-edge-result-type"] == "Error" for v in inside)
    elsewhere = [v for v, _ in pairs if v["x-edge-location"] != "FRA56-P2"]
    assert sum(v["sc-status"] >= 500 for v in elsewhere) < 0.01 * len(elsewhere)


def test_an_edge_slow_to_first_byte_is_slow_only_there():
    fault = CdnFault("slow_first_byte", edge_location="IAD89-C3", first_byte_ms=2500, start_s=30, end_s=200)
    pairs, _ = read(lines(faults=[fault]))
    inside = [v for v, _ in pairs if _in(v, fault)]
    assert inside and min(v["time-to-first-byte"] for v in inside) >= 2.0
    others = [v["time-to-first-byte"] for v, _ in pairs if v["x-edge-location"] != "IAD89-C3"]
    assert statistics.median(others) < 0.1


def test_an_origin_failing_or_slow_hits_the_requests_that_reach_it():
    failing = CdnFault("origin_status", origin="/live/*", status=502)
    pairs, _ = read(lines(faults=[failing]))
    live = [v for v, _ in pairs if v["cache-behavior-path-pattern"] == "/live/*"]
    assert all(v["sc-status"] == 502 for v in live if v["origin-fbl"] is not None)
    assert all(v["sc-status"] < 500 for v in live if v["x-edge-result-type"] == "Hit")
    assert sum(v["sc-status"] == 502 for v in live) > 0.2 * len(live)
    slow = CdnFault("origin_slow", origin="/vod/*", first_byte_ms=1500)
    pairs, _ = read(lines(faults=[slow]))
    misses = [v for v, _ in pairs if v["cache-behavior-path-pattern"] == "/vod/*" and v["origin-fbl"] is not None]
    assert misses and min(v["origin-fbl"] for v in misses) >= 1.2
    assert all(v["time-to-first-byte"] >= v["origin-fbl"] for v in misses)


def test_sampling_keeps_that_share_of_the_same_lines(normal):
    sampled = lines(sampling_rate=10)
    assert set(sampled) <= set(normal)
    assert 0.07 * len(normal) < len(sampled) < 0.13 * len(normal)


def test_the_lines_follow_the_order_given():
    order = [*list(reversed(ORDER))[:20], "timestamp", "x-edge-request-id"]
    for _, line in lines(sessions=3, order=order):
        assert line.count("\t") == len(order) - 1
        assert parse_line(line, order).keys() == set(order)


@pytest.mark.parametrize(
    "options",
    [
        {"sampling_rate": 0},
        {"sampling_rate": 101},
        {"duration_s": 0},
        {"cmcd_mode": "carrier-pigeon"},
        {"cmcd_mode": {"query": 0}},
        {"faults": [CdnFault("status", edge_location="AMS1-c1")]},
        {"faults": [CdnFault("origin_status", origin="/live")]},
    ],
)
def test_bad_options_are_refused(options):
    with pytest.raises(ValueError):
        lines(**options)


@pytest.mark.parametrize(
    "fault",
    [
        {"kind": "meltdown"},
        {"kind": "status", "status": 99},
        {"kind": "status", "rate": 2},
        {"kind": "status", "start_s": 10, "end_s": 5},
    ],
)
def test_a_fault_that_cannot_happen_is_refused(fault):
    with pytest.raises(ValueError):
        CdnFault(**fault)
