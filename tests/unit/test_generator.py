"""The traffic generator: realistic, reproducible, and every bad kind has its own typed error."""

from __future__ import annotations

import json
from collections import Counter

import pytest
from sluice_tools.traffic.bad_events import BadKind
from sluice_tools.traffic.generator import Incident, Problems, TrafficConfig, generate
from support.factories import NOW_MS

from sluice.events.codec import Codec
from sluice.events.errors import (
    MalformedJsonError,
    OversizedEventError,
    SchemaViolationError,
)
from sluice.events.intake import EventIntake
from sluice.events.json_mapping import READER_EVENT_TYPES
from sluice.events.validation import check_client_time, check_payload
from sluice.runtime.errors import PoisonRecordError

EXPECTED = {
    BadKind.MALFORMED_JSON: (MalformedJsonError, None),
    BadKind.WRONG_TYPE: (SchemaViolationError, "wrong_type"),
    BadKind.UNKNOWN_EVENT_TYPE: (SchemaViolationError, "unknown_event_type"),
    BadKind.MISSING_FIELD: (SchemaViolationError, "missing"),
    BadKind.OVERSIZED: (OversizedEventError, None),
}


def _accept(body: str, now_ms: int) -> dict:
    record = EventIntake.default().from_bytes(body.encode(), server_time=now_ms)
    check_payload(record)
    check_client_time(record, now_ms)
    return record


def test_same_seed_same_output_and_different_seed_differs():
    config = TrafficConfig(sessions=20, seed=11, bad_rate=0.1)
    first = [e.body for e in generate(config)]
    assert first == [e.body for e in generate(config)]
    assert first != [e.body for e in generate(TrafficConfig(sessions=20, seed=12, bad_rate=0.1))]


def test_sessions_look_like_real_viewing():
    events = [json.loads(e.body) for e in generate(TrafficConfig(sessions=300, seed=5))]
    types = Counter(e["event_type"] for e in events)
    # every event type of the contract but the readers' (CMCD reports, CDN requests): a client's own
    assert set(types) == set(Codec().writer.schema["fields"][1]["type"]["symbols"]) - set(READER_EVENT_TYPES)
    assert types["heartbeat"] > types["session_start"] * 3
    assert types["session_start"] == types["session_end"] == 300
    assert len({e["cdn"]["name"] for e in events}) == 3
    assert len({e["device"]["type"] for e in events}) >= 4
    by_session: dict[str, list[int]] = {}
    for e in events:
        by_session.setdefault(e["session_id"], []).append(e["sequence"])
    assert all(seqs == list(range(len(seqs))) for seqs in by_session.values())


def test_every_good_event_is_accepted_and_round_trips():
    codec = Codec()
    for event in generate(TrafficConfig(sessions=100, seed=9, start_ms=NOW_MS - 600_000)):
        record = _accept(event.body, NOW_MS)
        assert codec.decode(codec.encode(record)) == record


def test_every_bad_kind_yields_its_own_typed_error():
    seen: dict[BadKind, int] = Counter()
    for event in generate(TrafficConfig(sessions=150, seed=3, bad_rate=0.2, start_ms=NOW_MS - 600_000)):
        if event.bad is None:
            continue
        error_class, code = EXPECTED[event.bad]
        with pytest.raises(PoisonRecordError) as caught:
            _accept(event.body, NOW_MS)
        assert type(caught.value) is error_class, (event.bad, caught.value)
        if code is not None:
            assert code in caught.value.codes
        seen[event.bad] += 1
    assert set(seen) == set(BadKind)


def test_an_incident_raises_problems_only_where_and_when_it_applies():
    start = NOW_MS
    outage = Incident("cdn", "fastly", start_ms=start + 120_000, problems=Problems(start_failure_rate=0.9))
    config = TrafficConfig(sessions=600, seed=4, start_ms=start, spread_ms=240_000, incidents=(outage,))
    failures: Counter[tuple[str, bool]] = Counter()
    starts: Counter[tuple[str, bool]] = Counter()
    for event in generate(config):
        body = json.loads(event.body)
        key = (body["cdn"]["name"], event.session.start_ms >= outage.start_ms)
        if body["event_type"] == "session_start":
            starts[key] += 1
        if body["event_type"] == "error" and body["payload"]["fatal"] and body["payload"]["playhead_ms"] is None:
            failures[key] += 1
    assert failures[("fastly", True)] / starts[("fastly", True)] > 0.7
    assert failures[("akamai", True)] / starts[("akamai", True)] < 0.1
    assert failures[("fastly", False)] / starts[("fastly", False)] < 0.1
