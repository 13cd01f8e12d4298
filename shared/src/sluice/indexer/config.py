"""Configuration of the indexer stage (environment variables, listed in images/indexer/README.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sluice.runtime.config import Env
from sluice.sinks.opensearch.bulk import DEFAULT_MAX_BULK_BYTES, DEFAULT_MAX_BULK_DOCS

__all__ = ["IndexerConfig"]


@dataclass(frozen=True)
class IndexerConfig:
    failed_firehose: str
    index_prefix: str = "sluice-events"
    max_bulk_bytes: int = DEFAULT_MAX_BULK_BYTES
    max_bulk_docs: int = DEFAULT_MAX_BULK_DOCS

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> IndexerConfig:
        env = Env(os.environ if environ is None else environ)
        return cls(
            failed_firehose=env.required("SLUICE_FAILED_FIREHOSE"),
            index_prefix=env.text("SLUICE_INDEX_PREFIX", "sluice-events") or "sluice-events",
            # 10 MiB is the HTTP payload cap of most managed clusters; stay under it.
            max_bulk_bytes=env.integer(
                "SLUICE_BULK_MAX_BYTES", DEFAULT_MAX_BULK_BYTES, minimum=64 * 1024, maximum=10 * 1024 * 1024 - 64 * 1024
            ),
            max_bulk_docs=env.integer("SLUICE_BULK_MAX_DOCS", DEFAULT_MAX_BULK_DOCS, minimum=1),
        )
