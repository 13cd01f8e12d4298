"""Where the warehouse is and how the loader talks to it.

The warehouse is a URL for local runs, or a Secrets Manager secret in the deployed stack (the
Redshift managed master password), so no password sits in an environment variable there.

The loader talks to it through psycopg2 alone (:class:`Warehouse`): its statements are plain
SQL, and SQLAlchemy costs ~200 ms of cold start. SQLAlchemy and sqlalchemy-redshift build the
tables (``sluice warehouse migrate``), through ``sluice_tools.warehouse.engine``.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any
from urllib.parse import quote

from sluice.runtime.config import ConfigError, Env

__all__ = [
    "CONNECT_TIMEOUT_S",
    "KEEPALIVES",
    "MIN_STATEMENT_TIMEOUT_MS",
    "Warehouse",
    "WarehouseConfig",
    "is_connection_loss",
    "libpq_url",
    "normalised_url",
    "resolve_url",
    "system_ca_file",
]


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
    """The warehouse URL, reading the user and password from the secret when one is named."""
    if config.url:
        return config.url
    if secrets is None:
        from sluice.aws.clients import client

        secrets = client("secretsmanager")
    secret = json.loads(secrets.get_secret_value(SecretId=config.secret_arn)["SecretString"])
    driver = "redshift+psycopg2" if config.dialect == "redshift" else "postgresql+psycopg2"
    host = str(secret.get("host", config.host))
    port = int(secret.get("port", config.port))
    credentials = f"{quote(str(secret['username']), safe='')}:{quote(str(secret['password']), safe='')}"
    database = quote(str(secret.get("dbname", config.database)), safe="")
    if host.startswith("/"):
        # A unix-socket directory travels as the host query parameter, not in the netloc.
        return f"{driver}://{credentials}@:{port}/{database}?host={quote(host)}"
    return f"{driver}://{credentials}@{host}:{port}/{database}"


# libpq waits at most this long for a connection (its minimum is 2 s); keepalives notice a peer
# that vanished while a statement runs.
CONNECT_TIMEOUT_S = 5
KEEPALIVES = {"keepalives": 1, "keepalives_idle": 5, "keepalives_interval": 2, "keepalives_count": 3}
# A statement never gets less than this (a smaller statement_timeout only fails it early).
MIN_STATEMENT_TIMEOUT_MS = 100


def normalised_url(url: str) -> str:
    """A plain ``postgresql://`` URL means psycopg2, the driver Sluice installs: SQLAlchemy 2.1
    would pick psycopg (3) for it, which is not there."""
    for plain in ("postgresql://", "postgres://"):
        if url.startswith(plain):
            return "postgresql+psycopg2://" + url[len(plain) :]
    if url.startswith("redshift://"):
        return "redshift+psycopg2://" + url[len("redshift://") :]
    return url


def libpq_url(url: str) -> str:
    """The same place as a libpq connection URI (what psycopg2 takes): the scheme without the
    SQLAlchemy dialect and driver; user, host, port, database and query stay as they are."""
    scheme, separator, rest = url.partition("://")
    if not separator or scheme.split("+")[0] not in ("postgresql", "postgres", "redshift"):
        raise ConfigError(f"the warehouse URL must be postgresql:// or redshift://, not {scheme}://...")
    return "postgresql://" + rest


class Warehouse:
    """The loader's warehouse connection: one psycopg2 connection, kept while the Lambda
    environment is warm, whose every connect and statement ends before the bound deadline
    (``sluice.runtime.deadline.bind_deadline``): a warehouse that accepts the connection and never
    answers cannot outlive the invocation."""

    def __init__(self, url: str, *, connect_timeout_s: int = CONNECT_TIMEOUT_S) -> None:
        import psycopg2  # noqa: F401 - the driver loads with the stage, not inside the first load's time

        self.url = url
        self.is_redshift = url.split("+", maxsplit=1)[0].split(":", maxsplit=1)[0] == "redshift"
        self._dsn = libpq_url(url)
        # Redshift: TLS with the server's certificate verified (its certificates are ACM-issued),
        # as sqlalchemy-redshift does by default; ``sslmode`` (and ``sslrootcert``) in the URL's
        # query decide instead.
        self._verify_tls = self.is_redshift and "sslmode=" not in url.partition("?")[2]
        self._connect_timeout_s = connect_timeout_s
        self._connection: Any = None

    @contextmanager
    def transaction(self) -> Iterator[Any]:
        """A cursor in one transaction: committed when the block ends, rolled back when it raises
        (and the connection dropped when it broke, so the next transaction connects afresh)."""
        connection = self._open()
        try:
            with connection.cursor() as cursor:
                yield cursor
            connection.commit()
        except BaseException as exc:
            if is_connection_loss(exc):
                self.close()
            else:
                self._rollback(connection)
            raise

    def close(self) -> None:
        if self._connection is not None:
            try:
                self._connection.close()
            finally:
                self._connection = None

    def _rollback(self, connection: Any) -> None:
        import psycopg2

        try:
            connection.rollback()
        except psycopg2.Error:
            self.close()  # a connection that cannot even roll back is not kept

    def _open(self) -> Any:
        """A connection inside a new transaction whose statements end with the invocation's
        time. A kept connection the server closed while idle is noticed by the first statement
        and replaced once (what SQLAlchemy's pool_pre_ping did)."""
        import psycopg2

        if self._connection is not None and not self._connection.closed:
            try:
                self._bound_statements(self._connection)
                return self._connection
            except psycopg2.Error as exc:
                self.close()  # whatever failed, the next connection starts clean
                if not is_connection_loss(exc):
                    raise
        connection = psycopg2.connect(self._dsn, **self.connect_arguments())
        try:
            self._bound_statements(connection)
        except BaseException:
            connection.close()
            raise
        self._connection = connection
        return connection

    def connect_arguments(self) -> dict[str, Any]:
        """What libpq gets beside the URL: timeouts, keepalives, TLS."""
        tls = {"sslmode": "verify-full", "sslrootcert": system_ca_file()} if self._verify_tls else {}
        return {"connect_timeout": self._connect_timeout(), **KEEPALIVES, **tls}

    def _connect_timeout(self) -> int:
        """No longer than the invocation has left (libpq counts whole seconds, 2 at least), and
        never longer than the configured connect timeout."""
        from sluice.runtime.deadline import current_deadline

        deadline = current_deadline()
        if deadline is None:
            return self._connect_timeout_s
        left = int(deadline.remaining()) - 1  # a second to report what was not loaded
        return max(2, min(self._connect_timeout_s, left))

    @staticmethod
    def _bound_statements(connection: Any) -> None:
        """The transaction's statements end when the invocation's time does (statement_timeout
        is in milliseconds on PostgreSQL and Redshift alike; SET LOCAL ends with the
        transaction). Without a deadline, a round trip all the same: it proves the connection."""
        from sluice.runtime.deadline import current_deadline

        deadline = current_deadline()
        with connection.cursor() as cursor:
            if deadline is None:
                cursor.execute("SELECT 1")
            else:
                millis = max(MIN_STATEMENT_TIMEOUT_MS, int(deadline.remaining() * 1000))
                cursor.execute(f"SET LOCAL statement_timeout = {millis}")


def system_ca_file() -> str:
    """The image's trusted CA roots, as Python's OpenSSL finds them (``SSL_CERT_FILE`` first).
    libpq's own ``system`` would ask the OpenSSL bundled in the psycopg2 wheel, which looks where
    the wheel was built, not where this image keeps its certificates."""
    import ssl

    return ssl.get_default_verify_paths().cafile or "system"


def is_connection_loss(exc: BaseException) -> bool:
    """A fault of the connection, not of the statement (a closed or broken connection, a
    timeout): the transaction rolled back, so the load may be tried again on a new one."""
    import psycopg2

    return isinstance(exc, (psycopg2.OperationalError, psycopg2.InterfaceError))
