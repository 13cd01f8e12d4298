"""CMCD reports as dash.js 5, Shaka 5 and hls.js 1.7 write them, POSTed over real HTTP to ingest's
``/cmcd`` route (the local API endpoint in front of the stage, moto's Kinesis behind it): a bad
key is dropped from its report, never the report; a report without ``sid`` is stored under an
inferred session; a line that cannot be read is counted in a 200, never a 400 a player resends."""

from __future__ import annotations

import io
import json
import logging
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime
from pathlib import Path

import pytest
from sluice_tools.local.api import IngestEndpoint
from sluice_tools.local.esm import in_process
from support.aws import stream_events
from support.fault_proxy import closed_port_url
from support.stages import ingest_service

from sluice.cmcd.session import inferred_session_id
from sluice.ingest.service import IngestService
from sluice.runtime.deadline import Deadline
from sluice.runtime.metrics import Metrics

CHROME = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0 Safari/537.36"
FIREFOX = "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0"
DASH = "player=dash.js&player_version=5.2.1"


@contextmanager
def _endpoint(stage: IngestService, deadline_s: float = 20) -> Iterator[str]:
    endpoint = IngestEndpoint(in_process(lambda event, context: stage.handle(event, Deadline.after(deadline_s))))
    endpoint.start()
    try:
        yield endpoint.url
    finally:
        endpoint.stop()


def _post(url: str, lines: list[str], *, user_agent: str = CHROME, address: str = "198.51.100.77") -> tuple[int, dict]:
    """As a player posts its reports: application/cmcd, one per line."""
    request = urllib.request.Request(
        f"{url}/cmcd?{DASH}",
        data=("\n".join(lines) + "\n").encode() if lines else b"",
        headers={"content-type": "application/cmcd", "user-agent": user_agent, "x-forwarded-for": address},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=20) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as refused:
        return refused.code, json.loads(refused.read())


def _stage(aws, pipeline, emf: io.StringIO, endpoint: str | None = None) -> IngestService:
    stage = ingest_service(endpoint or aws, pipeline)
    stage.metrics = Metrics(dimensions={"Stage": "ingest"}, stream=emf)
    return stage


def _metrics(emf: io.StringIO) -> dict:
    merged: dict = {}
    for line in emf.getvalue().splitlines():
        merged.update(json.loads(line))
    return merged


def _stored(aws, pipeline) -> list[dict]:
    return sorted(stream_events(aws, pipeline.raw_stream), key=lambda r: r["client_time"])


def test_dash_js_reports_without_sid_with_bad_keys_are_stored_and_an_unreadable_line_counted(aws, pipeline, caplog):
    # GIVEN dash.js 5.2's reports, configured without a session id: a play state with its
    # multi-value buffer length (bare object-type parameters), a response report whose ttfb is
    # an epoch-ms timestamp, its fatal error report (ec an integer), and a line that is not CMCD
    now = int(time.time() * 1000)
    lines = [
        f'e=ps,sta=p,ts={now - 3000},cid="movie-1",v=2,ot=a,bl=(11800;v 9700;a),br=(3200;v 128;a)',
        f'rc=200,ts={now - 2000},cid="movie-1",v=2,ot=v,ttfb={now - 2100},ttlb=180,url="https://cdn.example/v/7.m4s"',
        f'e=e,sta=f,ts={now - 1000},cid="movie-1",v=2,ec=28',
        'sid="unclosed',
    ]
    emf = io.StringIO()
    # WHEN the player posts them to /cmcd over HTTP
    with caplog.at_level(logging.WARNING, logger="sluice.ingest"), _endpoint(_stage(aws, pipeline, emf)) as url:
        status, body = _post(url, lines)
    # THEN 200: three stored, the unreadable line named by index and reason and counted
    assert status == 200, body
    assert (body["accepted"], body["unreadable"]) == (3, 1)
    (unreadable,) = body["rejected"]
    assert (unreadable["index"], unreadable["error_type"]) == (3, "CmcdError")
    assert unreadable["errors"] == [
        "not CMCD (Structured Field syntax) at character 14: a string is not closed with '\"'"
    ]
    play, response, error = _stored(aws, pipeline)
    # AND the audio report keeps its audio buffer, and both values with their types
    assert play["payload"][1]["cmcd_bl"] == 9700 and play["payload"][1]["cmcd_br"] == 128
    assert json.loads(play["payload"][1]["cmcd_by_object_type"]) == {
        "bl": {"v": 11800, "a": 9700},
        "br": {"v": 3200, "a": 128},
    }
    # AND the timestamp ttfb is dropped with why, the rest of its report kept
    assert response["payload"][1]["cmcd_ttfb"] is None and response["payload"][1]["cmcd_ttlb"] == 180
    assert response["payload"][1]["cmcd_invalid_keys"] == (
        f"ttfb: {now - 2100} is above the maximum of 86400000 (an epoch-ms time, not a duration)"
    )
    # AND the fatal error is stored with its code as text
    assert (error["payload"][1]["cmcd_e"], error["payload"][1]["cmcd_sta"], error["payload"][1]["cmcd_ec"]) == (
        "e",
        "f",
        "28",
    )
    # AND all three are one session, inferred from the viewer's network, browser, title and day
    day = datetime.now(UTC).date()
    expected = inferred_session_id("198.51.100.0/24", CHROME, "movie-1", day)
    assert {r["session_id"] for r in (play, response, error)} == {expected}
    assert all(r["payload"][1]["cmcd_session_inferred"] is True for r in (play, response, error))
    assert play["ingest"]["client_ip_prefix"] == "198.51.100.0/24"
    # AND the operator sees the unreadable line and the dropped key: metrics and a logged sample
    metrics = _metrics(emf)
    assert (metrics["CmcdReportsUnreadable"], metrics["CmcdKeysDropped"]) == (1, 1)
    (logged,) = [r for r in caplog.records if r.getMessage() == "CMCD report lines could not be read"]
    assert logged.sample == [{"index": 3, "reason": unreadable["errors"][0], "line": lines[3]}]


def test_the_same_viewer_is_one_session_and_another_browser_another(aws, pipeline):
    now = int(time.time() * 1000)
    with _endpoint(_stage(aws, pipeline, io.StringIO())) as url:
        # GIVEN two reports of one viewer in two requests (two addresses of one /24), and one from
        # another browser on the same network watching the same title
        assert _post(url, [f'e=ps,sta=s,ts={now - 3000},cid="movie-1"'], address="198.51.100.7")[0] == 200
        assert _post(url, [f'e=ps,sta=p,ts={now - 2000},cid="movie-1"'], address="198.51.100.200")[0] == 200
        assert _post(url, [f'e=ps,sta=s,ts={now - 1000},cid="movie-1"'], user_agent=FIREFOX)[0] == 200
    # THEN the first two are one session, the third another
    first, second, third = _stored(aws, pipeline)
    assert first["session_id"] == second["session_id"] != third["session_id"]


def test_a_body_of_unreadable_lines_is_answered_200_with_the_count(aws, pipeline):
    # GIVEN a request none of whose lines is CMCD
    emf = io.StringIO()
    with _endpoint(_stage(aws, pipeline, emf)) as url:
        status, body = _post(url, ['{"event_type":"play"}', "=3200,,=1", 'sid="x'])
        # AND, apart, an empty body, which is still a 400
        empty_status, empty = _post(url, [])
    # THEN 200 (a player would resend a 400), nothing stored, every line named and counted
    assert status == 200, body
    assert (body["accepted"], body["unreadable"]) == (0, 3)
    assert [(r["index"], r["error_type"]) for r in body["rejected"]] == [
        (0, "CmcdError"),
        (1, "CmcdError"),
        (2, "CmcdError"),
    ]
    assert "error" not in body
    assert _stored(aws, pipeline) == []
    assert _metrics(emf)["CmcdReportsUnreadable"] == 3
    assert empty_status == 400 and "no CMCD report" in empty["error"]


def test_reports_the_stream_does_not_take_are_a_503_with_not_accepted(aws, pipeline):
    # GIVEN the raw stream unreachable
    now = int(time.time() * 1000)
    lines = [f'e=ps,sta=s,sid="s-1",ts={now}', "not cmcd,,", f'e=ps,sta=p,sid="s-1",ts={now + 1}']
    with _endpoint(_stage(aws, pipeline, io.StringIO(), endpoint=closed_port_url()), deadline_s=1.0) as url:
        status, body = _post(url, lines)
    # THEN 503 with what to resend, as for /events; the unreadable line is still said
    assert status == 503, body
    assert (body["not_accepted"], body["accepted"], body["unreadable"]) == ([0, 2], 0, 1)
    assert [r["index"] for r in body["rejected"]] == [1]


def test_events_with_none_valid_keep_their_400(aws, pipeline):
    with _endpoint(_stage(aws, pipeline, io.StringIO())) as url:
        request = urllib.request.Request(
            f"{url}/events", data=b'[{"event_type": "play"}]', headers={"content-type": "application/json"}
        )
        try:
            urllib.request.urlopen(request, timeout=20)
            raise AssertionError("an invalid event was answered 2xx")
        except urllib.error.HTTPError as refused:
            assert refused.code == 400
            assert "unreadable" not in json.loads(refused.read())


FIXTURES = Path(__file__).resolve().parents[1] / "fixtures" / "cmcd"


@pytest.mark.parametrize("path", sorted(FIXTURES.glob("*.txt")), ids=lambda p: p.stem)
def test_every_captured_players_reports_are_accepted(aws, pipeline, path):
    # GIVEN every report a player posted in one capture, exactly as sent (resends included)
    lines = [line for line in path.read_text().splitlines() if line.strip() and not line.startswith("#")]
    # WHEN they are posted to /cmcd in one request
    with _endpoint(_stage(aws, pipeline, io.StringIO())) as url:
        status, body = _post(url, lines)
    # THEN every one is accepted, none unreadable; a resend is the same event, distinct reports two
    assert status == 200, body
    assert (body["accepted"], body["rejected"], body["unreadable"]) == (len(lines), [], 0)
    stored = _stored(aws, pipeline)
    assert len(stored) == len(lines) and len({r["event_id"] for r in stored}) == len(set(lines))


def test_dash_js_reports_become_warehouse_rows_and_documents_with_their_types_and_session(aws, pipeline, warehouse):
    from sluice_tools.opensearch.bootstrap import bootstrap
    from sluice_tools.opensearch.client import build_client
    from sluice_tools.warehouse.migrate import migrate
    from sqlalchemy import text
    from support.aws import kinesis_events_by_shard, notify_queue, read_stream, sqs_event
    from support.opensearch_double import bulk_double
    from support.stages import indexer, loader, processor

    from sluice.sinks.opensearch.client import ClusterConfig
    from sluice.warehouse.tables import FACT_TABLE

    # GIVEN a warehouse made before these columns, migrated
    new_columns = ["cmcd_by_object_type", "cmcd_session_inferred"]
    with warehouse.begin() as connection:
        connection.exec_driver_sql("DROP VIEW player_sessions")  # made later, over these columns
        for name in new_columns:
            connection.exec_driver_sql(f'ALTER TABLE {FACT_TABLE} DROP COLUMN "{name}"')
    assert sorted(migrate(warehouse).added_columns) == [f"{FACT_TABLE}.{n}" for n in new_columns]
    # AND dash.js's reports as its pre-issue-21 configuration sends them (no sid), and an audio
    # segment's response report with its timestamp ttfb
    lines = [line for line in (FIXTURES / "dash.js-default.txt").read_text().splitlines() if not line.startswith("#")]
    audio = next(x for x in (FIXTURES / "dash.js-refused-400.txt").read_text().splitlines() if ",sn=17," in x)
    queue = notify_queue(aws, pipeline.lake_bucket)
    with _endpoint(_stage(aws, pipeline, io.StringIO())) as url:
        assert _post(url, [*lines[:5], audio])[0] == 200
    # WHEN the processor, the loader and the indexer take them
    stage = processor(aws, pipeline)
    for event in kinesis_events_by_shard(read_stream(aws, pipeline.raw_stream)):
        assert stage.handle(event, Deadline.after(30)) == {"batchItemFailures": []}
    assert loader(aws, pipeline, warehouse).handle(sqs_event(aws, queue), Deadline.after(60)) == {
        "batchItemFailures": []
    }
    with bulk_double() as cluster:
        bootstrap(build_client(ClusterConfig(url=cluster.url)), "sluice-events")
        stage = indexer(aws, pipeline, cluster.url)
        assert stage.handle({"Records": read_stream(aws, pipeline.clean_stream)}, Deadline.after(30)) == {
            "batchItemFailures": []
        }
        documents = cluster.documents("sluice-events-*")
    # THEN every report is a row: the sid-less ones one inferred session, the audio one its audio
    # buffer with both types and its ttfb named as dropped
    with warehouse.connect() as connection:
        rows = connection.execute(
            text(
                f"SELECT session_id, cmcd_session_inferred, cmcd_bl, cmcd_by_object_type, cmcd_invalid_keys "
                f"FROM {FACT_TABLE} ORDER BY client_time"
            )
        ).all()
    assert len(rows) == 6 == len(documents)
    sidless = [r for r in rows if r.cmcd_session_inferred]
    assert len(sidless) == 5 and len({r.session_id for r in sidless}) == 1
    (typed,) = [r for r in rows if not r.cmcd_session_inferred]
    assert typed.session_id == "b0187d73-0c37-433e-92dd-c176b806f47a" and typed.cmcd_bl == 4600
    assert json.loads(typed.cmcd_by_object_type)["bl"] == {"v": 6600, "a": 4600}
    assert typed.cmcd_invalid_keys.startswith("ttfb: 1796176894100 is above the maximum")
    # AND the search documents carry the same fields (the template's strict mapping takes them)
    assert sum(1 for d in documents.values() if d.get("cmcd_session_inferred")) == 5
