"""The monitor's per-dimension values under a bounded window state: Space-Saving keeps every
value with more than 1/k of a shard's events, so a failing content id cannot vanish into other."""

from __future__ import annotations

import uuid

from support.factories import clean_record

from sluice.monitor.aggregate import OTHER, WindowAggregates


def _start(content: str) -> dict:
    record = clean_record("session_start", payload={"autoplay": False, "page_url": None, "referrer": None})
    record["content"]["id"] = content
    record["session_id"] = str(uuid.uuid4())  # each start its own session: a session attempts once
    return record


def test_a_heavy_value_arriving_after_the_slots_are_full_keeps_a_slot_with_a_bounded_miss():
    k = 20
    window = WindowAggregates(max_values=k)
    # GIVEN a long tail of 300 content ids seen once each, filling and churning every slot
    for index in range(300):
        window.add_event(_start(f"tail-{index}"))
    # WHEN one content id then takes a tenth of the window's events
    for _ in range(40):
        window.add_event(_start("failing-content"))
    total = 340
    content = window.by_dimension["content"]
    # THEN it holds a slot, and what it misses is at most N/k (the Space-Saving bound)
    assert "failing-content" in content
    missed = window.missed["content"].get("failing-content", 0)
    assert content["failing-content"].counts["attempts"] + missed >= 40
    assert missed <= total / k
    # AND the tracked values plus other add up to the exact total; at most k values are tracked
    assert sum(a.counts["attempts"] for a in content.values()) == total
    assert len([v for v in content if v != OTHER]) <= k


def test_a_value_tracked_from_its_first_event_is_exact_and_the_state_round_trips():
    window = WindowAggregates(max_values=3)
    for content in ["a", "a", "b", "c", "a", "d", "a"]:
        window.add_event(_start(content))
    restored = WindowAggregates.from_state(window.to_state(), max_values=3)
    assert restored.by_dimension["content"]["a"].counts["attempts"] == 4  # never lost its slot
    assert "a" not in restored.missed.get("content", {})
    assert restored.missed == window.missed
    assert sum(a.counts["attempts"] for a in restored.by_dimension["content"].values()) == 7


def test_combining_shards_keeps_every_value_each_shard_kept():
    first, second = WindowAggregates(max_values=2), WindowAggregates(max_values=2)
    for content in ["a", "b"]:
        first.add_event(_start(content))
    for content in ["c", "d"]:
        second.add_event(_start(content))
    first.merge(second)
    assert set(first.by_dimension["content"]) == {"a", "b", "c", "d"}
