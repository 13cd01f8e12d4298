"""The QoE metrics, computed from summed counters (see images/monitor/README.md for the
definitions). Ratios are computed only after counters from every shard are added together."""

from __future__ import annotations

from typing import Any

from sluice.monitor.aggregate import Aggregate

__all__ = ["metrics"]


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def metrics(aggregate: Aggregate) -> dict[str, Any]:
    c = aggregate.counts
    played = c["watch_ms"] + c["rebuffer_ms"]
    ad_tries = c["ad_starts"] + c["ad_errors"]
    return {
        "attempts": c["attempts"],
        "video_start_failures": c["video_start_failures"],
        "video_start_failure_rate": _ratio(c["video_start_failures"], c["attempts"]),
        "exits_before_video_start": c["exits_before_video_start"],
        "exit_before_video_start_rate": _ratio(c["exits_before_video_start"], c["attempts"]),
        "video_starts": c["video_starts"],
        "startup_time_p50_ms": aggregate.startup.quantile(0.50),
        "startup_time_p95_ms": aggregate.startup.quantile(0.95),
        "rebuffer_ratio": _ratio(c["rebuffer_ms"], played),
        "rebuffer_frequency_per_min": _ratio(c["stalls"], c["watch_ms"] / 60_000),
        "average_bitrate_kbps": _ratio(c["bitrate_kbps_ms"], c["watch_ms"]),
        "bitrate_switches": c["bitrate_switches"],
        "fatal_errors": c["fatal_errors"],
        "fatal_error_share": _ratio(c["fatal_errors"], c["attempts"]),
        "ad_start_failures": c["ad_errors"],
        "ad_start_failure_rate": _ratio(c["ad_errors"], ad_tries),
        "ad_completion_rate": _ratio(c["ad_completes"], c["ad_starts"]),
        "watch_ms": c["watch_ms"],
        "events": c["events"],
    }
