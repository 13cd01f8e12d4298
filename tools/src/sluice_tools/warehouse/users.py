"""The loader's own warehouse user, with only what loading needs.

``sluice warehouse migrate --loader-secret-arn ARN`` runs with the admin's connection; it creates
the user, grants it its tables and the ledger (and temporary tables, for staging), generates its
password and stores the connection in the secret Terraform made empty for it. The loader reads
that secret and never the admin's. Running it again changes nothing unless the secret was
emptied, in which case the password is reset and stored again.
"""

from __future__ import annotations

import json
import secrets as tokens
import string
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text

from sluice.warehouse.sql import quoted
from sluice.warehouse.tables import FACT_TABLE, LEDGER_TABLE

__all__ = ["LOADER_USER", "LoaderUserReport", "ensure_loader_user", "generate_password", "grants"]

LOADER_USER = "sluice_loader"


@dataclass(frozen=True)
class LoaderUserReport:
    user: str
    action: str  # created, password reset, unchanged
    grants: tuple[str, ...]


def generate_password(length: int = 40) -> str:
    """Letters and digits only (nothing to quote), with an upper, a lower and a digit as
    Redshift requires (8 to 64 characters)."""
    alphabet = string.ascii_letters + string.digits
    while True:
        password = "".join(tokens.choice(alphabet) for _ in range(length))
        if (
            any(c.isupper() for c in password)
            and any(c.islower() for c in password)
            and any(c.isdigit() for c in password)
        ):
            return password


def _stored(secrets: Any, secret_arn: str) -> dict[str, Any] | None:
    try:
        text_value = secrets.get_secret_value(SecretId=secret_arn).get("SecretString") or ""
    except Exception as exc:
        code = getattr(exc, "response", {}).get("Error", {}).get("Code")
        if code == "ResourceNotFoundException":  # the secret exists with no value yet
            return None
        raise
    try:
        value = json.loads(text_value)
    except json.JSONDecodeError:
        return None
    return value if isinstance(value, dict) and value.get("password") else None


def grants(fact: str = FACT_TABLE, ledger: str = LEDGER_TABLE, user: str = LOADER_USER) -> list[str]:
    who = quoted(user)
    return [
        f"GRANT USAGE ON SCHEMA public TO {who}",
        # MERGE reads, updates and inserts rows of the fact table; nothing else of it.
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON {quoted(fact)} TO {who}",
        # The ledger: claim an object (insert) and see what was loaded (select).
        f"GRANT SELECT, INSERT ON {quoted(ledger)} TO {who}",
    ]


def ensure_loader_user(
    engine: Any, secrets: Any, secret_arn: str, *, fact: str = FACT_TABLE, ledger: str = LEDGER_TABLE
) -> LoaderUserReport:
    stored = _stored(secrets, secret_arn)
    statements = grants(fact, ledger)
    with engine.begin() as connection:
        exists = connection.execute(text("SELECT 1 FROM pg_user WHERE usename = :u"), {"u": LOADER_USER}).first()
        database = connection.execute(text("SELECT current_database()")).scalar_one()
        password = None
        if exists is None:
            password = generate_password()
            connection.exec_driver_sql(f"CREATE USER {quoted(LOADER_USER)} PASSWORD '{password}'")
            action = "created"
        elif stored is None:
            password = generate_password()
            connection.exec_driver_sql(f"ALTER USER {quoted(LOADER_USER)} PASSWORD '{password}'")
            action = "password reset"
        else:
            action = "unchanged"
        # Staging tables are temporary: the user may create those, and no table of its own.
        for statement in [*statements, f"GRANT TEMP ON DATABASE {quoted(database)} TO {quoted(LOADER_USER)}"]:
            connection.exec_driver_sql(statement)
    if password is not None:
        url = engine.url
        secrets.put_secret_value(
            SecretId=secret_arn,
            SecretString=json.dumps(
                {
                    "username": LOADER_USER,
                    "password": password,
                    "engine": "redshift" if engine.dialect.name == "redshift" else "postgres",
                    "host": url.host or url.query.get("host"),
                    "port": url.port or (5439 if engine.dialect.name == "redshift" else 5432),
                    "dbname": database,
                }
            ),
        )
    return LoaderUserReport(LOADER_USER, action, tuple(statements))
