"""Fixtures shared by the test layers: moto in server mode, an embedded PostgreSQL."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

# The test layers share factories in tests/support.
sys.path.insert(0, str(Path(__file__).parent))

from support.aws import Pipeline, create_pipeline
from support.services import AWS_ENV, moto_server, reset_moto


@pytest.fixture(scope="session")
def moto_url() -> Iterator[str]:
    saved = {k: os.environ.get(k) for k in AWS_ENV}
    os.environ.update(AWS_ENV)
    with moto_server() as url:
        yield url
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value


@pytest.fixture
def aws(moto_url: str) -> str:
    """A fresh, empty emulated account; the endpoint URL."""
    reset_moto(moto_url)
    return moto_url


@pytest.fixture
def pipeline(aws: str) -> Pipeline:
    return create_pipeline(aws)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    from support.services import postgres_server

    with postgres_server() as url:
        yield url


@pytest.fixture
def warehouse(postgres_url: str) -> Iterator[Any]:
    """An engine on an empty database, migrated to the current schema."""
    from sluice_tools.warehouse.engine import create_engine_for
    from sluice_tools.warehouse.migrate import migrate

    engine = create_engine_for(postgres_url)
    with engine.begin() as connection:
        connection.exec_driver_sql("DROP SCHEMA public CASCADE")
        connection.exec_driver_sql("CREATE SCHEMA public")
    migrate(engine)
    yield engine
    engine.dispose()
