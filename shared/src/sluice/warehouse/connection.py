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


def create_engine_for(url: str) -> Any:
    from sqlalchemy import create_engine

    # pool_pre_ping: a warm Lambda's pooled connection may have been closed by the server.
    return create_engine(url, pool_pre_ping=True, pool_size=1, max_overflow=0)


def is_redshift(engine: Any) -> bool:
    return str(engine.dialect.name) == "redshift"
