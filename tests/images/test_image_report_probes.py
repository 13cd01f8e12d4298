"""`make image-report`'s probes, run in the real images: each first invocation builds the stage's
clients and makes its real calls (the emulator, the warehouse and the bulk endpoint see them), the
bare image's builds one botocore client whose call reaches the same emulator, and a stage whose
call fails gives no figure."""

from __future__ import annotations

import base64
import dataclasses
from typing import Any

import pytest
from sluice_tools.local import image_report
from sluice_tools.local.image_report import BARE, ReportError, build_bare, endpoints, images_codec, measure, probes
from sqlalchemy import create_engine, text


def _raw_data(found: image_report.Endpoints, stream: str) -> list[bytes]:
    """Every record's data on the stream (its one shard: the local stack's streams start with one)."""
    kinesis, name = found.client("kinesis"), found.settings[stream]
    data = []
    for shard in kinesis.list_shards(StreamName=name)["Shards"]:
        iterator = kinesis.get_shard_iterator(
            StreamName=name, ShardId=shard["ShardId"], ShardIteratorType="TRIM_HORIZON"
        )["ShardIterator"]
        data += [record["Data"] for record in kinesis.get_records(ShardIterator=iterator)["Records"]]
    return data


def _seen(found: image_report.Endpoints, stage: str) -> Any:
    """What the stage's calls left where a user would look for them."""
    if stage == "ingest":
        return len(_raw_data(found, "raw_stream"))
    if stage == "processor":
        return len(_raw_data(found, "clean_stream"))
    if stage == "indexer":
        return image_report._BulkEndpoint.requests
    if stage == "loader":
        engine = create_engine(found.warehouse_url)
        try:
            with engine.connect() as connection:
                return connection.execute(text("SELECT count(*) FROM player_events")).scalar()
        finally:
            engine.dispose()
    table = found.settings["health_table"]
    return found.client("dynamodb").scan(TableName=table, Select="COUNT")["Count"]


def test_the_bare_image_builds_one_botocore_client_and_its_call_reaches_the_emulator(images):
    bare = build_bare(images["base"]["image"])
    with endpoints([]) as found:
        timing = measure(bare, BARE, probes(found)[BARE], found)
        assert _raw_data(found, "raw_stream") == [b"bare"]
    assert 0 < timing.init_ms < timing.first_ms


@pytest.mark.parametrize("stage", ["ingest", "processor", "indexer", "loader", "monitor"])
def test_a_stage_probe_builds_its_clients_and_its_calls_reach_the_local_endpoints(images, stage):
    with endpoints([stage], images_codec(images["base"]["image"])) as found:
        before = _seen(found, stage)
        timing = measure(images["stages"][stage]["image"], stage, probes(found)[stage], found)
        after = _seen(found, stage)
    assert after == before + 1
    assert 0 < timing.init_ms < timing.first_ms


def test_a_stage_whose_call_fails_gives_no_figure(images):
    image = images["stages"]["ingest"]["image"]
    with endpoints(["ingest"]) as found:
        probe = probes(found)["ingest"]
        broken = dataclasses.replace(probe, env={**probe.env, "SLUICE_RAW_STREAM": "no-such-stream"})
        with pytest.raises(ReportError) as caught:
            measure(image, "ingest", broken, found)
    assert str(caught.value).startswith(f"ingest ({image}) answered its probe with ")
    assert str(caught.value).endswith("not what a stage whose calls succeeded answers")


def test_a_probe_the_stage_turns_into_a_failed_event_gives_no_figure(images):
    # GIVEN an event of a schema the image does not know: the processor writes it as a failed event
    image = images["stages"]["processor"]["image"]
    with endpoints(["processor"]) as found:
        probe = probes(found)["processor"]
        unknown = dataclasses.replace(probe, event=lambda: _with_fingerprint(probe.event(), b"\x00" * 8))
        with pytest.raises(ReportError) as caught:
            measure(image, "processor", unknown, found)
    assert str(caught.value) == (
        f"processor ({image}) wrote a failed event for its probe: the event did not take the stage's path"
    )


def _with_fingerprint(event: dict[str, Any], fingerprint: bytes) -> dict[str, Any]:
    record = event["Records"][0]["kinesis"]
    data = base64.b64decode(record["data"])
    record["data"] = base64.b64encode(data[:2] + fingerprint + data[10:]).decode("ascii")
    return event
