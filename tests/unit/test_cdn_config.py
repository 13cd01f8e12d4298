"""The field order on the stream: read from the deployed configuration (GetRealtimeLogConfig,
through botocore's Stubber: the AWS API emulator has no real-time log API), kept, re-read when
lines disagree; `sluice cdn fields`; and the list Terraform is given, generated from the code."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import botocore.session
import pytest
from botocore.stub import Stubber
from support.cdn_lines import line

from sluice.cdn.config import FieldOrder, FieldOrderError, deployed_fields, deployed_order
from sluice.cdn.fields import field_names
from sluice.cdn.logline import FieldCountError

ARN = "arn:aws:cloudfront::123456789012:realtime-log-config/sluice-cdn-logs"
ROOT = Path(__file__).resolve().parents[2]


def cloudfront():
    return botocore.session.get_session().create_client(
        "cloudfront",
        region_name="us-east-1",
        aws_access_key_id="x",
        aws_secret_access_key="x",  # noqa: S106 - a stub, no call leaves the process
    )


def answer(fields):
    return {
        "RealtimeLogConfig": {
            "ARN": ARN,
            "Name": "sluice-cdn-logs",
            "SamplingRate": 100,
            "EndPoints": [
                {
                    "StreamType": "Kinesis",
                    "KinesisStreamConfig": {
                        "RoleARN": "arn:aws:iam::123456789012:role/cdn-logs",
                        "StreamARN": "arn:aws:kinesis:us-east-1:123456789012:stream/cdn-logs",
                    },
                }
            ],
            "Fields": fields,
        }
    }


@pytest.mark.parametrize(
    ("name_or_arn", "params"), [("sluice-cdn-logs", {"Name": "sluice-cdn-logs"}), (ARN, {"ARN": ARN})]
)
def test_the_deployed_order_is_read_by_name_or_arn(name_or_arn, params):
    client = cloudfront()
    deployed = list(reversed(field_names()))  # not the code's order: the deployed one is the truth
    with Stubber(client) as stub:
        stub.add_response("get_realtime_log_config", answer(deployed), params)
        assert deployed_fields(client, name_or_arn) == deployed


def test_a_configuration_without_the_request_id_is_refused_at_once():
    client = cloudfront()
    with Stubber(client) as stub:
        stub.add_response("get_realtime_log_config", answer(["timestamp", "c-ip"]), {"Name": "x"})
        order = FieldOrder(deployed_order(client, "x"))
        with pytest.raises(FieldOrderError, match=r"^real-time log configuration x lacks x-edge-request-id$"):
            order.parse(line())


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_the_order_is_fetched_once_and_kept_for_its_ttl():
    calls = []
    clock = Clock()
    order = FieldOrder(lambda: calls.append(1) or field_names(), ttl_s=300, clock=clock)
    for _ in range(100):
        order.parse(line())
    assert len(calls) == 1
    clock.now += 301
    order.parse(line())
    assert len(calls) == 2


def test_a_changed_configuration_is_followed_at_the_first_line_that_disagrees():
    clock = Clock()
    deployed = [field_names()]
    order = FieldOrder(lambda: deployed[0], min_refresh_interval_s=30, clock=clock)
    order.parse(line())
    clock.now += 31
    deployed[0] = [*field_names(), "x-edge-mqcs"]  # the operator added a field
    new_line = line().decode().rstrip("\n") + "\t-\n"
    assert order.parse(new_line)["x-edge-mqcs"] is None
    assert order.order() == tuple(deployed[0])


def test_bad_lines_do_not_turn_into_configuration_reads():
    calls = []
    clock = Clock()
    order = FieldOrder(lambda: calls.append(1) or field_names(), min_refresh_interval_s=30, clock=clock)
    for _ in range(50):
        with pytest.raises(FieldCountError):
            order.parse(b"1733100000.123\t198.51.100.7")
        clock.now += 1
    assert len(calls) == 2  # the first read, and one re-read once 30 s had passed


def sluice(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", *args], capture_output=True, text=True, timeout=60, check=False
    )


def test_sluice_cdn_fields_prints_the_configured_order_one_per_line():
    result = sluice("cdn", "fields")
    assert result.returncode == 0, result.stderr
    assert result.stdout.splitlines() == field_names()
    as_json = sluice("cdn", "fields", "--format", "json")
    assert json.loads(as_json.stdout) == field_names()


def test_sluice_cdn_fields_against_aws_prints_the_deployed_order(monkeypatch, capsys):
    from sluice_tools.cli.main import main

    from sluice.aws import clients

    client = cloudfront()
    deployed = ["x-edge-request-id", "timestamp", "sc-status"]
    monkeypatch.setattr(clients, "client", lambda service: client)
    with Stubber(client) as stub:
        stub.add_response("get_realtime_log_config", answer(deployed), {"ARN": ARN})
        assert main(["cdn", "fields", "--config", ARN]) == 0
    assert capsys.readouterr().out.splitlines() == deployed


def test_sluice_cdn_fields_says_when_the_reader_cannot_use_the_deployed_order(monkeypatch, capsys):
    from sluice_tools.cli.main import main

    from sluice.aws import clients

    client = cloudfront()
    monkeypatch.setattr(clients, "client", lambda service: client)
    with Stubber(client) as stub:
        stub.add_response("get_realtime_log_config", answer(["timestamp", "c-ip"]), {"Name": "thin"})
        assert main(["cdn", "fields", "--config", "thin"]) == 1
    out, err = capsys.readouterr()
    assert out.splitlines() == ["timestamp", "c-ip"]
    assert err == "sluice: the reader cannot use this configuration: it lacks x-edge-request-id\n"


def test_sluice_cdn_fields_names_a_configuration_that_does_not_exist(monkeypatch, capsys):
    from sluice_tools.cli.main import main

    from sluice.aws import clients

    client = cloudfront()
    monkeypatch.setattr(clients, "client", lambda service: client)
    with Stubber(client) as stub:
        stub.add_client_error(
            "get_realtime_log_config", "NoSuchRealtimeLogConfig", "The real-time log configuration does not exist."
        )
        assert main(["cdn", "fields", "--config", "missing"]) == 2
    assert capsys.readouterr().err == (
        "sluice: error: GetRealtimeLogConfig: NoSuchRealtimeLogConfig: The real-time log configuration does not exist.\n"
    )


def test_the_committed_field_list_is_generated_from_the_code():
    committed = json.loads((ROOT / "terraform/generated/cdn_realtime_log_fields.json").read_text())
    assert committed == field_names(), (
        "run: sluice schemas render cdn-fields > terraform/generated/cdn_realtime_log_fields.json"
    )
    rendered = sluice("schemas", "render", "cdn-fields")
    assert rendered.returncode == 0 and json.loads(rendered.stdout) == committed
