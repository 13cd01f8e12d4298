"""The PostgreSQL path (local runs and tests): per object, in one transaction, claim the object in
the ledger, COPY its good rows from STDIN into a staging table, and MERGE them on event_id."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.dialects.postgresql import insert

from sluice.artifacts.warehouse import FACT_TABLE, LEDGER_TABLE, warehouse_metadata
from sluice.loader.lines import ParsedObject, column_names
from sluice.loader.notifications import LakeObject
from sluice.warehouse import sql


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
            for statement in sql.drop_staging("staging", "staging_unique"):
                connection.exec_driver_sql(statement)
            connection.exec_driver_sql(sql.create_staging(self.fact))
            names = ", ".join(sql.quoted(c) for c in self.columns)
            cursor = connection.connection.driver_connection.cursor()
            with cursor.copy(f"COPY staging ({names}) FROM STDIN") as copy:
                for row in parsed.rows:
                    copy.write_row(row)
            connection.exec_driver_sql(sql.create_unique_staging(self.columns))
            merged = connection.exec_driver_sql(sql.merge(self.fact, self.columns)).rowcount
            for statement in sql.drop_staging("staging", "staging_unique"):
                connection.exec_driver_sql(statement)
        return LoadResult(obj, True, merged)
