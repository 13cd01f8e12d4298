"""The warehouse table, generated from the schema columns with SQLAlchemy, compiled for Redshift
by sqlalchemy-redshift (and for PostgreSQL, the local stand-in)."""

from __future__ import annotations

from typing import Any

from sqlalchemy import BigInteger, Boolean, Column, Float, Integer, MetaData, PrimaryKeyConstraint, String, Table
from sqlalchemy.dialects import postgresql
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.schema import CreateTable
from sqlalchemy.sql.expression import FunctionElement
from sqlalchemy.types import TIMESTAMP, TypeEngine

from sluice.artifacts.columns import Column as EventColumn
from sluice.artifacts.columns import event_columns
from sluice.warehouse.tables import FACT_TABLE, LEDGER_TABLE

__all__ = ["create_table_ddl", "dialect", "fact_table", "ledger_table", "utc_now", "warehouse_metadata"]


class utc_now(FunctionElement[Any]):
    """The current UTC time as a TIMESTAMP without zone, in each dialect's spelling."""

    type = TIMESTAMP()
    inherit_cache = True


@compiles(utc_now)
def _utc_now_default(element: Any, compiler: Any, **kw: Any) -> str:
    return "CURRENT_TIMESTAMP"


@compiles(utc_now, "postgresql")
def _utc_now_postgresql(element: Any, compiler: Any, **kw: Any) -> str:
    return "(now() AT TIME ZONE 'utc')"


@compiles(utc_now, "redshift")
def _utc_now_redshift(element: Any, compiler: Any, **kw: Any) -> str:
    return "GETDATE()"


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
    # Owned by the warehouse, not the schema: when the row was loaded (end-to-end latency).
    columns.append(
        Column(
            "loaded_at",
            TIMESTAMP(),
            nullable=False,
            server_default=utc_now(),
            comment="When the loader stored the row (UTC).",
        )
    )
    return Table(
        name,
        metadata or MetaData(),
        *columns,
        redshift_diststyle="KEY",
        redshift_distkey="session_id",
        redshift_sortkey="client_time",
    )


def ledger_table(metadata: MetaData | None = None, name: str = LEDGER_TABLE) -> Table:
    """One row per lake object loaded: the object (key and ETag) is loaded exactly once, even when
    its notification arrives twice."""
    return Table(
        name,
        metadata or MetaData(),
        Column("object_key", String(1024), nullable=False),
        Column("etag", String(128), nullable=False),
        Column("rows_loaded", BigInteger(), nullable=False),
        Column("bad_lines", BigInteger(), nullable=False),
        Column("loaded_at", TIMESTAMP(), nullable=False, server_default=utc_now()),
        PrimaryKeyConstraint("object_key", "etag"),
        redshift_diststyle="ALL",
    )


def warehouse_metadata(fact: str = FACT_TABLE, ledger: str = LEDGER_TABLE) -> tuple[MetaData, Table, Table]:
    metadata = MetaData()
    return metadata, fact_table(metadata, fact), ledger_table(metadata, ledger)


def dialect(name: str) -> Any:
    if name == "redshift":
        from sqlalchemy_redshift.dialect import RedshiftDialect_psycopg2

        return RedshiftDialect_psycopg2()
    if name == "postgresql":
        return postgresql.dialect()  # type: ignore[no-untyped-call]
    raise ValueError(f"unknown SQL dialect {name!r} (redshift or postgresql)")


def create_table_ddl(dialect_name: str = "redshift", name: str = FACT_TABLE) -> str:
    return str(CreateTable(fact_table(name=name)).compile(dialect=dialect(dialect_name))).strip() + ";"
