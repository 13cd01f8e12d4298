"""Where the warehouse is: a SQLAlchemy URL for local runs, or a Secrets Manager secret in the
deployed stack (the Redshift managed master password), so no password sits in an environment
variable there."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sluice.runtime.config import ConfigError, Env


@dataclass(frozen=True)
class WarehouseConfig:
    url: str | None = None
    secret_arn: str | None = None
    host: str | None = None
    port: int = 5439
    database: str = "sluice"
    dialect: str = "redshift"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> WarehouseConfig:
        env = Env(os.environ if environ is None else environ)
        config = cls(
            url=env.text("SLUICE_WAREHOUSE_URL"),
            secret_arn=env.text("SLUICE_WAREHOUSE_SECRET_ARN"),
            host=env.text("SLUICE_WAREHOUSE_HOST"),
            port=env.integer("SLUICE_WAREHOUSE_PORT", 5439, minimum=1, maximum=65535),
            database=env.text("SLUICE_WAREHOUSE_DATABASE", "sluice") or "sluice",
            dialect=env.choice("SLUICE_WAREHOUSE_DIALECT", ("redshift", "postgresql"), "redshift"),
        )
        if not config.url and not (config.secret_arn and config.host):
            raise ConfigError("set SLUICE_WAREHOUSE_URL, or SLUICE_WAREHOUSE_SECRET_ARN with SLUICE_WAREHOUSE_HOST")
        return config


def resolve_url(config: WarehouseConfig, secrets: Any | None = None) -> str:
    """The SQLAlchemy URL, reading the user and password from the secret when one is named."""
    if config.url:
        return config.url
    from sqlalchemy.engine import URL

    if secrets is None:
        from sluice.aws.clients import client

        secrets = client("secretsmanager")
    secret = json.loads(secrets.get_secret_value(SecretId=config.secret_arn)["SecretString"])
    driver = "redshift+psycopg2" if config.dialect == "redshift" else "postgresql+psycopg2"
    host = str(secret.get("host", config.host))
    # A unix-socket directory travels as the host query parameter, not in the netloc.
    on_socket = host.startswith("/")
    url = URL.create(
        driver,
        username=secret["username"],
        password=secret["password"],
        host=None if on_socket else host,
        port=int(secret.get("port", config.port)),
        database=secret.get("dbname", config.database),
        query={"host": host} if on_socket else {},
    )
    return url.render_as_string(hide_password=False)


# libpq waits at most this long for a connection (its minimum is 2 s); keepalives notice a peer
# that vanished while a statement runs.
CONNECT_TIMEOUT_S = 5
_KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}
# A statement never gets less than this (a smaller statement_timeout only fails it early).
MIN_STATEMENT_TIMEOUT_MS = 100


def create_engine_for(url: str, *, connect_timeout_s: int = CONNECT_TIMEOUT_S) -> Any:
    """An engine whose every connect and statement ends before the bound deadline
    (``sluice.producers.retry.bind_deadline``): a warehouse that accepts the connection and never
    answers cannot outlive the invocation."""
    from sqlalchemy import create_engine, event

    engine = create_engine(
        normalised_url(url),
        # pool_pre_ping: a warm Lambda's pooled connection may have been closed by the server.
        pool_pre_ping=True,
        pool_size=1,
        max_overflow=0,
        pool_timeout=connect_timeout_s,  # waiting for the pooled connection is bounded too
        connect_args={"connect_timeout": connect_timeout_s, **_KEEPALIVES},
    )
    event.listen(engine, "do_connect", _bound_connect)
    event.listen(engine, "begin", _bound_transaction)
    return engine


def _bound_connect(dialect: Any, connection_record: Any, cargs: Any, cparams: dict[str, Any]) -> None:
    """A new connection waits no longer than the invocation has left (libpq counts whole
    seconds, 2 at least), and never longer than the engine's own connect timeout."""
    from sluice.producers.retry import current_deadline

    deadline = current_deadline()
    if deadline is not None:
        left = int(deadline.remaining()) - 1  # a second to report what was not loaded
        cparams["connect_timeout"] = max(2, min(int(cparams.get("connect_timeout", CONNECT_TIMEOUT_S)), left))


def _bound_transaction(connection: Any) -> None:
    """Each transaction's statements end when the invocation's time does (statement_timeout is
    in milliseconds on PostgreSQL and Redshift alike; SET LOCAL ends with the transaction)."""
    from sluice.producers.retry import current_deadline

    deadline = current_deadline()
    if deadline is None:
        return
    millis = max(MIN_STATEMENT_TIMEOUT_MS, int(deadline.remaining() * 1000))
    connection.exec_driver_sql(f"SET LOCAL statement_timeout = {millis}")


def normalised_url(url: str) -> str:
    """A plain ``postgresql://`` URL means psycopg2, the driver Sluice installs: SQLAlchemy 2.1
    would pick psycopg (3) for it, which is not there."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg2://" + url[len(plain) :]
    if url.startswith("redshift://"):
        return "redshift+psycopg2://" + url[len("redshift://") :]
    return url


def is_redshift(engine: Any) -> bool:
    return str(engine.dialect.name) == "redshift"
