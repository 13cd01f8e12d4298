"""The local resources, from one source of truth: ``terraform/envs/local`` applied to the emulator
when Terraform and the AWS provider are available; otherwise the same resources created from that
stack's recorded settings (``terraform/generated/local-settings.json``, written from the stack's
``settings`` output and checked against it by the tests)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

__all__ = [
    "REPO_MARKER",
    "apply_terraform",
    "create_directly",
    "normalise_settings",
    "plugin_mirror",
    "recorded_settings",
    "repo_root",
    "terraform_available",
]

REPO_MARKER = Path("terraform/envs/local/main.tf")
# How often the apply's progress is told: a line per resource would be some fifty lines.
PROGRESS_EVERY_S = 10.0


def repo_root(start: Path | None = None) -> Path:
    here = (start or Path.cwd()).resolve()
    # From the working directory up, then from this file up (an editable install of the checkout).
    for candidate in (here, *here.parents, *Path(__file__).resolve().parents):
        if (candidate / REPO_MARKER).exists():
            return candidate
    env = os.environ.get("SLUICE_REPO")
    if env and (Path(env) / REPO_MARKER).exists():
        return Path(env)
    raise FileNotFoundError("run from a Sluice checkout (terraform/envs/local not found), or set SLUICE_REPO")


def plugin_mirror() -> str | None:
    """A local mirror of the hashicorp/aws provider, as terraform/bin/tf-check finds it."""
    if os.environ.get("TF_PLUGIN_DIR"):
        return os.environ["TF_PLUGIN_DIR"]
    for root in (
        "/opt/tf-plugins",
        str(Path.home() / ".terraform.d/plugins"),
        "/usr/share/terraform/plugins",
        "/usr/local/share/terraform/plugins",
    ):
        if any(Path(root).glob("registry.terraform.io/hashicorp/aws/*/*/terraform-provider-aws*")):
            return root
    return None


def terraform_available() -> bool:
    return shutil.which("terraform") is not None and plugin_mirror() is not None


def apply_terraform(
    root: Path,
    endpoint: str,
    state_file: Path,
    variables: dict[str, str],
    say: Callable[[str], object] | None = None,
) -> dict[str, Any]:
    """Apply the local stack to the emulator and return its ``settings`` output; ``say`` hears how
    many resources are made while the apply runs (it takes a minute or two)."""
    stack = root / "terraform/envs/local"
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": "/dev/null"}
    init = subprocess.run(
        ["terraform", f"-chdir={stack}", "init", "-backend=false", "-input=false", f"-plugin-dir={plugin_mirror()}"],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    if init.returncode:
        raise RuntimeError(f"terraform init failed:\n{init.stdout[-2000:]}{init.stderr[-2000:]}")
    # The local runtime plays the event source mappings; in the emulator they would try to run
    # the functions' images themselves on every put.
    args = [
        f"-var=aws_endpoint={endpoint}",
        "-var=create_event_source_mappings=false",
        *[f"-var={k}={v}" for k, v in variables.items()],
    ]
    command = ["terraform", f"-chdir={stack}", "apply", "-auto-approve", "-input=false", "-no-color"]
    returncode, said = _apply([*command, f"-state={state_file}", *args], env, say or (lambda line: None))
    if returncode:
        raise RuntimeError(f"terraform apply failed:\n{said[-6000:]}")
    output = subprocess.run(
        ["terraform", f"-chdir={stack}", "output", "-json", f"-state={state_file}"],
        capture_output=True,
        text=True,
        env=env,
        check=True,
    )
    settings: dict[str, Any] = json.loads(output.stdout)["settings"]["value"]
    return settings


def normalise_settings(settings: dict[str, Any]) -> dict[str, Any]:
    """Settings without the emulator's address (queue URLs carry it), as they are recorded."""
    recorded: dict[str, Any] = json.loads(json.dumps(settings))
    queue = recorded["loader_queue"].rsplit("/", 1)[-1]
    recorded["loader_queue"] = queue
    recorded["triggers"]["loader"]["queue"] = queue
    return recorded


def recorded_settings(root: Path) -> dict[str, Any]:
    settings: dict[str, Any] = json.loads((root / "terraform/generated/local-settings.json").read_text())
    return settings


def create_directly(settings: dict[str, Any], clients: Any) -> None:
    """The resources the local stack would create that the local pipeline uses, by the names its
    settings record (Terraform not available)."""
    region = "eu-west-1"
    kinesis, s3, firehose, sqs, sns, dynamodb = (
        clients(n) for n in ("kinesis", "s3", "firehose", "sqs", "sns", "dynamodb")
    )
    # The CDN log stream (cdn_log_stream): what the local CDN stand-in writes real-time log lines
    # to and the processor reads as its second input (terraform/envs/local's cdn_logs module).
    streams = (settings["raw_stream"], settings["clean_stream"], settings.get("cdn_log_stream"))
    for stream in filter(None, streams):
        kinesis.create_stream(StreamName=stream, StreamModeDetails={"StreamMode": "ON_DEMAND"})
    bucket = settings["lake_bucket"]
    s3.create_bucket(Bucket=bucket, CreateBucketConfiguration={"LocationConstraint": region})
    role = "arn:aws:iam::123456789012:role/sluice-firehose"
    for name, prefix in ((settings["lake_firehose"], "events/"), (settings["failed_firehose"], "failed/")):
        firehose.create_delivery_stream(
            DeliveryStreamName=name,
            DeliveryStreamType="DirectPut",
            ExtendedS3DestinationConfiguration={
                "RoleARN": role,
                "BucketARN": f"arn:aws:s3:::{bucket}",
                "Prefix": prefix,
            },
        )
    queue_name = settings["loader_queue"].rsplit("/", 1)[-1]
    queue_url = sqs.create_queue(QueueName=queue_name)["QueueUrl"]
    queue_arn = sqs.get_queue_attributes(QueueUrl=queue_url, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    s3.put_bucket_notification_configuration(
        Bucket=bucket,
        NotificationConfiguration={
            "QueueConfigurations": [
                {
                    "QueueArn": queue_arn,
                    "Events": ["s3:ObjectCreated:*"],
                    "Filter": {"Key": {"FilterRules": [{"Name": "prefix", "Value": "events/"}]}},
                }
            ]
        },
    )
    # The on-failure destinations of the Kinesis mappings, named as the stage_function module names them.
    for stage in ("processor", "indexer", "monitor"):
        function = settings.get("functions", {}).get(stage, f"sluice-{stage}")
        sqs.create_queue(QueueName=f"{function}-on-failure")
    sns.create_topic(Name=settings["alert_topic_arn"].rsplit(":", 1)[-1])
    dynamodb.create_table(
        TableName=settings["health_table"],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        BillingMode="PAY_PER_REQUEST",
    )


def _apply(command: list[str], env: dict[str, str], say: Callable[[str], object]) -> tuple[int, str]:
    """Run the apply, saying its plan, then how many resources it has made at most every
    ``PROGRESS_EVERY_S``, then its closing line; returns its exit status and all it printed."""
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    assert process.stdout is not None
    lines: list[str] = []
    planned, made, last = "?", 0, time.monotonic()
    for line in process.stdout:
        lines.append(line)
        if line.startswith("Plan: "):  # "Plan: 88 to add, 0 to change, 0 to destroy."
            planned = line.split()[1]
            say(f"    terraform apply: {line.strip()}")
        elif ": Creation complete after " in line:
            made += 1
            if time.monotonic() - last >= PROGRESS_EVERY_S:
                say(f"    terraform apply: {made} of {planned} resources made")
                last = time.monotonic()
        elif line.startswith("Apply complete!"):
            say(f"    terraform apply: {line.strip()}")
    return process.wait(), "".join(lines)
