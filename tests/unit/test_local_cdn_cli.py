"""`sluice local up --cdn-fault` and `sluice local status` as a user runs them: a fault that names
no edge location or no fault is refused before anything starts; status names the CDN stand-in's
edges, the test streams' URLs and the log stream."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
from sluice_tools.local.cdn import EDGE_LOCATIONS, CdnFaultError, EdgeFault, parse_faults


def _sluice(state: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "SLUICE_LOCAL_STATE": str(state)}
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", *args], capture_output=True, text=True, timeout=60, check=False, env=env
    )


def _running(state_file: Path, cdn: dict[str, object], resources: str) -> Path:
    """``state_file`` written as a running pipeline's state (this process its pid), with ``cdn``."""
    state = {
        "pid": os.getpid(),
        "runtime": "inprocess",
        "ingest_url": "http://127.0.0.1:1/events",
        "aws_endpoint": "http://127.0.0.1:2",
        "warehouse_url": "postgresql+psycopg2://local",
        "opensearch_url": None,
        "resources": resources,
        "settings": {"lake_bucket": "sluice-lake", "health_table": "sluice-health"},
        "cdn": cdn,
    }
    state_file.write_text(json.dumps(state))
    return state_file


def test_faults_per_edge_location_read_as_a_status_a_slow_first_byte_or_both():
    assert parse_faults(["AMS1-C1=503", "FRA56-P2=slow:1500", "IAD89-C3=502,slow:200"]) == {
        "AMS1-C1": EdgeFault(status=503),
        "FRA56-P2": EdgeFault(first_byte_delay_s=1.5),
        "IAD89-C3": EdgeFault(status=502, first_byte_delay_s=0.2),
    }
    # several for one edge combine
    assert parse_faults(["AMS1-C1=503", "AMS1-C1=slow:100"]) == {"AMS1-C1": EdgeFault(503, 0.1)}


@pytest.mark.parametrize(
    ("spec", "says"),
    [
        ("LHR1-C1=503", "no edge location 'LHR1-C1'"),
        ("AMS1-C1", "expected EDGE=STATUS or EDGE=slow:MS"),
        ("AMS1-C1=200", "neither an error status"),
        ("AMS1-C1=slow:0", "1 to 60000 milliseconds"),
        ("AMS1-C1=slow:fast", "1 to 60000 milliseconds"),
    ],
)
def test_a_fault_that_cannot_be_read_is_refused_naming_why(spec, says):
    with pytest.raises(CdnFaultError, match=says):
        parse_faults([spec])


def test_local_up_refuses_a_fault_at_an_unknown_edge_before_starting_anything(tmp_path):
    result = _sluice(tmp_path / "state.json", "local", "up", "--cdn-fault", "NRT57-P3=503")
    assert result.returncode == 2
    assert "--cdn-fault 'NRT57-P3=503': no edge location 'NRT57-P3'" in result.stderr
    assert ", ".join(EDGE_LOCATIONS) in result.stderr
    assert not (tmp_path / "state.json").exists()


def test_local_status_names_the_stand_in_its_streams_and_the_log_stream(tmp_path):
    # GIVEN a running pipeline's state, its CDN stand-in serving with one edge faulted
    edges = {"AMS1-C1": ("http://127.0.0.1:41001", "503"), "FRA56-P2": ("http://127.0.0.1:41002", "none")}
    cdn = {
        "serving": True,
        "off": None,
        "log_stream": "sluice-cdn-logs",
        "fields": 56,
        "edges": {name: {"url": url, "fault": fault} for name, (url, fault) in edges.items()},
        "streams": {
            name: {"hls": f"{url}/hls/master.m3u8", "dash": f"{url}/dash/manifest.mpd"}
            for name, (url, _) in edges.items()
        },
    }
    state = _running(tmp_path / "state.json", cdn, "terraform/envs/local (terraform apply)")
    # WHEN the user asks for the status
    result = _sluice(state, "local", "status")
    # THEN it names each edge's URL and fault, the test streams and the log stream
    assert result.returncode == 0, result.stderr
    out = result.stdout
    assert "AMS1-C1     http://127.0.0.1:41001   fault: 503" in out
    assert "FRA56-P2    http://127.0.0.1:41002\n" in out
    # the streams at an edge without a fault
    assert "test stream hls       http://127.0.0.1:41002/hls/master.m3u8   (at FRA56-P2;" in out
    assert "test stream dash      http://127.0.0.1:41002/dash/manifest.mpd   (at FRA56-P2;" in out
    assert "stream sluice-cdn-logs (56 fields" in out


def test_local_status_says_when_the_stand_in_serves_nothing(tmp_path):
    cdn = {
        "serving": False,
        "off": "no test stream: ffmpeg is not installed (apt-get install ffmpeg)",
        "log_stream": "sluice-cdn-logs",
        "fields": 56,
        "edges": {"AMS1-C1": {"url": None, "fault": "none"}},
        "streams": {"AMS1-C1": {}},
    }
    result = _sluice(_running(tmp_path / "state.json", cdn, "direct"), "local", "status")
    assert result.returncode == 0, result.stderr
    assert "CDN stand-in          serving nothing: no test stream: ffmpeg is not installed" in result.stdout
    assert "stream sluice-cdn-logs" in result.stdout
