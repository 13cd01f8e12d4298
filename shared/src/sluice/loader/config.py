"""Configuration of the loader stage (environment variables, listed in images/loader/README.md)."""

from __future__ import annotations

import os
from collections.abc import Mapping
from dataclasses import dataclass

from sluice.runtime.config import Env
from sluice.warehouse.connection import WarehouseConfig
from sluice.warehouse.tables import FACT_TABLE

__all__ = ["LoaderConfig"]


@dataclass(frozen=True)
class LoaderConfig:
    warehouse: WarehouseConfig
    failed_firehose: str
    fact_table: str = FACT_TABLE
    copy_iam_role_arn: str | None = None
    manifest_bucket: str | None = None
    manifest_prefix: str = "manifests/"
    db_attempts: int = 4

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> LoaderConfig:
        source = os.environ if environ is None else environ
        env = Env(source)
        return cls(
            warehouse=WarehouseConfig.from_env(source),
            failed_firehose=env.required("SLUICE_FAILED_FIREHOSE"),
            fact_table=env.text("SLUICE_FACT_TABLE", FACT_TABLE) or FACT_TABLE,
            copy_iam_role_arn=env.text("SLUICE_COPY_IAM_ROLE_ARN"),
            manifest_bucket=env.text("SLUICE_MANIFEST_BUCKET"),
            manifest_prefix=env.text("SLUICE_MANIFEST_PREFIX", "manifests/") or "manifests/",
            db_attempts=env.integer("SLUICE_DB_ATTEMPTS", 4, minimum=1, maximum=10),
        )
