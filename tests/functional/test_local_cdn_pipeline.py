"""`sluice local up`'s CDN stand-in wired into the local pipeline: a request through one of its
edge locations becomes a line on the CDN log stream, which the processor reads as its second
input, so the request is a ``cdn_request`` row in the warehouse with its CMCD and its edge; a
faulted edge's answers are rows too. Without ffmpeg the stand-in serves nothing and says why, and
the pipeline starts all the same."""

from __future__ import annotations

import shutil
import tempfile
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sluice_tools.local.cdn import EdgeFault
from sluice_tools.local.pipeline import LocalOptions, LocalPipeline
from sqlalchemy import create_engine, text

SID = "0b9f0a52-3c1e-4d7e-9a51-7c1f2f6d0e11"
CMCD = f'br=400,bl=3000,d=1000,ot=v,sf=h,sid="{SID}",cid="test-pattern",su,v=1'


@pytest.fixture(scope="module")
def pipeline() -> Iterator[LocalPipeline]:
    if shutil.which("ffmpeg") is None:
        pytest.skip("no ffmpeg (apt-get install ffmpeg)")
    local = LocalPipeline(
        LocalOptions(provisioning="direct", say=lambda line: None, cdn_faults={"AMS1-C1": EdgeFault(status=503)})
    )
    local.start()
    yield local
    local.stop()


def _get(url: str) -> int:
    request = urllib.request.Request(url, headers={"User-Agent": "Mozilla/5.0 (X11; Linux x86_64) Chrome/131.0"})
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            response.read()
            return int(response.status)
    except urllib.error.HTTPError as error:
        return error.code


def _cdn_rows(pipeline: LocalPipeline) -> list[dict[str, Any]]:
    engine = create_engine(pipeline.warehouse_url)
    with engine.connect() as connection:
        found = connection.execute(
            text("SELECT * FROM player_events WHERE event_type = 'cdn_request' ORDER BY client_time")
        )
        rows = [dict(r._mapping) for r in found]
    engine.dispose()
    return rows


def test_requests_through_the_stand_in_are_cdn_request_rows_with_their_cmcd_and_edge(pipeline):
    assert pipeline.cdn is not None
    status = pipeline.cdn.describe()
    assert status["serving"] and status["log_stream"] == pipeline.settings["cdn_log_stream"]
    assert status["edges"]["AMS1-C1"]["fault"] == "503"
    healthy = pipeline.cdn.edges["IAD89-C3"].url
    query = "?CMCD=" + urllib.parse.quote(CMCD)
    # GIVEN a player's manifest and two segments at a healthy edge, one at the faulted edge
    assert _get(f"{healthy}/hls/master.m3u8{query}") == 200
    assert _get(f"{healthy}/hls/low/seg000.ts{query}") == 200
    assert _get(f"{healthy}/hls/low/seg001.ts{query}") == 200
    assert _get(f"{pipeline.cdn.edges['AMS1-C1'].url}/hls/low/seg000.ts{query}") == 503
    # WHEN the pipeline has taken the lines through the processor, the lake and the loader
    assert pipeline.drain(timeout_s=120)
    # THEN each request is one cdn_request row of the player's session, its CMCD and edge kept
    rows = _cdn_rows(pipeline)
    assert len(rows) == 4
    assert {r["session_id"] for r in rows} == {SID}
    assert {r["content_id"] for r in rows} == {"test-pattern"}
    by_path = {(r["cdn_edge_location"], r["cdn_path"]): r for r in rows}
    assert set(by_path) == {
        ("IAD89-C3", "/hls/master.m3u8"),
        ("IAD89-C3", "/hls/low/seg000.ts"),
        ("IAD89-C3", "/hls/low/seg001.ts"),
        ("AMS1-C1", "/hls/low/seg000.ts"),
    }
    segment = by_path[("IAD89-C3", "/hls/low/seg000.ts")]
    assert (segment["cdn_status"], segment["cdn_result_type"]) == (200, "Miss")
    assert (segment["cmcd_br"], segment["cmcd_bl"], segment["cmcd_sf"]) == (400, 3000, "h")
    assert segment["cdn_sampling_rate"] == 100
    assert segment["cdn_time_to_first_byte_ms"] > 0
    faulted = by_path[("AMS1-C1", "/hls/low/seg000.ts")]
    assert (faulted["cdn_status"], faulted["cdn_result_type"]) == (503, "Error")


def test_without_ffmpeg_the_stand_in_serves_nothing_and_says_why(monkeypatch, tmp_path: Path):
    # GIVEN no ffmpeg on the PATH and no test stream made before (a fresh temporary directory)
    monkeypatch.setenv("PATH", str(tmp_path))
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    local = LocalPipeline(LocalOptions(provisioning="direct", say=lambda line: None))
    # WHEN the local pipeline starts
    local.start()
    try:
        # THEN it is up, its log stream mapped, and the stand-in says it serves nothing and why
        assert local.cdn is not None
        status = local.cdn.describe()
        assert status["serving"] is False
        assert "ffmpeg is not installed" in status["off"]
        assert status["log_stream"] == local.settings["cdn_log_stream"]
        assert all(edge["url"] is None for edge in status["edges"].values())
        assert "processor (cdn logs)" in [p.name for p in local.loop.pollers]
    finally:
        local.stop()
