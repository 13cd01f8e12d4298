"""Functional layer: the real code against moto in server mode over HTTP."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
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
