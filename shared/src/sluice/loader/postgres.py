"""The PostgreSQL path (local runs and tests): per object, in one transaction, claim the object in
the ledger, COPY its good lines from STDIN into a staging table, and merge them on event_id with
one INSERT .. ON CONFLICT DO NOTHING (the primary key decides; no staging copies, no ANALYZE).
Through psycopg2, the one driver the loader image carries for PostgreSQL and Redshift alike."""

from __future__ import annotations

import io
from dataclasses import dataclass

from sluice.loader.lines import ParsedObject, column_names
from sluice.loader.notifications import LakeObject
from sluice.warehouse import sql
from sluice.warehouse.connection import Warehouse
from sluice.warehouse.tables import FACT_TABLE, LEDGER_TABLE

# JSON lines cannot hold a raw newline or control character (JSON escapes them), so with these
# as CSV quote and delimiter each line arrives in its single column untouched.
_COPY_LINES = "COPY staging_lines (line) FROM STDIN WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"


@dataclass(frozen=True)
class LoadResult:
    object: LakeObject
    loaded: bool  # False: the ledger already had it
    rows: int


class PostgresLoad:
    def __init__(self, warehouse: Warehouse, fact: str = FACT_TABLE, ledger: str = LEDGER_TABLE) -> None:
        self.warehouse = warehouse
        self.fact = fact
        self.claim = sql.claim_object(ledger)
        self.merge = sql.insert_new_lines(fact, column_names())

    def load(self, obj: LakeObject, parsed: ParsedObject) -> LoadResult:
        with self.warehouse.transaction() as cursor:
            # The ledger row is the claim: a second loader of the same object waits on this row's
            # key until the first commits, then finds it and skips. All or nothing with the merge.
            cursor.execute(self.claim, (obj.key, obj.etag or "", len(parsed.rows), len(parsed.bad)))
            if cursor.fetchone() is None:
                return LoadResult(obj, False, 0)
            # The object's good lines go in as they are (json: checked, not yet parsed) and
            # PostgreSQL maps their keys to the columns itself, far faster than row by row here.
            cursor.execute("CREATE TEMPORARY TABLE staging_lines (line json) ON COMMIT DROP")
            cursor.copy_expert(_COPY_LINES, io.BytesIO(b"\n".join(parsed.lines)))
            cursor.execute(self.merge)
            merged = cursor.rowcount
        return LoadResult(obj, True, merged)
