"""`sluice local up --runtime docker` keeps the stages' logs: each line a stage's container writes
reaches the stage log as it is written, and is not lost when the container is removed."""

from __future__ import annotations

import json

from sluice_tools.local.containers import stage_container
from support.apigateway import http_api_event
from support.factories import player_json
from support.services import AWS_ENV


def test_a_containers_lines_reach_the_log_as_it_writes_them(images, aws, pipeline):
    # GIVEN the ingest image running with a log to copy its lines into
    lines: list[str] = []
    env = {**AWS_ENV, "AWS_ENDPOINT_URL": aws, "SLUICE_RAW_STREAM": pipeline.raw_stream}
    with stage_container(images["stages"]["ingest"]["image"], env, log=lines.append) as container:
        # WHEN a request reaches it
        container.invoke(http_api_event(json.dumps([player_json(), player_json("pause")])))
    # THEN its metric line for that request was copied, whole, before the container was removed
    emitted = [json.loads(line) for line in lines if line.startswith("{")]
    assert [line["EventsAccepted"] for line in emitted if line.get("Stage") == "ingest"] == [2.0]
