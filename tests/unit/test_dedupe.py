"""The monitor's exactly-once check within a window: what it guarantees and where it stops."""

from __future__ import annotations

import json

from sluice.monitor import dedupe
from sluice.monitor.dedupe import EventIds


def test_an_id_is_counted_the_first_time_only_and_survives_the_window_state():
    ids = EventIds()
    assert ids.first_time("a") and not ids.first_time("a") and ids.first_time("b")
    restored = EventIds.from_state(json.loads(json.dumps(ids.to_state())))
    assert not restored.first_time("a") and not restored.first_time("b") and restored.first_time("c")


def test_past_the_cap_events_are_counted_unchecked_and_reported(monkeypatch):
    monkeypatch.setattr(dedupe, "MAX_IDS", 3)
    ids = EventIds()
    assert all(ids.first_time(name) for name in "abc")
    assert ids.first_time("d") and ids.first_time("d")  # past the cap: no check, both counted
    assert ids.unchecked == 2 and len(ids) == 3
    assert not ids.first_time("a")  # the ids kept are still checked


def test_a_full_window_of_ids_fits_lambdas_window_state():
    ids = EventIds()
    for index in range(dedupe.MAX_IDS):
        ids.first_time(f"00000000-0000-4000-8000-{index:012d}")
    assert len(ids) == dedupe.MAX_IDS  # no two of 50,000 ids share a digest
    assert len(json.dumps(ids.to_state())) < 450_000
