"""Configuration of the ingest stage (environment variables, listed in images/ingest/README.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sluice.events.validation import DEFAULT_MAX_EVENT_BYTES
from sluice.runtime.config import Env

__all__ = ["DEFAULT_MAX_BODY_BYTES", "DEFAULT_MAX_EVENTS", "IngestConfig"]

# API Gateway accepts up to 10 MB, but a synchronous Lambda invocation at most 6 MB, and a
# player rarely needs more than a few hundred kilobytes per flush.
DEFAULT_MAX_BODY_BYTES = 1024 * 1024
DEFAULT_MAX_EVENTS = 500


@dataclass(frozen=True)
class IngestConfig:
    raw_stream: str
    max_body_bytes: int = DEFAULT_MAX_BODY_BYTES
    max_events_per_request: int = DEFAULT_MAX_EVENTS
    max_event_bytes: int = DEFAULT_MAX_EVENT_BYTES
    aggregate: str = "none"  # or "kpl"
    # Origins allowed to read the answers ("*" for any); the deployed HTTP API answers CORS itself.
    cors_allow_origins: tuple[str, ...] = ("*",)
    retry_after_s: int = 5
    # Secrets Manager secret of per-site write keys (sluice.ingest.auth); None: no key asked.
    write_keys_secret_arn: str | None = None
    write_keys_ttl_s: int = 60
    # Secrets Manager secret CloudFront's origin header must match; None: no CDN in front.
    origin_verify_secret_arn: str | None = None

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IngestConfig:
        env = Env(os.environ if environ is None else environ)
        return cls(
            raw_stream=env.required("SLUICE_RAW_STREAM"),
            max_body_bytes=env.integer(
                "SLUICE_MAX_BODY_BYTES", DEFAULT_MAX_BODY_BYTES, minimum=1024, maximum=6 * 1024 * 1024
            ),
            max_events_per_request=env.integer("SLUICE_MAX_EVENTS_PER_REQUEST", DEFAULT_MAX_EVENTS, minimum=1),
            max_event_bytes=env.integer(
                "SLUICE_MAX_EVENT_BYTES", DEFAULT_MAX_EVENT_BYTES, minimum=256, maximum=1024 * 1024
            ),
            aggregate=env.choice("SLUICE_AGGREGATE", ("none", "kpl"), "none"),
            cors_allow_origins=env.names("SLUICE_CORS_ALLOW_ORIGINS", ("*",)),
            retry_after_s=env.integer("SLUICE_RETRY_AFTER_SECONDS", 5, minimum=1),
            write_keys_secret_arn=env.text("SLUICE_WRITE_KEYS_SECRET_ARN"),
            write_keys_ttl_s=env.integer("SLUICE_WRITE_KEYS_TTL_SECONDS", 60, minimum=0, maximum=3600),
            origin_verify_secret_arn=env.text("SLUICE_ORIGIN_VERIFY_SECRET_ARN"),
        )
