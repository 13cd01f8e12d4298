"""The web SDK's delivery settings: one source (sluice_tools.sdk.delivery) for clients/web, the cost
model and the health simulation."""

from __future__ import annotations

from pathlib import Path

import pytest
from sluice_tools.sdk.delivery import DEFAULT, MONITOR_WINDOW_MS, policy, web_delivery_module

from sluice.monitor.evaluator import EvaluationSettings

ROOT = Path(__file__).resolve().parents[2]


def test_the_web_sdks_delivery_module_is_generated_from_the_settings():
    committed = (ROOT / "clients/web/src/delivery.generated.js").read_text()
    assert committed == web_delivery_module(), (
        "run: sluice schemas render web-delivery > clients/web/src/delivery.generated.js"
    )


def test_the_heartbeats_policy_holds_an_event_at_most_one_monitor_window():
    # the bound comes from the monitor's own window, not a second copy of 60
    assert EvaluationSettings().window_seconds * 1000 == MONITOR_WINDOW_MS
    held = policy("heartbeats")
    assert held.flush_interval_ms == 6 * DEFAULT.heartbeat_interval_ms == MONITOR_WINDOW_MS
    assert held.max_delay_ms <= MONITOR_WINDOW_MS
    for heartbeat in (3_000, 7_000, 25_000, 90_000):
        assert policy("heartbeats", heartbeat_interval_ms=heartbeat).max_delay_ms <= MONITOR_WINDOW_MS
    assert policy("heartbeats", heartbeat_interval_ms=25_000).flush_interval_ms == 50_000
    assert policy("heartbeats", monitor_window_ms=30_000).flush_interval_ms == 30_000
    assert policy("heartbeats", flush_interval_ms=600_000).flush_interval_ms == MONITOR_WINDOW_MS


def test_the_interval_policy_is_the_sdks_default():
    assert (DEFAULT.flush_interval_ms, DEFAULT.heartbeat_interval_ms, DEFAULT.max_batch) == (2_000, 10_000, 10)
    with pytest.raises(ValueError, match="no delivery policy 'hourly'"):
        policy("hourly")
