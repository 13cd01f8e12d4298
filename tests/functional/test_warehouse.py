"""The warehouse SQL: migrations on a real PostgreSQL; the Redshift load's COPY checked against
sqlalchemy-redshift's, its shared statements executed on PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys

import pytest
from sluice_tools.warehouse.migrate import migrate
from sqlalchemy import column, create_mock_engine, inspect, table, text
from support.factories import avro_record

from sluice.artifacts.columns import event_columns
from sluice.loader.lines import parse_object
from sluice.loader.notifications import LakeObject
from sluice.loader.redshift import RedshiftLoad, manifest
from sluice.processor.lake import lake_line
from sluice.warehouse.connection import Warehouse
from sluice.warehouse.tables import FACT_TABLE

ROLE = "arn:aws:iam::123456789012:role/sluice-redshift-copy"


def _redshift_load() -> RedshiftLoad:
    return RedshiftLoad(Warehouse("redshift+psycopg2://"), s3=None, iam_role_arn=ROLE, manifest_bucket="lake")


def test_migrate_is_idempotent_and_adds_the_columns_of_a_new_version(warehouse):
    assert not migrate(warehouse).changed
    # GIVEN a table as an older schema version made it (without the v2 columns)
    v2_columns = [c.name for c in event_columns() if c.name.startswith(("ingest_", "enrichment_"))] + ["frame_rate"]
    with warehouse.begin() as connection:
        for name in v2_columns:
            connection.exec_driver_sql(f'ALTER TABLE {FACT_TABLE} DROP COLUMN "{name}"')
    report = migrate(warehouse)
    assert sorted(report.added_columns) == sorted(f"{FACT_TABLE}.{n}" for n in v2_columns)
    columns = {c["name"]: c for c in inspect(warehouse).get_columns(FACT_TABLE)}
    assert all(columns[n]["nullable"] for n in v2_columns)
    assert not migrate(warehouse).changed


def test_the_migrate_command(postgres_url):
    env = {**os.environ}
    with_db = postgres_url.replace("/postgres?", "/migrate_cli?")
    from sqlalchemy import create_engine

    admin = create_engine(postgres_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.exec_driver_sql("DROP DATABASE IF EXISTS migrate_cli")
        connection.exec_driver_sql("CREATE DATABASE migrate_cli")
    first = subprocess.run(
        [sys.executable, "-m", "sluice_tools", "warehouse", "migrate", "--url", with_db],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert first.returncode == 0, first.stderr
    assert first.stdout.splitlines() == ["created table player_events", "created table sluice_load_ledger"]
    again = subprocess.run(
        [sys.executable, "-m", "sluice_tools", "warehouse", "migrate", "--url", with_db],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert again.stdout.strip() == "warehouse is up to date"
    bad = subprocess.run(
        [
            sys.executable,
            "-m",
            "sluice_tools",
            "warehouse",
            "migrate",
            "--url",
            "postgresql+psycopg2://nobody@127.0.0.1:1/x",
        ],
        capture_output=True,
        text=True,
        env=env,
        check=False,
    )
    assert bad.returncode == 2 and bad.stderr.startswith("sluice: error: warehouse:") and "Traceback" not in bad.stderr


def test_redshift_copy_reads_the_manifest_as_json_with_the_iam_role():
    statements = _redshift_load().statements("s3://lake/manifests/m1.manifest", gzip=True)
    (copy,) = [s for s in statements if s.startswith("COPY")]
    assert copy.startswith("COPY staging (event_id, event_type, session_id, sequence, client_time")
    assert "loaded_at" not in copy
    for option in (
        "FROM 's3://lake/manifests/m1.manifest'",
        f"WITH CREDENTIALS AS 'aws_iam_role={ROLE}'",
        "FORMAT AS JSON AS 'auto'",
        "GZIP",
        "TIMEFORMAT AS 'auto'",
        "MANIFEST",
        "MAXERROR AS 100000",
    ):
        assert option in copy, option
    assert "GZIP" not in next(s for s in _redshift_load().statements("s3://lake/m", gzip=False) if s.startswith("COPY"))


@pytest.mark.parametrize("gzip", [True, False])
def test_the_redshift_copy_is_the_one_sqlalchemy_redshift_compiles(gzip):
    # The loader writes its COPY itself (no SQLAlchemy on its cold start); the Redshift dialect's
    # own CopyCommand, given the same options, is the reference.
    from sqlalchemy_redshift.commands import Compression, CopyCommand, Format

    load = _redshift_load()
    staging = table("staging", *[column(c) for c in load.columns])
    reference = CopyCommand(
        list(staging.columns),
        data_location="s3://lake/manifests/m1.manifest",
        iam_role_arns=ROLE,
        format=Format.json,
        path_file="auto",
        compression=Compression.gzip if gzip else None,
        time_format="auto",
        manifest=True,
        max_error=100000,
        truncate_columns=False,
        stat_update=False,
        comp_update=False,
    )
    dialect = create_mock_engine("redshift+psycopg2://", lambda *a, **k: None).dialect
    expected = str(reference.compile(dialect=dialect, compile_kwargs={"literal_binds": True}))
    (copy,) = [s for s in load.statements("s3://lake/manifests/m1.manifest", gzip=gzip) if s.startswith("COPY")]
    assert copy.split() == expected.split()


def test_redshift_manifest_lists_every_object_as_mandatory():
    objects = [LakeObject("lake", "events/a.gz", "e1"), LakeObject("lake", "events/b c.gz", "e2")]
    assert manifest(objects) == {
        "entries": [
            {"url": "s3://lake/events/a.gz", "mandatory": True},
            {"url": "s3://lake/events/b c.gz", "mandatory": True},
        ]
    }


def test_the_redshift_statements_other_than_copy_run_on_postgresql(warehouse):
    """Staging, de-duplication and MERGE: the same text Redshift runs, executed here for real."""
    records = [avro_record() for _ in range(3)]
    lines = b"".join(lake_line(r)[1] for r in [*records, records[0]])  # one event twice
    parsed = parse_object(lines)
    statements = _redshift_load().statements("s3://lake/m", gzip=False)
    with warehouse.begin() as connection:
        connection.exec_driver_sql(
            f"INSERT INTO {FACT_TABLE} (event_id, event_type, session_id, sequence, client_time, server_time, player_name, player_version, content_id, content_live, cdn_name) SELECT event_id, event_type, session_id, sequence, client_time, server_time, player_name, player_version, content_id, content_live, cdn_name FROM (VALUES ('{records[1]['event_id']}', 'heartbeat', 's', 1, TIMESTAMP '2026-11-26 08:00:00', TIMESTAMP '2026-11-26 08:00:00', 'p', '1', 'c', false, 'akamai')) AS v(event_id, event_type, session_id, sequence, client_time, server_time, player_name, player_version, content_id, content_live, cdn_name)"
        )
        for statement in statements:
            if statement.startswith("COPY"):
                names = ", ".join(f'"{c.name}"' for c in event_columns())
                placeholders = ", ".join(f":p{i}" for i in range(len(event_columns())))
                for row in parsed.rows:
                    connection.execute(
                        text(f"INSERT INTO staging ({names}) VALUES ({placeholders})"),
                        {f"p{i}": v for i, v in enumerate(row)},
                    )
                continue
            connection.exec_driver_sql(statement)
        stored = dict(connection.execute(text(f"SELECT event_id, session_id FROM {FACT_TABLE}")).all())
    assert set(stored) == {r["event_id"] for r in records}
    assert stored[records[1]["event_id"]] == "s"  # the row already there is kept as it was


def test_the_loader_reads_its_warehouse_credentials_from_secrets_manager(aws, warehouse):
    """The deployed shape: no password in the environment, the secret named instead."""
    from sqlalchemy import create_engine
    from support.aws import aws_client

    from sluice.warehouse.connection import WarehouseConfig, resolve_url

    secrets = aws_client("secretsmanager", aws)
    url = warehouse.url
    arn = secrets.create_secret(
        Name="sluice/warehouse", SecretString=json.dumps({"username": url.username, "password": url.password or ""})
    )["ARN"]
    config = WarehouseConfig.from_env(
        {
            "SLUICE_WAREHOUSE_SECRET_ARN": arn,
            "SLUICE_WAREHOUSE_HOST": str(url.query["host"]),
            "SLUICE_WAREHOUSE_PORT": str(url.port or 5432),
            "SLUICE_WAREHOUSE_DATABASE": url.database,
            "SLUICE_WAREHOUSE_DIALECT": "postgresql",
        }
    )
    resolved = resolve_url(config, secrets)
    assert resolved.startswith("postgresql+psycopg2://")
    with create_engine(resolved).connect() as connection:
        assert connection.execute(text("SELECT count(*) FROM player_events")).scalar() == 0


def test_the_loader_will_not_talk_to_redshift_without_verified_tls(postgres_url):
    """The embedded PostgreSQL speaks no TLS: as PostgreSQL the loader connects; taken for Redshift
    (TLS required, the certificate verified) it refuses to send anything in the clear."""
    import psycopg2
    from sluice_tools.local.services import tcp_to_unix
    from sqlalchemy.engine import make_url

    url = make_url(postgres_url)
    with tcp_to_unix(f"{url.query['host']}/.s.PGSQL.{url.port or 5432}") as port:
        plain = Warehouse(f"postgresql://{url.username}:@127.0.0.1:{port}/{url.database}")
        with plain.transaction() as cursor:
            cursor.execute("SELECT 1")
            assert cursor.fetchone() == (1,)
        plain.close()
        redshift = Warehouse(f"redshift://{url.username}:@127.0.0.1:{port}/{url.database}")
        with pytest.raises(psycopg2.OperationalError, match="SSL"), redshift.transaction():
            pass


def test_redshift_tls_is_verified_against_the_images_trusted_roots(tmp_path, monkeypatch):
    """A server that answers PostgreSQL's SSLRequest and shows a certificate of its own CA, then
    hangs up: with that CA among the trusted roots (SSL_CERT_FILE) the handshake passes and the
    loader meets the hang-up; without it, the certificate is refused before a byte is sent."""
    import socket
    import ssl

    import psycopg2
    from support.fault_proxy import raw_server
    from support.opensearch_double import self_signed_certificate

    cert_file, key_file = self_signed_certificate(str(tmp_path))
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(cert_file, key_file)

    def converse(connection: socket.socket) -> None:
        connection.recv(8)  # SSLRequest
        connection.sendall(b"S")
        context.wrap_socket(connection, server_side=True).close()  # fails when the client refuses

    with raw_server(converse) as port:
        url = f"redshift://loader:pw@localhost:{port}/sluice"
        with pytest.raises(psycopg2.OperationalError, match="certificate verify failed"), Warehouse(url).transaction():
            pass
        monkeypatch.setenv("SSL_CERT_FILE", cert_file)
        with pytest.raises(psycopg2.OperationalError) as after_tls, Warehouse(url).transaction():
            pass
    assert "certificate" not in str(after_tls.value)  # trusted: it got as far as the hang-up


def _cdn_record(session_id: str, request_id: str, **fields: str) -> dict:
    """A CloudFront log line as the processor makes it a record (sluice.processor.cdn_input)."""
    from support.cdn_lines import line

    from sluice.cdn.fields import field_names
    from sluice.cdn.logline import parse_line
    from sluice.cdn.requests import to_event
    from sluice.events.json_mapping import EventMapper

    query = f"CMCD=sid%3D%22{session_id}%22%2Cbr%3D3200"
    event = to_event(parse_line(line(x_edge_request_id=request_id, cs_uri_query=query, **fields), field_names()))
    assert event is not None
    ingest = event.pop("ingest")
    record = EventMapper().to_record(event, server_time=event["client_time"] + 900)
    record["ingest"] = ingest
    return record


def test_a_session_seen_by_the_sdk_and_the_cdn_is_one_row_of_player_sessions(warehouse):
    from sluice_tools.warehouse.views import SESSIONS_VIEW

    from sluice.loader.lines import parse_object
    from sluice.loader.notifications import LakeObject
    from sluice.loader.postgres import PostgresLoad

    # GIVEN one viewer's session as its player reported it and as the CDN served it
    sid = "0d6e1f6a-3c39-4c1e-9d6f-6a1b8f0e2c44"
    other = "7f1c9b2e-5a3d-4e8f-b6c1-2d9e0a4b7c13"
    sdk = [
        avro_record("session_start", session_id=sid, sequence=0),
        avro_record("play", {"playhead_ms": 0, "initial": True, "startup_time_ms": 812}, session_id=sid, sequence=1),
        avro_record("buffering_start", {"playhead_ms": 4000, "cause": "network"}, session_id=sid, sequence=2),
    ]
    cdn = [
        _cdn_record(sid, "edge-1"),
        _cdn_record(sid, "edge-2", sc_status="503", x_edge_result_type="Error", x_edge_location="FRA56-P2"),
        _cdn_record(sid, "edge-3", time_to_first_byte="0.250"),
        _cdn_record(other, "edge-4"),
    ]
    lines = b"".join(lake_line(r)[1] for r in [*sdk, *cdn])
    # WHEN they are loaded
    PostgresLoad(Warehouse(warehouse.url.render_as_string(hide_password=False))).load(
        LakeObject("lake", "events/x.json", "etag"), parse_object(lines), lambda bad: None
    )
    # THEN the view joins them on the session id: the player's startup beside the edge's errors
    with warehouse.connect() as connection:
        rows = {r["session_id"]: r for r in connection.execute(text(f"SELECT * FROM {SESSIONS_VIEW}")).mappings()}
    row = rows[sid]
    assert (row["sdk_events"], row["cmcd_reports"], row["cdn_requests"]) == (3, 0, 3)
    assert (row["sdk_startup_time_ms"], row["sdk_stalls"], row["sdk_player_name"]) == (812, 1, "sluice-web")
    assert (row["cdn_request_errors"], row["cdn_cache_hits"], row["cdn_edge_locations"]) == (1, 2, 2)
    assert row["cdn_max_time_to_first_byte_ms"] == 250 and row["cmcd_max_bitrate_kbps"] == 3200
    assert row["session_inferred"] is False
    assert (rows[other]["sdk_events"], rows[other]["cdn_requests"]) == (0, 1)


def test_a_column_under_the_view_is_still_widened(warehouse):
    # GIVEN a VARCHAR narrower than its bound, with the sessions view reading the table
    with warehouse.begin() as connection:
        connection.exec_driver_sql("DROP VIEW player_sessions")
        connection.exec_driver_sql(f'ALTER TABLE {FACT_TABLE} ALTER COLUMN "content_id" TYPE VARCHAR(8)')
        connection.exec_driver_sql(f"CREATE VIEW player_sessions AS SELECT content_id FROM {FACT_TABLE}")
    # WHEN migrate runs (PostgreSQL refuses to change a column's type under a view)
    report = migrate(warehouse)
    # THEN the column is widened and the view made afresh
    assert report.widened_columns == [f"{FACT_TABLE}.content_id"]
    with warehouse.connect() as connection:
        assert "cdn_requests" in list(connection.execute(text("SELECT * FROM player_sessions")).keys())
