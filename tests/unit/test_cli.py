"""The `sluice` command as a user runs it: a real process, its output and its exit status."""

from __future__ import annotations

import base64
import json
import os
import subprocess
import sys

import avro.io
import avro.schema
import pytest
from sluice_tools.cli.main import build_parser

from sluice.events.codec import MAGIC
from sluice.events.registry import default_registry

START = "2026-11-26T08:00:00Z"


def sluice(*args: str, stdin: str = "") -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", *args],
        input=stdin,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def _all_commands(parser=None, prefix=()):
    parser = parser or build_parser()
    for action in parser._actions:
        if action.__class__.__name__ == "_SubParsersAction":
            for name, sub in action.choices.items():
                yield (*prefix, name)
                yield from _all_commands(sub, (*prefix, name))


def test_help_on_every_command():
    commands = list(_all_commands())
    assert ("schemas", "render") in commands and ("events", "decode") in commands
    for command in [(), *commands]:
        result = sluice(*command, "--help")
        assert result.returncode == 0, command
        assert "usage: sluice" in result.stdout


def test_generate_encode_decode_round_trip():
    generated = sluice("generate", "--sessions", "5", "--seed", "2", "--start", START)
    assert generated.returncode == 0
    lines = generated.stdout.splitlines()
    encoded = sluice("events", "encode", "--server-time", "2026-11-26T08:10:00Z", stdin=generated.stdout)
    assert encoded.returncode == 0, encoded.stderr
    assert len(encoded.stdout.splitlines()) == len(lines)
    decoded = sluice("events", "decode", stdin=encoded.stdout)
    assert decoded.returncode == 0
    for original, back in zip(lines, decoded.stdout.splitlines(), strict=True):
        sent, got = json.loads(original), json.loads(back)
        assert got["event_id"] == sent["event_id"]
        assert got["client_time"] == sent["client_time"]
        assert got["payload"] == {**{k: None for k in got["payload"]}, **sent["payload"]}
        assert got["server_time"] == "2026-11-26T08:10:00.000Z"


def test_generate_is_reproducible_and_writes_labels(tmp_path):
    labels = tmp_path / "labels.jsonl"
    first = sluice(
        "generate", "--sessions", "10", "--seed", "4", "--bad-rate", "0.3", "--start", START, "--labels", str(labels)
    )
    second = sluice("generate", "--sessions", "10", "--seed", "4", "--bad-rate", "0.3", "--start", START)
    assert first.stdout == second.stdout
    kinds = [json.loads(line)["bad"] for line in labels.read_text().splitlines()]
    assert len(kinds) == len(first.stdout.splitlines())
    assert None in kinds and len(set(kinds)) > 2


def test_encode_reports_bad_lines_by_number_encodes_the_rest_and_fails():
    good = sluice("generate", "--sessions", "1", "--seed", "1", "--start", START).stdout.splitlines()[:3]
    lines = [good[0], '{"event_type": ', good[1], '{"event_type":"teleport"}', good[2]]
    result = sluice("events", "encode", "--server-time", "2026-11-26T08:10:00Z", stdin="\n".join(lines) + "\n")
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 3
    errors = result.stderr.splitlines()
    assert errors[0].startswith("line 2: MalformedJsonError: invalid JSON at line 1 column 16")
    assert errors[1].startswith('line 4: SchemaViolationError: event_type: unknown value "teleport"')
    assert "Traceback" not in result.stderr


def test_decode_reports_typed_errors_by_line_and_decodes_the_rest():
    good = sluice(
        "events",
        "encode",
        "--server-time",
        "2026-11-26T08:10:00Z",
        stdin=sluice("generate", "--sessions", "1", "--start", START).stdout,
    ).stdout.splitlines()
    raw = base64.b64decode(good[0])
    lines = [
        good[0],
        base64.b64encode(b"\x00\x00" + raw[2:]).decode(),
        base64.b64encode(MAGIC + (7).to_bytes(8, "little") + raw[10:]).decode(),
        base64.b64encode(raw[:-2]).decode(),
        base64.b64encode(raw + b"!").decode(),
        "%%%not base64",
        good[1],
    ]
    result = sluice("events", "decode", stdin="\n".join(lines) + "\n")
    assert result.returncode == 1
    assert len(result.stdout.splitlines()) == 2
    assert [line.split(":")[1].strip() for line in result.stderr.splitlines()] == [
        "BadMagicError",
        "UnknownFingerprintError",
        "TruncatedBodyError",
        "TrailingBytesError",
        "InvalidBase64Error",
    ]
    assert [line.split(":")[0] for line in result.stderr.splitlines()] == [
        "line 2",
        "line 3",
        "line 4",
        "line 5",
        "line 6",
    ]


def test_official_single_object_records_decode_through_the_cli():
    v1 = default_registry().find("player_event.v1")
    official = avro.schema.parse(json.dumps(v1.schema))
    datum = {
        "event_id": "0b7f1f4e-2c1a-4f7e-9a6b-1d2e3f405162", "event_type": "seek", "session_id": "s", "sequence": 1,
        "client_time": 1_795_680_000_000, "server_time": 1_795_680_000_500,
        "player": {"name": "p", "version": "1"}, "device": {"id": None, "type": None, "model": None, "screen_width": None, "screen_height": None},
        "content": {"id": "c", "title": None, "duration_ms": None, "live": False}, "cdn": {"name": "akamai", "host": None},
        "payload": {"from_ms": 4, "to_ms": 9000},
    }  # fmt: skip
    import io

    body = io.BytesIO()
    avro.io.DatumWriter(official).write(datum, avro.io.BinaryEncoder(body))
    record = MAGIC + official.fingerprint("CRC-64-AVRO") + body.getvalue()
    result = sluice("events", "decode", stdin=base64.b64encode(record).decode() + "\n")
    assert result.returncode == 0, result.stderr
    decoded = json.loads(result.stdout)
    assert decoded["payload"] == {"from_ms": 4, "to_ms": 9000}
    assert decoded["client_time"] == "2026-11-26T08:00:00.000Z"
    assert decoded["ingest"] is None


def test_schemas_list_show_and_fingerprint():
    listed = sluice("schemas", "list").stdout
    for version in default_registry().versions():
        assert f"{version.name}" in listed and version.fingerprint_hex in listed
    v1 = default_registry().find("player_event.v1")
    assert json.loads(sluice("schemas", "show", v1.fingerprint_hex).stdout) == v1.schema
    assert sluice("schemas", "fingerprint", "player_event.v1").stdout.strip() == v1.fingerprint_hex


def test_schemas_check_passes_a_compatible_schema_and_fails_a_breaking_one(tmp_path):
    current = default_registry().latest("player_event").schema
    good = dict(
        current,
        fields=[
            *current["fields"],
            {"name": "experiment", "type": ["null", "string"], "default": None, "doc": "A/B cell."},
        ],
    )
    bad = dict(current, fields=[*current["fields"], {"name": "experiment", "type": "string", "doc": "A/B cell."}])
    (tmp_path / "good.avsc").write_text(json.dumps(good))
    (tmp_path / "bad.avsc").write_text(json.dumps(bad))
    ok = sluice("schemas", "check", str(tmp_path / "good.avsc"))
    assert ok.returncode == 0 and "compatible with player_event.v1, player_event.v2" in ok.stdout
    broken = sluice("schemas", "check", str(tmp_path / "bad.avsc"))
    assert broken.returncode == 1
    assert "v1: experiment: field added without a default" in broken.stdout
    fp = sluice("schemas", "fingerprint", str(tmp_path / "good.avsc"))
    assert fp.returncode == 0 and len(fp.stdout.strip()) == 16


@pytest.mark.parametrize("target", ["opensearch", "redshift", "postgresql"])
def test_schemas_render(target):
    result = sluice("schemas", "render", target)
    assert result.returncode == 0
    assert (
        ("dynamic" in result.stdout)
        if target == "opensearch"
        else result.stdout.startswith("CREATE TABLE player_events")
    )


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("schemas", "show", "nope"), "sluice: error: no subject 'nope'"),
        (("schemas", "check", "/nonexistent.avsc"), "sluice: error: no such file: /nonexistent.avsc"),
        (("events", "decode", "/nonexistent"), "sluice: error: no such file: /nonexistent"),
        (("events", "encode", "--server-time", "noon"), "sluice: error: --server-time 'noon' is not an ISO-8601 time"),
        (
            ("generate", "--bad-rate", "2"),
            "sluice generate: error: argument --bad-rate: 2 is not a fraction from 0 to 1",
        ),
    ],
)
def test_user_mistakes_are_one_line_without_traceback(args, message):
    result = sluice(*args)
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [message] or result.stderr.startswith(message)
    assert "Traceback" not in result.stderr


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("generate", "-o", "/missing/dir/x.jsonl"), "its directory does not exist"),
        (("demo", "--events", "-5"), "is not a whole number of at least 1"),
        (("generate", "--bad-rate", "2"), "is not a fraction from 0 to 1"),
        (("generate", "--sessions", "many"), "is not a whole number of at least 1"),
        (("health", "simulate", "/missing/events.jsonl"), "no such file: /missing/events.jsonl"),
        (("health", "simulate", "-", "--shards", "0"), "is not a whole number of at least 1"),
    ],
)
def test_a_users_mistake_is_one_line_and_exit_status_2(args, message):
    result = sluice(*args)
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "Traceback" not in result.stderr


def test_health_report_without_a_region_says_so_in_one_line(tmp_path, monkeypatch):
    env = {k: v for k, v in __import__("os").environ.items() if not k.startswith("AWS_")}
    env["AWS_CONFIG_FILE"] = str(tmp_path / "none")
    result = subprocess.run(
        [sys.executable, "-m", "sluice_tools", "health", "report", "--table", "t", "-o", str(tmp_path / "r.html")],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
        env=env,
    )
    assert result.returncode == 2
    assert "no AWS region: pass --region or set AWS_REGION" in result.stderr
    assert "Traceback" not in result.stderr


def test_aws_options_go_before_or_after_the_command():
    from sluice_tools.cli.options import split_aws_options

    options, rest = split_aws_options(["failed", "list", "--bucket", "b", "--region", "eu-west-1"])
    assert (options.region, rest) == ("eu-west-1", ["failed", "list", "--bucket", "b"])
    options, rest = split_aws_options(["--endpoint-url", "http://127.0.0.1:5000", "--profile", "p", "local", "status"])
    assert (options.endpoint_url, options.profile, rest) == ("http://127.0.0.1:5000", "p", ["local", "status"])


def test_the_loader_verifies_redshift_tls_unless_the_url_says_otherwise():
    from sluice.warehouse.connection import Warehouse

    redshift = Warehouse("redshift+psycopg2://loader:pw@cluster.abc.eu-west-1.redshift.amazonaws.com:5439/sluice")
    assert redshift.is_redshift
    assert redshift.connect_arguments()["sslmode"] == "verify-full"
    from sluice.warehouse.connection import system_ca_file

    # a file, never libpq's "system": the OpenSSL inside the psycopg2 wheel looks for it where the
    # wheel was built (its OPENSSLDIR), not where the image keeps its certificates
    assert redshift.connect_arguments()["sslrootcert"] == system_ca_file()
    assert os.path.isfile(system_ca_file())
    chosen = Warehouse("redshift://loader:pw@host:5439/sluice?sslmode=require")
    assert "sslmode" not in chosen.connect_arguments()  # the URL's own, in the DSN libpq reads
    local = Warehouse("postgresql+psycopg2://postgres:@/postgres?host=/tmp/sock")
    assert not local.is_redshift and "sslmode" not in local.connect_arguments()
    from sluice.runtime.deadline import Deadline, bind_deadline

    bind_deadline(None)  # outside an invocation: the configured connect timeout
    assert local.connect_arguments()["connect_timeout"] == 5
    bind_deadline(Deadline.after(3.5))
    try:
        assert local.connect_arguments()["connect_timeout"] == 2  # what is left, libpq's floor
    finally:
        bind_deadline(None)


def test_a_plain_postgresql_url_uses_the_installed_driver():
    from sluice_tools.warehouse.engine import create_engine_for

    engine = create_engine_for("postgresql://u:p@127.0.0.1:1/db")
    assert engine.dialect.driver == "psycopg2"


def test_local_status_as_json(tmp_path):
    import os

    env = {**os.environ, "SLUICE_LOCAL_STATE": str(tmp_path / "state.json")}
    stopped = subprocess.run(
        [sys.executable, "-m", "sluice_tools", "local", "status", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert (stopped.returncode, json.loads(stopped.stdout)) == (3, {"running": False})
    state = {"pid": os.getpid(), "runtime": "inprocess", "ingest_url": "http://127.0.0.1:1/events"}
    (tmp_path / "state.json").write_text(json.dumps(state))
    running = subprocess.run(
        [sys.executable, "-m", "sluice_tools", "local", "status", "--format", "json"],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
        env=env,
    )
    assert running.returncode == 0, running.stderr
    assert json.loads(running.stdout) == {"running": True, **state}


def test_health_simulate_counts_what_ingest_would_refuse_and_judges_the_rest(monkeypatch):
    # GIVEN a few good events, a line that is not JSON and an event ingest refuses
    good = sluice("generate", "--sessions", "5", "--seed", "3", "--with-request", "--start", START).stdout
    lines = good + "{not json\n" + json.dumps({"event_type": "play"}) + "\n"
    monkeypatch.setenv("SLUICE_ALERT_SIGNIFICANCE", "0.01")
    # WHEN they are simulated
    result = sluice("health", "simulate", "-", "--shards", "2", stdin=lines)
    # THEN the refused lines are counted, the rest judged: too few sessions for any incident
    assert result.returncode == 0, result.stderr
    assert result.stdout == ""
    assert "(2 refused as ingest would)" in result.stderr and "over 2 shard(s): 0 incidents" in result.stderr


def test_health_simulate_refuses_a_setting_out_of_range(monkeypatch):
    monkeypatch.setenv("SLUICE_ALERT_SIGNIFICANCE", "2")
    result = sluice("health", "simulate", "-", stdin="")
    assert result.returncode == 2 and "SLUICE_ALERT_SIGNIFICANCE=2.0 is outside" in result.stderr
