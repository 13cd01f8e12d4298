"""A SQLAlchemy engine on the warehouse, for the tools (migrations, the CLI, the local pipeline,
tests): the loader itself talks psycopg2 and plain SQL, without SQLAlchemy's cold start."""

from __future__ import annotations

from typing import Any

from sqlalchemy import create_engine

from sluice.warehouse.connection import CONNECT_TIMEOUT_S, KEEPALIVES, normalised_url

__all__ = ["create_engine_for"]


def create_engine_for(url: str, *, connect_timeout_s: int = CONNECT_TIMEOUT_S) -> Any:
    """A SQLAlchemy engine (migrations, the CLI, tests): psycopg2 for plain URLs, a bounded
    connect, keepalives."""
    return create_engine(
        normalised_url(url),
        # pool_pre_ping: a pooled connection may have been closed by the server.
        pool_pre_ping=True,
        pool_size=1,
        max_overflow=0,
        pool_timeout=connect_timeout_s,
        connect_args={"connect_timeout": connect_timeout_s, **KEEPALIVES},
    )
