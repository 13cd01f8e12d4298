"""The Redshift path: for a batch of lake objects, one transaction: skip the objects the ledger
has, COPY the rest through a manifest into a staging table, MERGE on event_id, record them in the
ledger. Bad lines are left by COPY (MAXERROR), read back from STL_LOAD_ERRORS and reported (as
failed events) before the commit."""

from __future__ import annotations

import json
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sluice.loader.lines import column_names
from sluice.loader.notifications import LakeObject
from sluice.warehouse import sql
from sluice.warehouse.connection import Warehouse
from sluice.warehouse.tables import FACT_TABLE, LEDGER_TABLE

__all__ = ["RedshiftBatch", "RedshiftLoad", "manifest"]


@dataclass
class RedshiftBatch:
    loaded: list[LakeObject] = field(default_factory=list)
    skipped: list[LakeObject] = field(default_factory=list)
    rows: int = 0
    load_errors: list[dict[str, Any]] = field(default_factory=list)


def manifest(objects: Sequence[LakeObject]) -> dict[str, Any]:
    # mandatory: a missing object fails the COPY instead of loading a silent subset.
    return {"entries": [{"url": o.url, "mandatory": True} for o in objects]}


class RedshiftLoad:
    def __init__(
        self,
        warehouse: Warehouse,
        s3: Any,
        *,
        iam_role_arn: str,
        manifest_bucket: str,
        manifest_prefix: str = "manifests/",
        fact: str = FACT_TABLE,
        ledger: str = LEDGER_TABLE,
    ) -> None:
        self.warehouse = warehouse
        self.s3 = s3
        self.iam_role_arn = iam_role_arn
        self.manifest_bucket = manifest_bucket
        self.manifest_prefix = manifest_prefix
        self.fact = fact
        self.ledger = ledger
        self.columns = column_names()

    def statements(self, manifest_url: str, *, gzip: bool) -> list[str]:
        """The load, statement by statement, as it runs inside the transaction."""
        return [
            *sql.drop_staging("staging", "staging_unique"),
            sql.create_staging(self.fact),
            sql.redshift_copy("staging", self.columns, manifest_url, self.iam_role_arn, gzip=gzip),
            sql.create_unique_staging(self.columns),
            sql.analyze(),
            sql.merge(self.fact, self.columns),
            *sql.drop_staging("staging", "staging_unique"),
        ]

    def load(
        self, objects: Sequence[LakeObject], *, gzip: bool, report: Callable[[list[dict[str, Any]]], None]
    ) -> RedshiftBatch:
        """``report`` gets the refused lines inside the transaction, before it commits: a batch
        that commits has reported them, and a redrive of a loaded batch reports nothing again."""
        batch = RedshiftBatch()
        with self.warehouse.transaction() as cursor:
            cursor.execute(
                sql.loaded_objects(self.ledger, len(objects)),
                [value for o in objects for value in (o.key, o.etag or "")],
            )
            done = {(key, etag) for key, etag in cursor.fetchall()}
            todo = [o for o in objects if (o.key, o.etag or "") not in done]
            batch.skipped = [o for o in objects if (o.key, o.etag or "") in done]
            if not todo:
                return batch
            key = f"{self.manifest_prefix}{uuid.uuid4()}.manifest"
            self.s3.put_object(Bucket=self.manifest_bucket, Key=key, Body=json.dumps(manifest(todo)).encode())
            for statement in self.statements(f"s3://{self.manifest_bucket}/{key}", gzip=gzip):
                cursor.execute(statement)
                if statement.startswith("MERGE"):
                    batch.rows = cursor.rowcount
                if statement.startswith("COPY"):
                    cursor.execute(sql.LOAD_ERRORS)
                    names = [d[0] for d in cursor.description]
                    batch.load_errors = [dict(zip(names, row, strict=True)) for row in cursor.fetchall()]
            errors_by_file: dict[str, int] = {}
            for error in batch.load_errors:
                errors_by_file[error["filename"]] = errors_by_file.get(error["filename"], 0) + 1
            report(batch.load_errors)
            cursor.executemany(
                sql.record_objects(self.ledger),
                [(o.key, o.etag or "", 0, errors_by_file.get(o.url, 0)) for o in todo],
            )
            batch.loaded = todo
        return batch
