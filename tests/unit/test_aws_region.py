"""One region for every AWS call, in the AWS CLI v2's order: AWS_REGION, AWS_DEFAULT_REGION, the
profile's (botocore alone reads AWS_DEFAULT_REGION only; `sluice cost` read AWS_REGION only)."""

from __future__ import annotations

import json

import pytest
from sluice_tools.cli.main import main

from sluice.aws.clients import BoundedClient
from sluice.aws.region import region
from sluice.sinks.opensearch.client import ClusterConfig


@pytest.fixture(autouse=True)
def no_region(monkeypatch, tmp_path):
    for name in ("AWS_REGION", "AWS_DEFAULT_REGION", "AWS_PROFILE", "AWS_DEFAULT_PROFILE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("AWS_CONFIG_FILE", str(tmp_path / "config"))


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-central-1"}, "us-west-2"),
        ({"AWS_REGION": "us-west-2"}, "us-west-2"),
        ({"AWS_DEFAULT_REGION": "eu-central-1"}, "eu-central-1"),
        ({"AWS_REGION": " ", "AWS_DEFAULT_REGION": "eu-central-1"}, "eu-central-1"),
        ({}, None),
    ],
)
def test_aws_region_before_aws_default_region(monkeypatch, variables, expected):
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    assert region() == expected
    assert region(variables) == expected


def test_without_either_variable_the_profiles_region(monkeypatch, tmp_path):
    (tmp_path / "config").write_text("[default]\nregion = ap-south-1\n[profile ops]\nregion = sa-east-1\n")
    assert region() == "ap-south-1"
    monkeypatch.setenv("AWS_PROFILE", "ops")
    assert region() == "sa-east-1"
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")
    assert region() == "eu-central-1"


def test_the_stages_clients_call_the_region_aws_region_names(monkeypatch):
    monkeypatch.setenv("AWS_REGION", "us-west-2")
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")

    kinesis = BoundedClient("kinesis").within(None)

    assert kinesis.meta.region_name == "us-west-2"
    assert kinesis.meta.endpoint_url == "https://kinesis.us-west-2.amazonaws.com"


def test_the_stages_clients_with_aws_default_region_alone(monkeypatch):
    monkeypatch.setenv("AWS_DEFAULT_REGION", "eu-central-1")

    assert BoundedClient("sqs").within(None).meta.region_name == "eu-central-1"


def test_opensearch_sigv4_signs_for_the_same_region():
    config = ClusterConfig.from_env(
        {"SLUICE_OPENSEARCH_URL": "https://search.example", "AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "x"}
    )
    assert config.region == "us-west-2"


@pytest.mark.parametrize(
    ("variables", "expected"),
    [
        ({"AWS_DEFAULT_REGION": "us-east-1"}, "us-east-1"),
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-east-1"}, "eu-west-1"),
    ],
)
def test_sluice_cost_prices_the_same_region(monkeypatch, capsys, variables, expected):
    from sluice_tools.cost import traffic

    # A few sessions are traffic enough to name the region (the default sample takes ~15 s).
    sample = traffic.generated_events
    monkeypatch.setattr(traffic, "generated_events", lambda: sample(sessions=20))
    for name, value in variables.items():
        monkeypatch.setenv(name, value)

    assert main(["cost", "--events-per-day", "10M", "--format", "json"]) == 0

    assert json.loads(capsys.readouterr().out)["region"] == expected
