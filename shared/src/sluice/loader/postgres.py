"""The PostgreSQL path (local runs and tests): per object, in one transaction, claim the object in
the ledger, COPY its good lines from STDIN into a staging table, and merge them on event_id with
one INSERT .. ON CONFLICT DO NOTHING (the primary key decides; no staging copies, no ANALYZE).
psycopg2 is the driver: the one the Redshift dialect needs too, so the loader image carries one."""

from __future__ import annotations

import io
from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import insert

from sluice.artifacts.warehouse import FACT_TABLE, LEDGER_TABLE, warehouse_metadata
from sluice.loader.lines import ParsedObject, column_names
from sluice.loader.notifications import LakeObject
from sluice.warehouse import sql

# JSON lines cannot hold a raw newline or control character (JSON escapes them), so with these
# as CSV quote and delimiter each line arrives in its single column untouched.
_COPY_LINES = "COPY staging_lines (line) FROM STDIN WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"


@dataclass(frozen=True)
class LoadResult:
    object: LakeObject
    loaded: bool  # False: the ledger already had it
    rows: int


class PostgresLoad:
    def __init__(self, engine: Any, fact: str = FACT_TABLE, ledger: str = LEDGER_TABLE) -> None:
        self.engine = engine
        self.fact = fact
        _, _, self.ledger = warehouse_metadata(fact, ledger)
        self.columns = column_names()

    def load(self, obj: LakeObject, parsed: ParsedObject) -> LoadResult:
        with self.engine.begin() as connection:
            # The ledger row is the claim: a second loader of the same object waits on this row's
            # key until the first commits, then finds it and skips. All or nothing with the MERGE.
            claimed = connection.execute(
                insert(self.ledger)
                .values(
                    object_key=obj.key, etag=obj.etag or "", rows_loaded=len(parsed.rows), bad_lines=len(parsed.bad)
                )
                .on_conflict_do_nothing()
                .returning(self.ledger.c.object_key)
            ).first()
            if claimed is None:
                return LoadResult(obj, False, 0)
            # The object's good lines go in as they are (json: checked, not yet parsed) and
            # PostgreSQL maps their keys to the columns itself, far faster than row by row here.
            connection.exec_driver_sql("CREATE TEMPORARY TABLE staging_lines (line json) ON COMMIT DROP")
            cursor = connection.connection.driver_connection.cursor()
            cursor.copy_expert(_COPY_LINES, io.BytesIO(b"\n".join(parsed.lines)))
            merged = connection.exec_driver_sql(sql.insert_new_lines(self.fact, self.columns)).rowcount
        return LoadResult(obj, True, merged)
