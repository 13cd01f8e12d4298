"""The warehouse table, generated from the schema columns with SQLAlchemy, compiled for Redshift
by sqlalchemy-redshift (and for PostgreSQL, the local stand-in)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Float, Integer, MetaData, String, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.schema import CreateTable
from sqlalchemy.types import TIMESTAMP, TypeEngine

from sluice.artifacts.columns import Column as EventColumn
from sluice.artifacts.columns import event_columns

FACT_TABLE = "player_events"


def _sql_type(column: EventColumn) -> TypeEngine[Any]:
    match column.avro_type:
        case "string":
            return String(column.max_length)
        case "uuid":
            return String(36)
        case "enum":
            return String(32)
        case "long":
            return BigInteger()
        case "int":
            return Integer()
        case "boolean":
            return Boolean()
        case "float":
            return Float(precision=24)
        case "double":
            return Float(precision=53)
        case "timestamp":
            return TIMESTAMP(timezone=False)  # UTC by convention, as Redshift stores it
    raise ValueError(f"no SQL type for {column.avro_type}")


def fact_table(metadata: MetaData | None = None, name: str = FACT_TABLE) -> Table:
    """The events fact table: distributed on session_id (a session's events join locally), sorted
    on client_time (time-range scans skip blocks)."""
    columns = [
        Column(c.name, _sql_type(c), nullable=c.nullable, primary_key=c.name == "event_id", comment=c.doc)
        for c in event_columns()
    ]
    return Table(
        name,
        metadata or MetaData(),
        *columns,
        redshift_diststyle="KEY",
        redshift_distkey="session_id",
        redshift_sortkey="client_time",
    )


def _dialect(name: str) -> Any:
    if name == "redshift":
        from sqlalchemy_redshift.dialect import RedshiftDialect_psycopg2

        return RedshiftDialect_psycopg2()
    if name == "postgresql":
        return postgresql.dialect()  # type: ignore[no-untyped-call]
    raise ValueError(f"unknown SQL dialect {name!r} (redshift or postgresql)")


def create_table_ddl(dialect: str = "redshift", name: str = FACT_TABLE) -> str:
    return str(CreateTable(fact_table(name=name)).compile(dialect=_dialect(dialect))).strip() + ";"
