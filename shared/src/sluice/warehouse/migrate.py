"""``sluice warehouse migrate``: the tables the schemas call for, and the columns a new schema
version adds. Never drops or changes a column; safe to run again and again."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import inspect
from sqlalchemy.schema import CreateTable

from sluice.artifacts.warehouse import FACT_TABLE, LEDGER_TABLE, warehouse_metadata


@dataclass
class MigrationReport:
    created_tables: list[str] = field(default_factory=list)
    added_columns: list[str] = field(default_factory=list)

    @property
    def changed(self) -> bool:
        return bool(self.created_tables or self.added_columns)


def migrate(engine: Any, fact: str = FACT_TABLE, ledger: str = LEDGER_TABLE) -> MigrationReport:
    _, fact_table, ledger_table = warehouse_metadata(fact, ledger)
    report = MigrationReport()
    with engine.begin() as connection:
        inspector = inspect(connection)
        for table in (fact_table, ledger_table):
            if not inspector.has_table(table.name):
                connection.execute(CreateTable(table))
                report.created_tables.append(table.name)
                continue
            existing = {c["name"] for c in inspector.get_columns(table.name)}
            for column in table.columns:
                if column.name in existing:
                    continue
                # Added columns are nullable: rows loaded before this version have no value.
                type_sql = column.type.compile(dialect=connection.dialect)
                connection.exec_driver_sql(f'ALTER TABLE {table.name} ADD COLUMN "{column.name}" {type_sql}')
                report.added_columns.append(f"{table.name}.{column.name}")
    return report
