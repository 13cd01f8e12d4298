"""The Redshift path: for a batch of lake objects, one transaction: skip the objects the ledger
has, COPY the rest through a manifest into a staging table, MERGE on event_id, record them in the
ledger. Bad lines are left by COPY (MAXERROR) and read back from STL_LOAD_ERRORS."""

from __future__ import annotations

import json
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import and_, column, or_, select, table

from sluice.artifacts.warehouse import FACT_TABLE, LEDGER_TABLE, warehouse_metadata
from sluice.loader.lines import column_names
from sluice.loader.notifications import LakeObject
from sluice.warehouse import sql


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
        engine: Any,
        s3: Any,
        *,
        iam_role_arn: str,
        manifest_bucket: str,
        manifest_prefix: str = "manifests/",
        fact: str = FACT_TABLE,
        ledger: str = LEDGER_TABLE,
    ) -> None:
        self.engine = engine
        self.s3 = s3
        self.iam_role_arn = iam_role_arn
        self.manifest_bucket = manifest_bucket
        self.manifest_prefix = manifest_prefix
        self.fact = fact
        _, _, self.ledger = warehouse_metadata(fact, ledger)
        self.columns = column_names()

    def statements(self, manifest_url: str, *, gzip: bool) -> list[str]:
        """The load, statement by statement, as it runs inside the transaction."""
        staging = table("staging", *[column(c) for c in self.columns])
        return [
            *sql.drop_staging("staging", "staging_unique"),
            sql.create_staging(self.fact),
            sql.redshift_copy(staging, manifest_url, self.iam_role_arn, gzip=gzip, dialect=self.engine.dialect),
            sql.create_unique_staging(self.columns),
            sql.analyze(),
            sql.merge(self.fact, self.columns),
            *sql.drop_staging("staging", "staging_unique"),
        ]

    def load(self, objects: Sequence[LakeObject], *, gzip: bool) -> RedshiftBatch:
        batch = RedshiftBatch()
        with self.engine.begin() as connection:
            keys = or_(
                *[and_(self.ledger.c.object_key == o.key, self.ledger.c.etag == (o.etag or "")) for o in objects]
            )
            done = {
                (r.object_key, r.etag)
                for r in connection.execute(select(self.ledger.c.object_key, self.ledger.c.etag).where(keys))
            }
            todo = [o for o in objects if (o.key, o.etag or "") not in done]
            batch.skipped = [o for o in objects if (o.key, o.etag or "") in done]
            if not todo:
                return batch
            key = f"{self.manifest_prefix}{uuid.uuid4()}.manifest"
            self.s3.put_object(Bucket=self.manifest_bucket, Key=key, Body=json.dumps(manifest(todo)).encode())
            for statement in self.statements(f"s3://{self.manifest_bucket}/{key}", gzip=gzip):
                result = connection.exec_driver_sql(statement)
                if statement.startswith("MERGE"):
                    batch.rows = result.rowcount
                if "COPY" in statement[:10]:
                    batch.load_errors = [dict(r._mapping) for r in connection.exec_driver_sql(sql.LOAD_ERRORS)]
            errors_by_file: dict[str, int] = {}
            for error in batch.load_errors:
                errors_by_file[error["filename"]] = errors_by_file.get(error["filename"], 0) + 1
            connection.execute(
                self.ledger.insert(),
                [
                    {
                        "object_key": o.key,
                        "etag": o.etag or "",
                        "rows_loaded": 0,
                        "bad_lines": errors_by_file.get(o.url, 0),
                    }
                    for o in todo
                ],
            )
            batch.loaded = todo
        return batch
