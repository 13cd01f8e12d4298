"""Artifacts generated from the schemas: the flat row, the OpenSearch template, the DDL."""

from __future__ import annotations

import re

from sluice_tools.artifacts.opensearch import index_template
from sluice_tools.artifacts.warehouse import create_table_ddl
from support.factories import avro_record

from sluice.artifacts.columns import event_columns, flattener
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


def test_the_committed_glue_table_is_generated_from_the_schemas():
    import json
    from pathlib import Path

    from sluice_tools.artifacts.glue import glue_table

    committed = json.loads((Path(__file__).resolve().parents[2] / "terraform/generated/glue_table.json").read_text())
    assert committed == glue_table(), "run: sluice schemas render glue > terraform/generated/glue_table.json"
    assert "heartbeat" in committed["event_types"] and "cmcd" in committed["event_types"]
    assert "event_type" not in {c["name"] for c in committed["columns"]}  # a partition key, not a column


def test_the_web_sdks_contract_module_is_generated_from_the_schemas():
    from pathlib import Path

    from sluice_tools.artifacts.web import web_contract_module

    committed = (Path(__file__).resolve().parents[2] / "clients/web/src/contract.generated.js").read_text()
    assert committed == web_contract_module(), "run: sluice schemas render web > clients/web/src/contract.generated.js"


def _every_kind_of_event() -> list[dict]:
    import time

    from sluice_tools.cost.traffic import generated_events

    from sluice.cmcd.contract import to_event
    from sluice.cmcd.report import parse_report
    from sluice.events.json_mapping import EventMapper

    now = int(time.time() * 1000)
    mapper = EventMapper()
    report = 'e=ps,sta=s,sid="s-1",sn=3,ts=1795680000000,br=(3000 1200);v=2,bl=2000,cid="c-1",ot=v,com.example-x="y"'
    cmcd = to_event(parse_report(report), received_ms=now, query={"player": "hls.js", "player_version": "1.7.4"})
    return [mapper.to_record(e, server_time=now) for e in [*generated_events(sessions=80, seed=2), cmcd]]


def test_the_compact_row_is_the_flat_row_without_its_nulls_for_every_payload():
    """The lake line and the search document (generated per payload) hold exactly the flat row's
    non-null columns, in the flat row's order."""
    from sluice.artifacts.columns import compact_row

    records = _every_kind_of_event()
    kinds = {r["payload"][0] for r in records if r.get("payload")}
    assert any(k.endswith("CmcdPayload") for k in kinds) and len(kinds) >= 10
    for record in records:
        full = [(k, v) for k, v in flattener()(record).items() if v is not None]
        assert list(compact_row(record).items()) == full
