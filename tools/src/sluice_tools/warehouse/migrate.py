"""``sluice warehouse migrate``: the tables the schemas call for, the columns a new schema version
adds, and VARCHAR columns widened to the schema's bounds (ingest accepts what the bounds allow, so
the warehouse must hold it), then the views over them (``sluice_tools.warehouse.views``), made afresh:
a view holds no data, and a column it reads cannot change type under it. Never drops or narrows a
column; safe to run again and again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import String, inspect
from sqlalchemy.schema import CreateTable

from sluice.warehouse.tables import FACT_TABLE, LEDGER_TABLE
from sluice_tools.artifacts.warehouse import warehouse_metadata
from sluice_tools.warehouse.views import SESSIONS_VIEW, drop_view_sql, sessions_view_sql

__all__ = ["MigrationReport", "migrate"]


@dataclass
class MigrationReport:
    created_tables: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)
    widened_columns: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created_tables or self.added_columns or self.widened_columns)


def migrate(
    engine: Any, fact: str = FACT_TABLE, ledger: str = LEDGER_TABLE, sessions_view: str = SESSIONS_VIEW
) -> MigrationReport:
    _, fact_table, ledger_table = warehouse_metadata(fact, ledger)
    report = MigrationReport()
    with engine.begin() as connection:
        connection.exec_driver_sql(drop_view_sql(sessions_view))
        inspector = inspect(connection)
        for table in (fact_table, ledger_table):
            if not inspector.has_table(table.name):
                connection.execute(CreateTable(table))
                report.created_tables.append(table.name)
                continue
            existing = {c["name"]: c["type"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in existing:
                    if _narrower(existing[column.name], column.type):
                        type_sql = column.type.compile(dialect=connection.dialect)
                        connection.exec_driver_sql(
                            f'ALTER TABLE {table.name} ALTER COLUMN "{column.name}" TYPE {type_sql}'
                        )
                        report.widened_columns.append(f"{table.name}.{column.name}")
                    continue
                # Added columns are nullable: rows loaded before this version have no value.
                type_sql = column.type.compile(dialect=connection.dialect)
                connection.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {type_sql}')
                report.added_columns.append(f"{table.name}.{column.name}")
        connection.exec_driver_sql(sessions_view_sql(fact_table.name, sessions_view))
    return report


def _narrower(existing: Any, wanted: Any) -> bool:
    """A VARCHAR column shorter than the schema's bound (Redshift and PostgreSQL widen in place)."""
    return (
        isinstance(existing, String)
        and isinstance(wanted, String)
        and existing.length is not None
        and wanted.length is not None
        and existing.length < wanted.length
    )
