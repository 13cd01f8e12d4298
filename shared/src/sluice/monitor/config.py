"""Configuration of the monitor's two handlers (environment variables, listed in
images/monitor/README.md): the per-shard aggregation and the fleet-wide evaluation."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sluice.monitor.aggregate import MAX_VALUES
from sluice.runtime.config import ConfigError, Env

__all__ = ["EvaluatorConfig", "MonitorConfig", "evaluation_settings"]

if TYPE_CHECKING:
    # The evaluation's settings: loaded by the evaluator's handler only (see evaluation_settings).
    from sluice.monitor.evaluator import EvaluationSettings


@dataclass(frozen=True)
class MonitorConfig:
    health_table: str
    failed_firehose: str
    opensearch_url: str | None = None
    health_index_prefix: str = "player-health"
    allowed_lateness_s: int = 120
    top_n: int = 20
    max_values: int = MAX_VALUES

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> MonitorConfig:
        env = Env(os.environ if environ is None else environ)
        return cls(
            health_table=env.required("SLUICE_HEALTH_TABLE"),
            failed_firehose=env.required("SLUICE_FAILED_FIREHOSE"),
            opensearch_url=env.text("SLUICE_OPENSEARCH_URL"),
            health_index_prefix=env.text("SLUICE_HEALTH_INDEX_PREFIX", "player-health") or "player-health",
            allowed_lateness_s=env.integer("SLUICE_ALLOWED_LATENESS_SECONDS", 120),
            top_n=env.integer("SLUICE_TOP_N", 20, minimum=1, maximum=200),
            max_values=env.integer("SLUICE_MAX_VALUES_PER_DIMENSION", MAX_VALUES, minimum=2, maximum=300),
        )


@dataclass(frozen=True)
class EvaluatorConfig:
    alert_topic_arn: str
    health_table: str
    settings: EvaluationSettings = field(default_factory=lambda: evaluation_settings(Env({})))

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> EvaluatorConfig:
        env = Env(os.environ if environ is None else environ)
        return cls(
            alert_topic_arn=env.required("SLUICE_ALERT_TOPIC_ARN"),
            health_table=env.required("SLUICE_HEALTH_TABLE"),
            settings=evaluation_settings(env),
        )


def evaluation_settings(env: Env) -> EvaluationSettings:
    """The evaluation's tuning, shared by the evaluator and ``sluice health simulate``."""
    from sluice.monitor.evaluator import EvaluationSettings
    from sluice.monitor.isolation import Settings

    def number(name: str, default: float, low: float, high: float) -> float:
        raw = env.text(name)
        try:
            value = float(raw) if raw else default
        except ValueError:
            raise ConfigError(f"{name}={raw!r} is not a number") from None
        if not low <= value <= high:
            raise ConfigError(f"{name}={value} is outside {low}..{high}")
        return value

    d, r = EvaluationSettings(), Settings()
    return EvaluationSettings(
        window_seconds=env.integer("SLUICE_HEALTH_WINDOW_SECONDS", d.window_seconds, minimum=1, maximum=900),
        delay_seconds=env.integer("SLUICE_EVALUATION_DELAY_SECONDS", d.delay_seconds, maximum=900),
        baseline_windows=env.integer("SLUICE_BASELINE_WINDOWS", d.baseline_windows, minimum=1, maximum=60),
        lookback_windows=env.integer("SLUICE_BASELINE_LOOKBACK_WINDOWS", d.lookback_windows, minimum=1, maximum=1440),
        recover_after=env.integer("SLUICE_RECOVER_AFTER_WINDOWS", d.recover_after, minimum=1, maximum=60),
        rules=Settings(
            alpha=number("SLUICE_ALERT_SIGNIFICANCE", r.alpha, 1e-12, 0.5),
            min_impacted=env.integer("SLUICE_MIN_IMPACTED_SESSIONS", r.min_impacted, minimum=1),
            min_lift=number("SLUICE_MIN_LIFT", r.min_lift, 1.0, 100.0),
        ),
    )
