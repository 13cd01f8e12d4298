"""The QoE metrics, computed from summed counters (see images/monitor/README.md for the
definitions). Ratios are computed only after counters from every shard are added together."""

from __future__ import annotations

from typing import Any

from sluice.monitor.aggregate import Aggregate

__all__ = ["metrics", "sampling_rate", "scale"]


def _ratio(numerator: float, denominator: float) -> float | None:
    return numerator / denominator if denominator else None


def sampling_rate(aggregate: Aggregate) -> float | None:
    """The share (1-100) of the CDN's requests its real-time logs carried: each request's rate,
    averaged (one configuration has one rate); None without a CDN request."""
    return _ratio(aggregate.counts["sampling_rate_total"], aggregate.counts["media_requests"])


def scale(aggregate: Aggregate) -> float:
    """What a count of sampled requests is multiplied by to stand for every request: 100 / rate."""
    rate = sampling_rate(aggregate)
    return 100 / rate if rate else 1.0


def metrics(aggregate: Aggregate) -> dict[str, Any]:
    c = aggregate.counts
    requests = scale(aggregate)
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
        # From the CDN's requests (monitor/requests.py): counts of requests scaled to every request
        # when the logs are sampled, rates as sampled; sessions are those seen in the requests.
        "media_requests": round(c["media_requests"] * requests),
        "media_request_errors": round(c["media_request_errors"] * requests),
        "media_request_error_rate": _ratio(c["media_request_errors"], c["media_requests"]),
        "sessions_seen_in_requests": c["request_sessions"],
        "sessions_first_requests_failed": c["request_sessions_first_failed"],
        "sessions_first_requests_failed_rate": _ratio(c["request_sessions_first_failed"], c["request_sessions"]),
        "request_stalls": round(c["request_stalls"] * requests),
        "average_requested_bitrate_kbps": _ratio(c["requested_bitrate_kbps_total"], c["requested_bitrate_requests"]),
        "requested_bitrate_switches": c["requested_bitrate_switches"],
        "average_measured_throughput_kbps": _ratio(
            c["measured_throughput_kbps_total"], c["measured_throughput_requests"]
        ),
        "time_to_first_byte_p95_ms": aggregate.first_byte.quantile(0.95),
        "origin_first_byte_p95_ms": aggregate.origin_first_byte.quantile(0.95),
        "cdn_sampling_rate": sampling_rate(aggregate),
    }
