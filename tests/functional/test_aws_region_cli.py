"""The CLI calls the region AWS_REGION names, before AWS_DEFAULT_REGION, as the AWS CLI v2 does:
against the AWS API emulator, whose resources live in one region each."""

from __future__ import annotations

import os
import subprocess
import sys

import boto3
import pytest
from support.services import AWS_ENV

QUEUE = "sluice-processor-on-failure"
BUCKET = "sluice-lake"


def recover(aws: str, region_variables: dict[str, str], *options: str) -> subprocess.CompletedProcess[str]:
    """`sluice failed recover` (a dry run) with only these region variables set."""
    env = {k: v for k, v in {**os.environ, **AWS_ENV}.items() if k not in ("AWS_REGION", "AWS_DEFAULT_REGION")}
    env.update(AWS_ENDPOINT_URL=aws, **region_variables)
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", "failed", "recover", "--queue", QUEUE, "--bucket", BUCKET, *options],
        capture_output=True,
        text=True,
        env=env,
        timeout=120,
        check=False,
    )


@pytest.fixture
def queue_in_us_west_2(aws: str) -> None:
    boto3.client("sqs", endpoint_url=aws, region_name="us-west-2").create_queue(QueueName=QUEUE)
    boto3.client("s3", endpoint_url=aws, region_name="us-west-2").create_bucket(
        Bucket=BUCKET, CreateBucketConfiguration={"LocationConstraint": "us-west-2"}
    )


@pytest.mark.parametrize(
    ("region_variables", "options"),
    [
        ({"AWS_REGION": "us-west-2", "AWS_DEFAULT_REGION": "eu-west-1"}, ()),
        ({"AWS_DEFAULT_REGION": "us-west-2"}, ()),
        ({"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "eu-west-1"}, ("--region", "us-west-2")),
    ],
    ids=["AWS_REGION first", "AWS_DEFAULT_REGION alone", "--region before both"],
)
def test_the_cli_finds_a_queue_in_the_region_the_variables_name(aws, queue_in_us_west_2, region_variables, options):
    result = recover(aws, region_variables, *options)

    assert result.returncode == 0, result.stderr
    assert result.stdout == f"no discarded batches in {aws}/123456789012/{QUEUE}\n"


def test_the_other_region_has_no_such_queue(aws, queue_in_us_west_2):
    result = recover(aws, {"AWS_REGION": "eu-west-1", "AWS_DEFAULT_REGION": "us-west-2"})

    assert result.returncode == 2
    assert "QueueDoesNotExist" in result.stderr or "NonExistentQueue" in result.stderr, result.stderr
