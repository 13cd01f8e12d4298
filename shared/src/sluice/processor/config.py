"""Configuration of the processor stage (environment variables, listed in images/processor/README.md)."""

from __future__ import annotations

import os
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluice.cdn.config import FULL_SAMPLING_RATE, missing_fields
from sluice.cdn.fields import field_names
from sluice.events.validation import DEFAULT_MAX_FUTURE_SKEW_MS, DEFAULT_MAX_LATENESS_MS
from sluice.runtime.config import ConfigError, Env

__all__ = ["DEFAULT_BOT_PATTERN", "DEFAULT_LAKE_RECORD_BYTES", "ProcessorConfig"]

# Crawlers, monitoring probes and headless browsers: not viewers. Matching events are flagged
# (enrichment.traffic_class "bot"), never dropped; "none" turns the pattern off, while the
# user-agent parser's own bot class (Spider) flags whatever the pattern.
DEFAULT_BOT_PATTERN = r"bot|crawl|spider|slurp|headless|phantomjs|pingdom|uptime|lighthouse"
# Firehose bills each record in 5 KB steps; packing many events per record avoids paying the
# rounding per event. Firehose takes records up to 1,000 KiB.
DEFAULT_LAKE_RECORD_BYTES = 256 * 1024


@dataclass(frozen=True)
class ProcessorConfig:
    lake_firehose: str
    clean_stream: str
    failed_firehose: str
    max_future_skew_ms: int = DEFAULT_MAX_FUTURE_SKEW_MS
    max_lateness_ms: int = DEFAULT_MAX_LATENESS_MS
    bot_pattern: re.Pattern[str] | None = re.compile(DEFAULT_BOT_PATTERN, re.IGNORECASE)
    test_players: frozenset[str] = frozenset()
    lake_event_types: frozenset[str] | None = None  # None: every type
    clean_event_types: frozenset[str] | None = None
    lake_record_bytes: int = DEFAULT_LAKE_RECORD_BYTES
    # The clean stream's records KPL-aggregated per shard (sluice.batch.aggregating_producer).
    clean_aggregate: bool = True
    # The second input, CloudFront real-time logs (sluice.processor.cdn_input): the stream, and
    # either the configuration to read the field order from or the order itself (the local
    # stand-in's, which has no real-time log API) with its sampling rate.
    cdn_log_stream: str | None = None
    cdn_log_config: str | None = None
    cdn_log_fields: tuple[str, ...] | None = None
    cdn_sampling_rate: int = FULL_SAMPLING_RATE

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ProcessorConfig:
        env = Env(os.environ if environ is None else environ)
        pattern = env.text("SLUICE_BOT_PATTERN", DEFAULT_BOT_PATTERN)
        try:
            bot_pattern = None if pattern == "none" else re.compile(pattern or DEFAULT_BOT_PATTERN, re.IGNORECASE)
        except re.error as exc:
            raise ConfigError(f"SLUICE_BOT_PATTERN is not a valid regular expression: {exc}") from None
        return cls(
            lake_firehose=env.required("SLUICE_LAKE_FIREHOSE"),
            clean_stream=env.required("SLUICE_CLEAN_STREAM"),
            failed_firehose=env.required("SLUICE_FAILED_FIREHOSE"),
            max_future_skew_ms=env.integer("SLUICE_MAX_FUTURE_SKEW_SECONDS", DEFAULT_MAX_FUTURE_SKEW_MS // 1000) * 1000,
            max_lateness_ms=env.integer("SLUICE_MAX_LATENESS_HOURS", DEFAULT_MAX_LATENESS_MS // 3_600_000, minimum=1)
            * 3_600_000,
            bot_pattern=bot_pattern,
            test_players=frozenset(p.lower() for p in env.names("SLUICE_TEST_PLAYERS")),
            lake_event_types=_types(env.names("SLUICE_LAKE_EVENT_TYPES")),
            clean_event_types=_types(env.names("SLUICE_CLEAN_EVENT_TYPES")),
            lake_record_bytes=env.integer(
                "SLUICE_LAKE_RECORD_BYTES", DEFAULT_LAKE_RECORD_BYTES, minimum=1024, maximum=1000 * 1024
            ),
            clean_aggregate=env.choice("SLUICE_CLEAN_AGGREGATE", ("kpl", "none"), "kpl") == "kpl",
            **_cdn_input(env),
        )


def _cdn_input(env: Env) -> dict[str, Any]:
    stream = env.text("SLUICE_CDN_LOG_STREAM")
    config = env.text("SLUICE_CDN_REALTIME_LOG_CONFIG")
    fields = env.names("SLUICE_CDN_LOG_FIELDS") or None
    rate = env.integer("SLUICE_CDN_SAMPLING_RATE", FULL_SAMPLING_RATE, minimum=1, maximum=100)
    if not stream:
        return {}
    if fields is None and not config:
        raise ConfigError(
            "SLUICE_CDN_LOG_STREAM needs SLUICE_CDN_REALTIME_LOG_CONFIG (the configuration whose field "
            "order its lines carry) or SLUICE_CDN_LOG_FIELDS (the order itself)"
        )
    if fields is not None:
        unknown = sorted(set(fields) - set(field_names()))
        if unknown:
            raise ConfigError(f"SLUICE_CDN_LOG_FIELDS names no real-time log field: {', '.join(unknown)}")
        missing = missing_fields(fields)
        if missing:
            raise ConfigError(f"SLUICE_CDN_LOG_FIELDS lacks {', '.join(missing)}: no line could become an event")
    return {"cdn_log_stream": stream, "cdn_log_config": config, "cdn_log_fields": fields, "cdn_sampling_rate": rate}


def _types(names: tuple[str, ...]) -> frozenset[str] | None:
    return None if not names or names == ("*",) else frozenset(names)
