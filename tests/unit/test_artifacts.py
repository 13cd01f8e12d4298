"""Artifacts generated from the schemas: the flat row, the OpenSearch template, the DDL."""

from __future__ import annotations

import re

from support.factories import avro_record

from sluice.artifacts.columns import event_columns, flattener
from sluice.artifacts.opensearch import index_template
from sluice.artifacts.warehouse import create_table_ddl
from sluice.events.registry import PLAYER_EVENT, default_registry


def test_columns_cover_envelope_nested_records_and_payload_fields():
    names = [c.name for c in event_columns()]
    assert names[:6] == ["event_id", "event_type", "session_id", "sequence", "client_time", "server_time"]
    for name in (
        "player_version",
        "cdn_name",
        "content_id",
        "ingest_country",
        "enrichment_device_class",
        "bitrate_kbps",
        "fatal",
        "quartile",
    ):
        assert name in names
    assert len(names) == len(set(names))


def test_a_flat_row_has_exactly_the_columns():
    row = flattener()(avro_record("heartbeat"))
    assert list(row) == [c.name for c in event_columns()]
    assert row["bitrate_kbps"] == 3000
    assert row["client_time"] == "2026-11-26T07:59:58.250Z"
    assert row["fatal"] is None


def test_opensearch_template_maps_every_column_strictly():
    template = index_template("sluice-events")
    mappings = template["template"]["mappings"]
    assert template["index_patterns"] == ["sluice-events-*"]
    assert mappings["dynamic"] == "strict"
    assert set(mappings["properties"]) == {c.name for c in event_columns()}
    assert mappings["properties"]["client_time"]["type"] == "date"
    assert mappings["properties"]["bitrate_kbps"]["type"] == "long"
    assert mappings["properties"]["message"]["type"] == "text"
    assert mappings["_meta"]["fingerprint"] == default_registry().latest(PLAYER_EVENT).fingerprint_hex


def test_redshift_ddl_has_dist_and_sort_keys_and_every_column():
    ddl = create_table_ddl("redshift")
    assert "DISTSTYLE KEY DISTKEY (session_id) SORTKEY (client_time)" in ddl
    for column in event_columns():
        assert re.search(rf"^\s+{column.name} ", ddl, re.M), column.name
    assert "client_time TIMESTAMP WITHOUT TIME ZONE NOT NULL" in ddl
    assert "message VARCHAR(2048)" in ddl


def test_postgresql_ddl_is_the_same_table_without_redshift_clauses():
    ddl = create_table_ddl("postgresql")
    assert "DISTKEY" not in ddl and "PRIMARY KEY (event_id)" in ddl


def test_the_committed_glue_columns_are_generated_from_the_schemas():
    import json
    from pathlib import Path

    from sluice.artifacts.glue import glue_columns

    committed = json.loads((Path(__file__).resolve().parents[2] / "terraform/generated/glue_columns.json").read_text())
    assert committed == glue_columns(), "run: sluice schemas render glue > terraform/generated/glue_columns.json"


def test_the_web_sdks_contract_module_is_generated_from_the_schemas():
    from pathlib import Path

    from sluice.artifacts.web import web_contract_module

    committed = (Path(__file__).resolve().parents[2] / "clients/web/src/contract.generated.js").read_text()
    assert committed == web_contract_module(), "run: sluice schemas render web > clients/web/src/contract.generated.js"
