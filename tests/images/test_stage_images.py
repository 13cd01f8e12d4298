"""Every stage image, run by the engine on the host network against the Runtime API harness,
with its real trigger shape; its sinks are moto in server mode, the embedded PostgreSQL and the
bulk double on the host."""

from __future__ import annotations

import json
import subprocess
import time
from pathlib import Path

import pytest
from sluice_tools.local.containers import docker_binary, stage_container
from sluice_tools.local.runtime_api import InvocationError
from sluice_tools.opensearch.bootstrap import bootstrap
from sluice_tools.opensearch.client import build_client
from sqlalchemy import text
from support.apigateway import body_of, http_api_event
from support.aws import create_monitoring, kinesis_events_by_shard, notify_queue, read_stream, sqs_event, stream_events
from support.factories import clean_encoded, kinesis_event, player_json
from support.opensearch_double import bulk_double
from support.services import AWS_ENV, tcp_to_unix
from support.stages import processor

from sluice.monitor.aggregate import WindowAggregates
from sluice.runtime.deadline import Deadline
from sluice.sinks.opensearch.client import ClusterConfig


def _env(aws: str, **extra: str) -> dict[str, str]:
    # Credentials are handed to the container at run time, as Lambda does; the image holds none.
    return {**AWS_ENV, "AWS_ENDPOINT_URL": aws, **extra}


def test_ingest_image_takes_an_http_api_event_and_writes_the_raw_stream(images, aws, pipeline):
    events = [player_json(), player_json("pause"), player_json(sequence="x")]
    with stage_container(
        images["stages"]["ingest"]["image"], _env(aws, SLUICE_RAW_STREAM=pipeline.raw_stream)
    ) as container:
        response = container.invoke(http_api_event(json.dumps(events)))
    assert response["statusCode"] == 200
    assert body_of(response)["accepted"] == 2
    assert [r["index"] for r in body_of(response)["rejected"]] == [2]
    assert len(read_stream(aws, pipeline.raw_stream)) == 2


def test_processor_image_routes_a_kinesis_batch_to_the_lake(images, aws, pipeline):
    from support.aws import bucket_lines
    from support.stages import ingest_service

    ingest_service(aws, pipeline).handle(
        http_api_event(json.dumps([player_json() for _ in range(5)])), Deadline.after(10)
    )
    env = _env(
        aws,
        SLUICE_LAKE_FIREHOSE=pipeline.lake_firehose,
        SLUICE_CLEAN_STREAM=pipeline.clean_stream,
        SLUICE_FAILED_FIREHOSE=pipeline.failed_firehose,
        SLUICE_MAX_LATENESS_HOURS="100000",
    )
    with stage_container(images["stages"]["processor"]["image"], env) as container:
        for event in kinesis_events_by_shard(read_stream(aws, pipeline.raw_stream)):
            assert container.invoke(event) == {"batchItemFailures": []}
    assert len(bucket_lines(aws, pipeline.lake_bucket, "events/")) == 5
    assert len(stream_events(aws, pipeline.clean_stream)) == 5  # in aggregated records (SLUICE_CLEAN_AGGREGATE)


def test_indexer_image_indexes_into_the_bulk_double(images, aws, pipeline):
    with bulk_double() as cluster:
        bootstrap(build_client(ClusterConfig(url=cluster.url)), "sluice-events")
        env = _env(aws, SLUICE_OPENSEARCH_URL=cluster.url, SLUICE_FAILED_FIREHOSE=pipeline.failed_firehose)
        with stage_container(images["stages"]["indexer"]["image"], env) as container:
            assert container.invoke(kinesis_event([clean_encoded() for _ in range(4)])) == {"batchItemFailures": []}
        assert cluster.count() == 4


def test_loader_image_loads_sqs_wrapped_s3_notifications_into_postgresql(images, aws, pipeline, warehouse):
    queue = notify_queue(aws, pipeline.lake_bucket)
    processor(aws, pipeline).handle(kinesis_event([clean_encoded() for _ in range(6)]), Deadline.after(30))
    socket_path = f"{warehouse.url.query['host']}/.s.PGSQL.{warehouse.url.port or 5432}"
    with tcp_to_unix(socket_path) as port:
        url = warehouse.url.set(host="127.0.0.1", port=port, query={}).render_as_string(hide_password=False)
        env = _env(aws, SLUICE_WAREHOUSE_URL=url, SLUICE_FAILED_FIREHOSE=pipeline.failed_firehose)
        with stage_container(images["stages"]["loader"]["image"], env) as container:
            response = container.invoke(sqs_event(aws, queue, max_messages=50))
            assert response == {"batchItemFailures": []}, container.logs()[-2000:]
    with warehouse.connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM player_events")).scalar() == 6


def test_monitor_image_closes_a_tumbling_window_and_its_second_handler_judges_it(images, aws, pipeline):
    monitoring = create_monitoring(aws)
    env = _env(
        aws,
        SLUICE_ALERT_TOPIC_ARN=monitoring.topic_arn,
        SLUICE_HEALTH_TABLE=monitoring.health_table,
        SLUICE_FAILED_FIREHOSE=pipeline.failed_firehose,
    )
    now = int(time.time())
    window = {
        "start": time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(now)),
        "end": time.strftime("%Y-%m-%dT%H:%M:00Z", time.gmtime(now + 60)),
    }
    batch = kinesis_event([clean_encoded() for _ in range(3)])
    with stage_container(images["stages"]["monitor"]["image"], env) as container:
        first = container.invoke(
            {**batch, "window": window, "state": {}, "shardId": "shardId-000000000000", "isFinalInvokeForWindow": False}
        )
        final = container.invoke(
            {
                "Records": [],
                "window": window,
                "state": first["state"],
                "shardId": "shardId-000000000000",
                "isFinalInvokeForWindow": True,
            }
        )
        logs = container.logs()
    # the same image, its evaluation handler (as the function's image_config command names it)
    image = images["stages"]["monitor"]["image"]
    with stage_container(image, env, handler="sluice_monitor.handler.evaluate") as evaluation:
        due = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(now + 60 + 60 + 60))  # window, delay, margin
        judged = evaluation.invoke({"scheduled_time": due})
    assert WindowAggregates.from_state(first["state"]).everything.counts["events"] == 3
    assert final == {"state": {}, "batchItemFailures": []}
    assert '"Namespace": "Sluice/PlayerHealth"' in logs
    assert judged == {"evaluated": [window["start"]], "messages": []}


def test_a_handler_exception_comes_back_as_a_lambda_error_with_its_type(images, aws, pipeline):
    env = _env(
        aws,
        SLUICE_ALERT_TOPIC_ARN="arn:aws:sns:eu-west-1:123456789012:x",
        SLUICE_HEALTH_TABLE="t",
        SLUICE_FAILED_FIREHOSE=pipeline.failed_firehose,
    )
    with (
        stage_container(images["stages"]["monitor"]["image"], env) as container,
        pytest.raises(InvocationError) as caught,
    ):
        container.invoke({"Records": []})  # no tumbling window configured
    assert caught.value.error["errorType"] == "ValueError"
    assert "tumbling window" in caught.value.error["errorMessage"]


# What each handler must not import when it loads: other stages' libraries, and no AWS client
# library before the first invocation builds one.
NOT_AT_IMPORT = {
    "ingest": ("ua_parser", "boto3", "importlib.resources"),
    "processor": ("ua_parser", "boto3", "importlib.resources"),
    "indexer": ("ua_parser", "boto3", "importlib.resources"),
    "loader": ("ua_parser", "boto3", "importlib.resources", "fastavro"),  # Avro for failed events only
    "monitor": ("ua_parser", "boto3", "importlib.resources", "sluice.monitor.evaluator", "http.client"),
}


@pytest.mark.parametrize("stage", sorted(NOT_AT_IMPORT))
def test_images_run_as_non_root_hold_no_credentials_and_import_lazily(images, stage):
    image = images["stages"][stage]["image"]
    probe = (
        f"import os, sys, importlib; importlib.import_module('sluice_{stage}.handler');"
        f"print(json.dumps({{'uid': os.getuid(), 'modules': sorted(m for m in {NOT_AT_IMPORT[stage]!r} if m in sys.modules)}}))"
    )
    result = subprocess.run(
        [docker_binary(), "run", "--rm", "--entrypoint", "python3", image, "-c", "import json; " + probe],
        capture_output=True,
        text=True,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    facts = json.loads(result.stdout)
    assert facts["uid"] == 10001
    assert facts["modules"] == []
    config = json.loads(
        subprocess.run([docker_binary(), "image", "inspect", image], capture_output=True, text=True, check=True).stdout
    )[0]["Config"]
    assert config["User"] == "10001"
    assert not config.get("Cmd")  # one recipe: the handler is the entrypoint's default
    assert f"SLUICE_HANDLER=sluice_{stage}.handler.handle" in config["Env"]
    names = [e.split("=", 1)[0] for e in config["Env"]]
    assert not [
        n for n in names if any(word in n for word in ("SECRET", "PASSWORD", "ACCESS_KEY", "TOKEN", "CREDENTIAL"))
    ]
    history = subprocess.run(
        [docker_binary(), "history", "--no-trunc", "--format", "{{.CreatedBy}}", image],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert "BEGIN CERTIFICATE" not in history and "pip_ca" not in history.replace("id=pip_ca", "")


# What no stage image carries: the CLI's libraries (SQLAlchemy for migrations, opensearch-py for
# cluster administration, and what they pull in), and the local tools.
# The tools distribution (sluice_tools: the CLI, the local pipeline, cost, traffic, the report)
# and what only the tools use: an image installs the runtime alone.
NOT_IN_ANY_IMAGE = (
    "sluice_tools",
    "opensearchpy",
    "sqlalchemy",
    "sqlalchemy_redshift",
    "requests",
    "moto",
    "pgserver",
    "plotly",
)
ONLY_IN = {"psycopg2": "loader", "ua_parser": "processor"}


@pytest.mark.parametrize("stage", sorted(NOT_AT_IMPORT))
def test_a_stage_image_carries_only_its_own_libraries(images, stage):
    image = images["stages"][stage]["image"]
    names = [*NOT_IN_ANY_IMAGE, *ONLY_IN]
    result = subprocess.run(
        [
            docker_binary(),
            "run",
            "--rm",
            "--entrypoint",
            "python3",
            image,
            "-c",
            f"import importlib.util as u; print(' '.join(m for m in {names!r} if u.find_spec(m)))",
        ],
        capture_output=True,
        text=True,
        check=True,
    )
    assert result.stdout.split() == [m for m, owner in ONLY_IN.items() if owner == stage]


def test_the_entrypoint_uses_the_emulator_when_there_is_no_runtime_api(images, tmp_path: Path):
    image = images["stages"]["ingest"]["image"]
    no_emulator = subprocess.run([docker_binary(), "run", "--rm", image], capture_output=True, text=True, check=False)
    assert no_emulator.returncode == 64
    assert "no emulator at /aws-lambda/aws-lambda-rie" in no_emulator.stderr
    tmp_path.chmod(0o755)  # readable by the image's non-root user
    fake = tmp_path / "aws-lambda-rie"
    fake.write_text('#!/bin/sh\necho "emulator ran: $*"\n')
    fake.chmod(0o755)
    with_emulator = subprocess.run(
        [docker_binary(), "run", "--rm", "-v", f"{tmp_path}:/aws-lambda:ro", image],
        capture_output=True,
        text=True,
        check=False,
    )
    assert (
        with_emulator.stdout.strip()
        == "emulator ran: /opt/venv/bin/python -m awslambdaric sluice_ingest.handler.handle"
    )


def test_the_lock_file_records_every_stage_and_its_base(images):
    assert set(images["stages"]) == {"ingest", "processor", "indexer", "loader", "monitor"}
    for entry in images["stages"].values():
        assert entry["id"].startswith("sha256:") and entry["base"] == images["base"]["image"]
        assert entry["size_bytes"] < 200_000_000
