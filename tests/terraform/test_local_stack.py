"""The local stack applied with the real AWS provider against moto in server mode: the resources
exist as configured, then a destroy removes them."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest
from support.aws import aws_client

ROOT = Path(__file__).resolve().parents[2]
STACK = ROOT / "terraform/envs/local"


def _terraform(*args: str, state: Path, endpoint: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "TF_IN_AUTOMATION": "1", "TF_CLI_CONFIG_FILE": "/dev/null"}
    command = ["terraform", f"-chdir={STACK}", *args]
    if args[0] in ("apply", "destroy", "output"):
        command.append(f"-state={state}")
    if args[0] in ("apply", "destroy"):
        command += ["-auto-approve", "-input=false", "-no-color", f"-var=aws_endpoint={endpoint}"]
    return subprocess.run(command, capture_output=True, text=True, env=env, timeout=900, check=False)


@pytest.fixture(scope="module")
def applied(moto_url, tmp_path_factory):
    if shutil.which("terraform") is None:
        pytest.skip("terraform is not installed")
    checked = subprocess.run(
        [str(ROOT / "terraform/bin/tf-check"), "validate"], capture_output=True, text=True, check=False
    )
    assert checked.returncode == 0, checked.stderr + checked.stdout  # also runs init from the mirror
    state = tmp_path_factory.mktemp("tfstate") / "local.tfstate"
    applied = _terraform("apply", state=state, endpoint=moto_url)
    assert applied.returncode == 0, applied.stdout[-4000:] + applied.stderr[-4000:]
    outputs = json.loads(_terraform("output", "-json", state=state, endpoint=moto_url).stdout)
    yield outputs["settings"]["value"], state
    destroyed = _terraform("destroy", state=state, endpoint=moto_url)
    assert destroyed.returncode == 0, destroyed.stdout[-4000:] + destroyed.stderr[-4000:]
    assert aws_client("kinesis", moto_url).list_streams()["StreamNames"] == []


def test_streams_are_encrypted_with_customer_keys(applied, moto_url):
    settings, _ = applied
    kinesis = aws_client("kinesis", moto_url)
    for stream in (settings["raw_stream"], settings["clean_stream"]):
        summary = kinesis.describe_stream_summary(StreamName=stream)["StreamDescriptionSummary"]
        assert summary["EncryptionType"] == "KMS"
        assert summary["StreamModeDetails"]["StreamMode"] == "ON_DEMAND"


def test_lake_bucket_and_firehoses(applied, moto_url):
    settings, _ = applied
    s3 = aws_client("s3", moto_url)
    block = s3.get_public_access_block(Bucket=settings["lake_bucket"])["PublicAccessBlockConfiguration"]
    assert all(block.values())
    assert s3.get_bucket_versioning(Bucket=settings["lake_bucket"])["Status"] == "Enabled"
    firehose = aws_client("firehose", moto_url)
    lake = firehose.describe_delivery_stream(DeliveryStreamName=settings["lake_firehose"])["DeliveryStreamDescription"]
    destination = lake["Destinations"][0]["ExtendedS3DestinationDescription"]
    assert destination["Prefix"].startswith("events/event_type=!{partitionKeyFromQuery:event_type}")
    assert destination["CompressionFormat"] == "GZIP"
    failed = firehose.describe_delivery_stream(DeliveryStreamName=settings["failed_firehose"])[
        "DeliveryStreamDescription"
    ]
    assert failed["Destinations"][0]["ExtendedS3DestinationDescription"]["Prefix"].startswith("failed/")


def test_functions_and_their_triggers(applied, moto_url):
    settings, _ = applied
    lambdas = aws_client("lambda", moto_url)
    functions = settings["functions"]
    assert set(functions) == {"ingest", "processor", "loader", "monitor"}  # no search leg locally
    processor = lambdas.get_function(FunctionName=functions["processor"])
    assert processor["Configuration"]["PackageType"] == "Image"
    assert "@sha256:" in processor["Code"]["ImageUri"]
    assert processor["Configuration"]["Environment"]["Variables"]["SLUICE_CLEAN_STREAM"] == settings["clean_stream"]
    every = lambdas.list_event_source_mappings()["EventSourceMappings"]

    def mappings_of(stage: str) -> list[dict]:
        return [m for m in every if m["FunctionArn"].endswith(f":function:{functions[stage]}")]

    (mapping,) = [
        m for m in mappings_of("processor") if m["EventSourceArn"].endswith(f":stream/{settings['raw_stream']}")
    ]
    assert mapping["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert mapping["BisectBatchOnFunctionError"] is True
    assert mapping["MaximumRetryAttempts"] == 10
    assert mapping["DestinationConfig"]["OnFailure"]["Destination"].endswith("sluice-processor-on-failure")
    (monitor,) = mappings_of("monitor")
    assert monitor["TumblingWindowInSeconds"] == 60
    loader = lambdas.get_function(FunctionName=functions["loader"])["Configuration"]["Environment"]["Variables"]
    assert loader["SLUICE_WAREHOUSE_URL"].startswith("postgresql+psycopg2://")
    assert settings["triggers"]["processor"]["batch_size"] == mapping["BatchSize"]


def test_new_lake_objects_notify_the_loader_queue(applied, moto_url):
    settings, _ = applied
    config = aws_client("s3", moto_url).get_bucket_notification_configuration(Bucket=settings["lake_bucket"])
    (queue,) = config["QueueConfigurations"]
    assert queue["QueueArn"].endswith("sluice-loader")
    assert aws_client("sqs", moto_url).get_queue_url(QueueName="sluice-loader")["QueueUrl"] == settings["loader_queue"]


def test_monitoring_topic_and_table(applied, moto_url):
    settings, _ = applied
    assert settings["alert_topic_arn"].endswith(":sluice-alerts")
    table = aws_client("dynamodb", moto_url).describe_table(TableName=settings["health_table"])["Table"]
    assert [k["AttributeName"] for k in table["KeySchema"]] == ["pk", "sk"]


def test_the_recorded_local_settings_are_what_the_stack_outputs(applied):
    """`sluice local up` without Terraform creates resources from this record: it must be the
    stack's own output, not a second list."""
    from sluice_tools.local.provision import normalise_settings, recorded_settings

    settings, _ = applied
    assert normalise_settings(settings) == recorded_settings(ROOT)


def test_the_health_evaluation_runs_on_a_schedule_from_the_monitor_image(applied, moto_url):
    settings, _ = applied
    schedule = aws_client("scheduler", moto_url).get_schedule(Name="sluice-health-evaluation")
    assert schedule["ScheduleExpression"] == "rate(1 minute)"
    target = schedule["Target"]
    assert target["Arn"].endswith(":function:sluice-health-evaluator")
    assert json.loads(target["Input"]) == {"scheduled_time": "<aws.scheduler.scheduled-time>"}
    lambdas = aws_client("lambda", moto_url)
    evaluator = lambdas.get_function(FunctionName="sluice-health-evaluator")
    monitor = lambdas.get_function(FunctionName=settings["functions"]["monitor"])
    # the monitor's image, its second handler: not a sixth image
    assert evaluator["Code"]["ImageUri"] == monitor["Code"]["ImageUri"]
    assert evaluator["Configuration"]["ImageConfigResponse"]["ImageConfig"]["Command"] == [
        "sluice_monitor.handler.evaluate"
    ]
    assert evaluator["Concurrency"]["ReservedConcurrentExecutions"] == 1
    variables = evaluator["Configuration"]["Environment"]["Variables"]
    assert variables["SLUICE_HEALTH_WINDOW_SECONDS"] == "60"
    assert variables["SLUICE_ALERT_TOPIC_ARN"] == settings["alert_topic_arn"]


def test_the_cdn_log_stream_its_key_and_cloudfronts_role(applied, moto_url):
    """The real-time log configuration itself cannot be made in moto (no real-time log API); the
    stream it writes to, the stream's key and the role CloudFront assumes are."""
    _, state = applied
    cdn_logs = json.loads(_terraform("output", "-json", state=state, endpoint=moto_url).stdout)["cdn_logs"]["value"]
    assert cdn_logs["realtime_log_config_arn"] is None
    summary = aws_client("kinesis", moto_url).describe_stream_summary(StreamName=cdn_logs["stream_name"])[
        "StreamDescriptionSummary"
    ]
    assert cdn_logs["stream_name"] == "sluice-cdn-logs"
    assert summary["EncryptionType"] == "KMS"
    assert summary["KeyId"] == cdn_logs["kms_key_arn"]
    assert summary["RetentionPeriodHours"] == 24  # it holds every request's full client address
    key_id = cdn_logs["kms_key_arn"].rsplit("/", 1)[-1]
    assert aws_client("kms", moto_url).get_key_rotation_status(KeyId=key_id)["KeyRotationEnabled"] is True
    iam = aws_client("iam", moto_url)
    role_name = cdn_logs["role_arn"].rsplit("/", 1)[-1]
    (trust,) = iam.get_role(RoleName=role_name)["Role"]["AssumeRolePolicyDocument"]["Statement"]
    assert trust["Principal"] == {"Service": "cloudfront.amazonaws.com"}
    (policy_name,) = iam.list_role_policies(RoleName=role_name)["PolicyNames"]
    statements = iam.get_role_policy(RoleName=role_name, PolicyName=policy_name)["PolicyDocument"]["Statement"]
    granted = {(action, statement["Resource"]) for statement in statements for action in _as_list(statement["Action"])}
    assert granted == {
        ("kinesis:DescribeStreamSummary", cdn_logs["stream_arn"]),
        ("kinesis:DescribeStream", cdn_logs["stream_arn"]),
        ("kinesis:PutRecord", cdn_logs["stream_arn"]),
        ("kinesis:PutRecords", cdn_logs["stream_arn"]),
        ("kms:GenerateDataKey", cdn_logs["kms_key_arn"]),
    }


def test_the_processor_reads_the_cdn_log_stream_as_its_second_input(applied, moto_url):
    """The processor's second event source mapping is the CDN-log stream, with the raw stream's
    safe settings and on-failure queue; it is told the stand-in's field order (no configuration
    to ask: the emulator has no real-time log API) and may read that stream and its key only."""
    from sluice.cdn.config import local_fields

    settings, state = applied
    cdn_logs = json.loads(_terraform("output", "-json", state=state, endpoint=moto_url).stdout)["cdn_logs"]["value"]
    lambdas = aws_client("lambda", moto_url)
    processor = settings["functions"]["processor"]
    mappings = [
        m
        for m in lambdas.list_event_source_mappings()["EventSourceMappings"]
        if m["FunctionArn"].endswith(f":function:{processor}")
    ]
    by_stream = {m["EventSourceArn"].rsplit("/", 1)[-1]: m for m in mappings}
    assert set(by_stream) == {settings["raw_stream"], cdn_logs["stream_name"]}
    raw, cdn = by_stream[settings["raw_stream"]], by_stream[cdn_logs["stream_name"]]
    assert cdn["EventSourceArn"] == cdn_logs["stream_arn"]
    assert cdn["FunctionResponseTypes"] == ["ReportBatchItemFailures"]
    assert cdn["BisectBatchOnFunctionError"] is True
    for setting in (
        "BatchSize",
        "MaximumBatchingWindowInSeconds",
        "ParallelizationFactor",
        "MaximumRetryAttempts",
        "MaximumRecordAgeInSeconds",
    ):
        assert cdn[setting] == raw[setting], setting
    assert cdn["StartingPosition"] == "TRIM_HORIZON"
    assert cdn["DestinationConfig"]["OnFailure"]["Destination"].endswith(":sluice-processor-on-failure")

    variables = lambdas.get_function(FunctionName=processor)["Configuration"]["Environment"]["Variables"]
    assert variables["SLUICE_CDN_LOG_STREAM"] == cdn_logs["stream_arn"]
    assert variables["SLUICE_CDN_LOG_FIELDS"].split(",") == local_fields()
    assert variables["SLUICE_CDN_SAMPLING_RATE"] == "100"
    assert "SLUICE_CDN_REALTIME_LOG_CONFIG" not in variables

    iam = aws_client("iam", moto_url)
    role = lambdas.get_function(FunctionName=processor)["Configuration"]["Role"].rsplit("/", 1)[-1]
    (policy_name,) = iam.list_role_policies(RoleName=role)["PolicyNames"]
    statements = iam.get_role_policy(RoleName=role, PolicyName=policy_name)["PolicyDocument"]["Statement"]
    granted = {statement["Sid"]: statement for statement in statements}
    assert _as_list(granted["ReadCdnLogs"]["Resource"]) == [cdn_logs["stream_arn"]]
    assert "kinesis:GetRecords" in _as_list(granted["ReadCdnLogs"]["Action"])
    assert _as_list(granted["DecryptCdnLogs"]["Resource"]) == [cdn_logs["kms_key_arn"]]
    assert _as_list(granted["DecryptCdnLogs"]["Action"]) == ["kms:Decrypt"]
    assert "ReadCdnLogConfig" not in granted  # no configuration to read locally
    reading_the_log_stream = {sid for sid, st in granted.items() if cdn_logs["stream_arn"] in _as_list(st["Resource"])}
    assert reading_the_log_stream == {"ReadCdnLogs"}


def _as_list(value: str | list[str]) -> list[str]:
    return [value] if isinstance(value, str) else value
