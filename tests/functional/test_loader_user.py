"""The loader connects as its own user, made by `sluice warehouse migrate --loader-secret-arn`
with the least grants, its password generated and stored in the secret Terraform left empty:
against a real PostgreSQL and Secrets Manager in moto."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest
from sluice_tools.warehouse.engine import create_engine_for
from sluice_tools.warehouse.users import LOADER_USER
from sqlalchemy import text
from sqlalchemy.exc import ProgrammingError
from support.aws import REGION, aws_client, notify_queue, sqs_event, stage_client
from support.stages import lake_from_traffic, loader

from sluice.runtime.deadline import Deadline
from sluice.warehouse.connection import WarehouseConfig, resolve_url
from sluice.warehouse.tables import FACT_TABLE


def _migrate(aws: str, url: str, secret_arn: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [
            *(sys.executable, "-m", "sluice_tools", "warehouse", "migrate", "--url", url),
            *("--loader-secret-arn", secret_arn, "--endpoint-url", aws, "--region", REGION),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _no_loader_user(warehouse) -> None:
    with warehouse.begin() as connection:
        if connection.execute(text("SELECT 1 FROM pg_user WHERE usename = :u"), {"u": LOADER_USER}).first():
            connection.exec_driver_sql(f'DROP OWNED BY "{LOADER_USER}"')
            connection.exec_driver_sql(f'DROP USER "{LOADER_USER}"')


def test_the_loader_runs_as_its_own_least_privileged_user(aws, pipeline, warehouse, postgres_url):
    # GIVEN the empty secret the warehouse module creates
    _no_loader_user(warehouse)
    secrets = aws_client("secretsmanager", aws)
    arn = secrets.create_secret(Name="sluice-warehouse-loader")["ARN"]
    # WHEN the tables are migrated with the loader's secret
    first = _migrate(aws, postgres_url, arn)
    assert first.returncode == 0, first.stderr
    assert f"loader user {LOADER_USER}: created" in first.stdout
    stored = json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])
    assert stored["username"] == LOADER_USER and len(stored["password"]) == 40
    # THEN the loader, connected through that secret, loads lake objects
    url = resolve_url(
        WarehouseConfig(secret_arn=arn, host="ignored", dialect="postgresql"),
        secrets=stage_client("secretsmanager", aws),
    )
    as_loader = create_engine_for(url)
    with as_loader.connect() as connection:
        assert connection.execute(text("SELECT current_user")).scalar_one() == LOADER_USER
    queue = notify_queue(aws, pipeline.lake_bucket)
    loaded = lake_from_traffic(aws, pipeline, seed=51)
    assert loader(aws, pipeline, url).handle(sqs_event(aws, queue, 100), Deadline.after(60)) == {
        "batchItemFailures": []
    }
    with warehouse.connect() as connection:
        assert connection.execute(text(f"SELECT count(*) FROM {FACT_TABLE}")).scalar_one() == len(loaded)
    # AND can do nothing else with the tables
    for statement in (f"DROP TABLE {FACT_TABLE}", f"TRUNCATE {FACT_TABLE}", "CREATE TABLE public.mine (x int)"):
        with pytest.raises(ProgrammingError, match=r"permission denied|must be owner"), as_loader.begin() as connection:
            connection.exec_driver_sql(statement)
    as_loader.dispose()
    # AND running migrate again changes nothing: the stored password stays
    again = _migrate(aws, postgres_url, arn)
    assert again.returncode == 0 and f"loader user {LOADER_USER}: unchanged" in again.stdout
    assert json.loads(secrets.get_secret_value(SecretId=arn)["SecretString"])["password"] == stored["password"]
