"""Fixtures the cost tests share: the region they price in, the generated traffic they measure."""

from __future__ import annotations

from typing import Any

import pytest
from sluice_tools.cost import traffic

PRICED_REGION = "eu-west-1"


@pytest.fixture
def priced_region(monkeypatch: pytest.MonkeyPatch) -> str:
    """The region whose price file the cost tests read. `--region` sets the process's AWS_REGION,
    as the AWS CLI options do: monkeypatch puts both names back after each test."""
    monkeypatch.setenv("AWS_REGION", PRICED_REGION)
    monkeypatch.setenv("AWS_DEFAULT_REGION", PRICED_REGION)
    return PRICED_REGION


@pytest.fixture(scope="module")
def events() -> list[dict[str, Any]]:
    """The budget's generated sessions (its fixed seed), in the last hour: once per module, so the
    processor in `traffic.measure` never finds them late."""
    return traffic.generated_events()


@pytest.fixture(scope="module")
def profile(events: list[dict[str, Any]]) -> traffic.Profile:
    """The budget's traffic as the stages size it (SDK delivery)."""
    return traffic.measure(events)
