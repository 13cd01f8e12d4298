"""Configuration of the monitor stage (environment variables, listed in images/monitor/README.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sluice.runtime.config import Env


@dataclass(frozen=True)
class Thresholds:
    start_failure_rate: float = 0.10
    min_attempts: int = 20
    rebuffer_jump_factor: float = 2.0
    rebuffer_min_increase: float = 0.02  # absolute: 2 points of playing time, above window-to-window noise
    rebuffer_min_watch_minutes: float = 10.0
    baseline_windows: int = 5
    fatal_share: float = 0.6
    min_fatal_errors: int = 10
    cooldown_minutes: int = 30


@dataclass(frozen=True)
class MonitorConfig:
    alert_topic_arn: str
    health_table: str
    failed_firehose: str
    opensearch_url: str | None = None
    health_index_prefix: str = "player-health"
    allowed_lateness_s: int = 120
    top_n: int = 20
    max_values: int = 50
    thresholds: Thresholds = Thresholds()

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MonitorConfig:
        env = Env(os.environ if environ is None else environ)

        def number(name: str, default: float) -> float:
            raw = env.text(name)
            try:
                return float(raw) if raw else default
            except ValueError:
                from sluice.runtime.config import ConfigError

                raise ConfigError(f"{name}={raw!r} is not a number") from None

        defaults = Thresholds()
        return cls(
            alert_topic_arn=env.required("SLUICE_ALERT_TOPIC_ARN"),
            health_table=env.required("SLUICE_HEALTH_TABLE"),
            failed_firehose=env.required("SLUICE_FAILED_FIREHOSE"),
            opensearch_url=env.text("SLUICE_OPENSEARCH_URL"),
            health_index_prefix=env.text("SLUICE_HEALTH_INDEX_PREFIX", "player-health") or "player-health",
            allowed_lateness_s=env.integer("SLUICE_ALLOWED_LATENESS_SECONDS", 120),
            top_n=env.integer("SLUICE_TOP_N", 20, minimum=1, maximum=200),
            max_values=env.integer("SLUICE_MAX_VALUES_PER_DIMENSION", 50, minimum=2, maximum=500),
            thresholds=Thresholds(
                start_failure_rate=number("SLUICE_START_FAILURE_THRESHOLD", defaults.start_failure_rate),
                min_attempts=env.integer("SLUICE_MIN_ATTEMPTS", defaults.min_attempts, minimum=1),
                rebuffer_jump_factor=number("SLUICE_REBUFFER_JUMP_FACTOR", defaults.rebuffer_jump_factor),
                rebuffer_min_increase=number("SLUICE_REBUFFER_MIN_INCREASE", defaults.rebuffer_min_increase),
                rebuffer_min_watch_minutes=number(
                    "SLUICE_REBUFFER_MIN_WATCH_MINUTES", defaults.rebuffer_min_watch_minutes
                ),
                baseline_windows=env.integer(
                    "SLUICE_BASELINE_WINDOWS", defaults.baseline_windows, minimum=1, maximum=60
                ),
                fatal_share=number("SLUICE_FATAL_SHARE_THRESHOLD", defaults.fatal_share),
                min_fatal_errors=env.integer("SLUICE_MIN_FATAL_ERRORS", defaults.min_fatal_errors, minimum=1),
                cooldown_minutes=env.integer("SLUICE_ALERT_COOLDOWN_MINUTES", defaults.cooldown_minutes),
            ),
        )
