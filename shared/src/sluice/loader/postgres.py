"""The PostgreSQL path (local runs and tests): per object, in one transaction, claim the object in
the ledger, COPY its good lines from STDIN into a staging table, and merge them on event_id with
one INSERT .. ON CONFLICT DO NOTHING (the primary key decides; no staging copies, no ANALYZE).
Through psycopg2, the one driver the loader image carries for PostgreSQL and Redshift alike.

The lines were checked against the warehouse's limits (``sluice.loader.lines``); should the
warehouse still refuse one, the object is not failed for ever: the merge is tried again by halves
inside the transaction (savepoints), down to the lines it refuses, which become failed events."""

from __future__ import annotations

import io
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sluice.loader.lines import BadLine, ParsedObject, column_names
from sluice.loader.notifications import LakeObject
from sluice.warehouse import sql
from sluice.warehouse.connection import Warehouse
from sluice.warehouse.tables import FACT_TABLE, LEDGER_TABLE

__all__ = ["LoadResult", "PostgresLoad", "ReportBadLines"]

# JSON lines cannot hold a raw newline or control character (JSON escapes them), so with these
# as CSV quote and delimiter each line arrives in its single column untouched.
_COPY_LINES = "COPY staging_lines (line) FROM STDIN WITH (FORMAT csv, QUOTE E'\\x01', DELIMITER E'\\x02')"
_SAVEPOINT = "sluice_lines"

# Called inside the load's transaction, before it commits, with every bad line of the object.
ReportBadLines = Callable[[list[BadLine]], None]


@dataclass(frozen=True)
class LoadResult:
    object: LakeObject
    loaded: bool  # False: the ledger already had it
    rows: int
    bad: list[BadLine] = field(default_factory=list)


def _refuses_data(exc: BaseException) -> bool:
    """The warehouse refused what a line holds (data exception, class 22; integrity, class 23),
    not the statement or the connection: the same line would be refused on every retry."""
    import psycopg2

    return isinstance(exc, (psycopg2.DataError, psycopg2.IntegrityError))


class PostgresLoad:
    def __init__(self, warehouse: Warehouse, fact: str = FACT_TABLE, ledger: str = LEDGER_TABLE) -> None:
        self.warehouse = warehouse
        self.fact = fact
        self.claim = sql.claim_object(ledger)
        self.counts = sql.update_object_counts(ledger)
        self.merge = sql.insert_new_lines(fact, column_names())

    def load(self, obj: LakeObject, parsed: ParsedObject, report: ReportBadLines) -> LoadResult:
        with self.warehouse.transaction() as cursor:
            # The ledger row is the claim: a second loader of the same object waits on this row's
            # key until the first commits, then finds it and skips. All or nothing with the merge.
            cursor.execute(self.claim, (obj.key, obj.etag or "", len(parsed.rows), len(parsed.bad)))
            if cursor.fetchone() is None:
                return LoadResult(obj, False, 0)  # loaded before: its bad lines were reported then
            # The object's good lines go in as they are (json: checked, not yet parsed) and
            # PostgreSQL maps their keys to the columns itself, far faster than row by row here.
            cursor.execute("CREATE TEMPORARY TABLE staging_lines (line json) ON COMMIT DROP")
            refused: list[tuple[int, str]] = []
            merged = self._merge(cursor, parsed.lines, range(len(parsed.lines)), refused)
            bad = parsed.bad + [_refused_line(parsed, index, reason) for index, reason in refused]
            if refused:
                cursor.execute(self.counts, (len(parsed.rows) - len(refused), len(bad), obj.key, obj.etag or ""))
            # Before the commit: a load that commits has reported its bad lines (a retry after a
            # failed commit may report them twice, never zero times); a redrive of a loaded object
            # reports nothing again.
            report(bad)
        return LoadResult(obj, True, merged, bad)

    def _merge(self, cursor: Any, lines: list[bytes], indexes: Sequence[int], refused: list[tuple[int, str]]) -> int:
        """Merge these lines; when the warehouse refuses their data, the halves in turn, down to
        the single lines it refuses (k bad lines in n cost about 2k log2(n) tries)."""
        if not indexes:
            return 0
        cursor.execute(f"SAVEPOINT {_SAVEPOINT}")
        try:
            cursor.copy_expert(_COPY_LINES, io.BytesIO(b"\n".join(lines[i] for i in indexes)))
            cursor.execute(self.merge)
            merged: int = cursor.rowcount
            cursor.execute("TRUNCATE staging_lines")
            cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            return merged
        except Exception as exc:
            if not _refuses_data(exc):
                raise
            cursor.execute(f"ROLLBACK TO SAVEPOINT {_SAVEPOINT}")
            cursor.execute(f"RELEASE SAVEPOINT {_SAVEPOINT}")
            if len(indexes) == 1:
                refused.append((indexes[0], _first_line(exc)))
                return 0
        half = len(indexes) // 2
        return self._merge(cursor, lines, indexes[:half], refused) + self._merge(cursor, lines, indexes[half:], refused)


def _first_line(exc: BaseException) -> str:
    return (str(exc).strip().splitlines() or [type(exc).__name__])[0]


def _refused_line(parsed: ParsedObject, index: int, reason: str) -> BadLine:
    return BadLine(
        parsed.numbers[index],
        parsed.lines[index],
        f"the warehouse refused it: {reason}",
        parsed.event_ids[index],
        "sink_rejection",
    )
