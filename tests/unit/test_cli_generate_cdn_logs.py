"""`sluice generate --cdn-logs` as a user runs it: a real process writing CloudFront real-time log
lines that the reader reads as the configured fields, faults where asked, mistakes in one line."""

from __future__ import annotations

import subprocess
import sys

import pytest

from sluice.cdn.config import local_fields
from sluice.cdn.logline import parse_line
from sluice.cdn.requests import LineCounts, read_line

START = "2026-11-26T08:00:00Z"
START_MS = 1_795_680_000_000


def sluice(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", *args], capture_output=True, text=True, timeout=120, check=False
    )


def test_cdn_logs_are_lines_the_reader_reads_in_time_order(tmp_path):
    out = tmp_path / "cdn.log"
    args = ("generate", "--cdn-logs", "--sessions", "6", "--duration", "120", "--seed", "3", "--start", START)
    assert sluice(*args, "-o", str(out)).returncode == 0
    lines = out.read_text().splitlines()
    assert len(lines) > 100
    counts = LineCounts()
    events = [read_line(line, local_fields(), counts) for line in lines]
    assert counts.kept == len(lines) and {e["event_type"] for e in events} == {"cdn_request"}
    times = [e["client_time"] for e in events]
    assert times == sorted(times) and times[0] >= START_MS and times[-1] < START_MS + 180_000
    assert len({e["session_id"] for e in events}) == 6
    # the same options, the same lines (on stdout without -o)
    assert sluice(*args).stdout.splitlines() == lines


def test_a_fault_fails_its_edge_from_its_start(tmp_path):
    result = sluice(
        "generate", "--cdn-logs", "--sessions", "40", "--duration", "120", "--start", START,
        "--cdn-fault", "status:edge=IAD89-C3,status=503,start=30", "--cdn-fault", "NRT57-P1=slow:2000",
        "--cmcd-mode", "headers",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    values = [parse_line(line, local_fields()) for line in result.stdout.splitlines()]
    faulted = [v for v in values if v["x-edge-location"] == "IAD89-C3" and v["timestamp"] >= START_MS + 35_000]
    assert faulted and all(v["sc-status"] == 503 for v in faulted)
    before = [v for v in values if v["x-edge-location"] == "IAD89-C3" and v["timestamp"] < START_MS + 30_000]
    assert before and sum(v["sc-status"] == 503 for v in before) < len(before) / 10
    slow = [v for v in values if v["x-edge-location"] == "NRT57-P1"]
    assert slow and min(v["time-to-first-byte"] for v in slow) >= 1.6  # as `sluice local up --cdn-fault` writes it
    assert {v["cs-uri-query"] for v in values} == {None} and all("CMCD-Session:" in v["cs-headers"] for v in values)


def test_the_field_order_and_sampling_are_the_configurations():
    order = "x-edge-location,timestamp,x-edge-request-id,sc-status,cs-uri-stem,cs-uri-query"
    full = sluice("generate", "--cdn-logs", "--sessions", "10", "--duration", "60", "--fields", order)
    sampled = sluice("generate", "--cdn-logs", "--sessions", "10", "--duration", "60", "--fields", order,
                     "--sampling-rate", "25")  # fmt: skip
    assert full.returncode == sampled.returncode == 0
    full_lines, sampled_lines = full.stdout.splitlines(), sampled.stdout.splitlines()
    assert all(line.count("\t") == 5 for line in full_lines)
    assert set(sampled_lines) <= set(full_lines) and 0.1 < len(sampled_lines) / len(full_lines) < 0.4


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (("--cdn-fault", "meltdown"), "argument --cdn-fault: 'meltdown' is not a fault: EDGE=STATUS, EDGE=slow:MS"),
        (("--cdn-fault", "status:edge"), "'edge' in 'status:edge': KEY=VALUE with KEY one of edge, origin"),
        (("--cdn-fault", "status:status=oops"), "status='oops' in 'status:status=oops' is not a number"),
        (("--cdn-fault", "status:status=700"), "fault status 700: an HTTP status from 100 to 599"),
        (("--cdn-fault", "status:edge=AMS1-c1"), "fault edge 'AMS1-c1': one of AMS1-C1"),
        (("--cdn-fault", "origin_slow:origin=/media/*"), "fault origin '/media/*': one of /live/*, /vod/*"),
        (("--cdn-fault", "XYZ1-C1=503"), "no edge location 'XYZ1-C1'"),
        (("--cdn-fault", "AMS1-C1=slow:0"), "slow:MS takes 1 to 60000 milliseconds"),
        (("--sampling-rate", "0"), "0 is not a whole percentage from 1 to 100"),
        (("--fields", "timestamp,c-ip"), "--fields lacks x-edge-request-id"),
        (("--labels", "x.jsonl"), "--labels: for events, not --cdn-logs"),
        (("--cmcd-mode", "pigeon"), "argument --cmcd-mode: invalid choice: 'pigeon'"),
    ],
)
def test_a_mistake_is_one_line_and_exit_status_2(args, message, tmp_path):
    result = sluice("generate", "--cdn-logs", "-o", str(tmp_path / "out.log"), *args)
    assert result.returncode == 2 and message in result.stderr
    assert len(result.stderr.strip().splitlines()) == 1 and "Traceback" not in result.stderr
    assert not (tmp_path / "out.log").exists(), "nothing written"


def test_cdn_options_without_cdn_logs_are_refused():
    result = sluice("generate", "--cdn-fault", "AMS1-C1=503")
    assert result.returncode == 2 and "--cdn-fault only with --cdn-logs" in result.stderr
