"""An index created under an earlier schema's template, then ``sluice opensearch bootstrap``: an
index keeps the mapping it was made with, and the event indices are ``dynamic: strict``, so until
bootstrap adds the template's fields to it a flagged (v4) document is refused there."""

from __future__ import annotations

import copy

from sluice_tools.artifacts.opensearch import index_template
from sluice_tools.cli.main import main
from sluice_tools.opensearch.client import build_client
from sluice_tools.opensearch.security import WRITER_ROLE
from support.aws import failed_events
from support.factories import clean_record, kinesis_event
from support.opensearch_double import bulk_double
from support.stages import indexer

from sluice.events.codec import Codec
from sluice.runtime.deadline import Deadline
from sluice.sinks.opensearch.client import ClusterConfig

V4_FIELDS = ("enrichment_traffic_class", "enrichment_traffic_reason")


def _v3_template() -> dict:
    """The template as the schema before the traffic flags generated it."""
    template = copy.deepcopy(index_template("sluice-events"))
    mappings = template["template"]["mappings"]
    for name in V4_FIELDS:
        del mappings["properties"][name]
    mappings["_meta"] = {"schema": "player_event.v3", "fingerprint": "018f282da165033e"}
    return template


def _flagged() -> dict:
    record = clean_record()
    record["enrichment"]["traffic_class"], record["enrichment"]["traffic_reason"] = "bot", "pattern:Headless"
    return record


def test_bootstrap_brings_an_index_made_under_the_v3_template_up_so_flagged_events_are_stored(aws, pipeline, capsys):
    viewer, flagged = clean_record(), _flagged()
    with bulk_double() as cluster:
        client = build_client(ClusterConfig(url=cluster.url))
        # GIVEN today's index created under the v3 template, then the v4 template installed over it
        client.indices.put_index_template(name="sluice-events", body=_v3_template())
        stage = indexer(aws, pipeline, cluster.url)
        assert stage.handle(kinesis_event([Codec().encode(viewer)]), Deadline.after(30)) == {"batchItemFailures": []}
        client.indices.put_index_template(name="sluice-events", body=index_template("sluice-events"))
        # WHEN a flagged event comes: the index refuses it (strict), and it becomes a failed event
        replay = kinesis_event([Codec().encode(flagged)])
        assert stage.handle(replay, Deadline.after(30)) == {"batchItemFailures": []}
        assert set(cluster.documents()) == {viewer["event_id"]}
        (refused,) = failed_events(aws, pipeline.lake_bucket)
        assert refused.event_id == flagged["event_id"] and refused.failure_type == "sink_rejection"
        assert "strict_dynamic_mapping_exception" in refused.error and "enrichment_traffic_" in refused.error
        # THEN bootstrap adds the template's fields to the existing index, and the replay is stored
        assert main(["opensearch", "bootstrap", "--url", cluster.url]) == 0
        out = capsys.readouterr().out
        assert "index template sluice-events: unchanged" in out
        assert "existing indices sluice-events-*: 1 of 1 gained the template's fields" in out
        assert stage.handle(replay, Deadline.after(30)) == {"batchItemFailures": []}
        stored = cluster.documents()
        assert set(stored) == {viewer["event_id"], flagged["event_id"]}
        assert (
            stored[flagged["event_id"]]["enrichment_traffic_class"],
            len(failed_events(aws, pipeline.lake_bucket)),
        ) == ("bot", 1)
        # and a second run has nothing to add
        assert main(["opensearch", "bootstrap", "--url", cluster.url]) == 0
        assert "existing indices sluice-events-*: 0 of 1 gained the template's fields" in capsys.readouterr().out


def test_bootstrap_says_when_an_existing_index_cannot_take_a_changed_type(capsys, tmp_path):
    with bulk_double() as cluster:
        client = build_client(ClusterConfig(url=cluster.url))
        # GIVEN an index whose traffic_class field was mapped with another type
        old = _v3_template()["template"]["mappings"]
        old["properties"]["enrichment_traffic_class"] = {"type": "long"}
        client.indices.create(index="sluice-events-2025.01.01", body={"mappings": old})
        # WHEN bootstrap runs
        status = main(["opensearch", "bootstrap", "--url", cluster.url, "--map-role", "arn:aws:iam::1:role/x"])
        # THEN it says why the index could not change and exits 1; the rest was still installed
        captured = capsys.readouterr()
        assert status == 1
        assert "cannot be changed from type [long] to [keyword]" in captured.err
        assert "reindex" in captured.err and "Traceback" not in captured.err
        assert "index template sluice-events: created" in captured.out
        assert f"role {WRITER_ROLE}: created" in captured.out
        assert "enrichment_traffic_reason" not in cluster.mappings["sluice-events-2025.01.01"]["properties"]
