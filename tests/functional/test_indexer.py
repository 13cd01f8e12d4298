"""The indexer over real HTTP against the OpenSearch bulk double, with failed events to moto."""

from __future__ import annotations

import gzip
import json
import socket
import time
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from sluice_tools.opensearch.bootstrap import bootstrap
from sluice_tools.opensearch.client import build_client
from support.aws import FakeContext, failed_events
from support.factories import clean_encoded, clean_record, kinesis_event
from support.fault_proxy import closed_port_url, raw_server
from support.opensearch_double import bulk_double
from support.stages import indexer
from urllib3.exceptions import InsecureRequestWarning

from sluice.batch.kinesis import BatchFailedError
from sluice.events.codec import Codec
from sluice.runtime.deadline import Deadline
from sluice.sinks.opensearch import http as bulk_http
from sluice.sinks.opensearch.bulk import Document, action_lines
from sluice.sinks.opensearch.client import ClusterConfig
from sluice.sinks.opensearch.http import BulkClient, BulkRequestError, ClusterUnreachableError


@pytest.fixture
def cluster():
    with bulk_double() as double:
        bootstrap(build_client(ClusterConfig(url=double.url)), "sluice-events")
        yield double


def _index_of(record: dict) -> str:
    day = time.strftime("%Y.%m.%d", time.gmtime(record["client_time"] / 1000))
    return f"sluice-events-{day}"


def test_bootstrap_installs_template_and_policy_once(cluster):
    client = build_client(ClusterConfig(url=cluster.url))
    again = bootstrap(client, "sluice-events")
    assert (again.template, again.policy) == ("unchanged", "unchanged")
    template = cluster.templates["sluice-events"]
    assert template["index_patterns"] == ["sluice-events-*"]
    assert template["template"]["mappings"]["dynamic"] == "strict"
    policy = cluster.policies["sluice-events-retention"]["policy"]
    assert policy["ism_template"][0]["index_patterns"] == ["sluice-events-*"]
    changed = bootstrap(client, "sluice-events", retention_days=90)
    assert (changed.template, changed.policy) == ("unchanged", "updated")
    assert (
        cluster.policies["sluice-events-retention"]["policy"]["states"][0]["transitions"][0]["conditions"][
            "min_index_age"
        ]
        == "90d"
    )


def test_bootstrap_moves_indices_to_ultrawarm_before_deleting_them(cluster):
    client = build_client(ClusterConfig(url=cluster.url))
    result = bootstrap(client, "sluice-warm", retention_days=90, warm_after_days=7)
    assert result.policy == "created"
    states = {s["name"]: s for s in cluster.policies["sluice-warm-retention"]["policy"]["states"]}
    assert states["hot"]["transitions"] == [{"state_name": "warm", "conditions": {"min_index_age": "7d"}}]
    assert "warm_migration" in states["warm"]["actions"][0]
    assert states["warm"]["transitions"] == [{"state_name": "delete", "conditions": {"min_index_age": "90d"}}]
    assert bootstrap(client, "sluice-warm", retention_days=90, warm_after_days=7).policy == "unchanged"
    # back to hot only: the policy is updated, not left migrating
    assert bootstrap(client, "sluice-warm", retention_days=90).policy == "updated"
    assert [s["name"] for s in cluster.policies["sluice-warm-retention"]["policy"]["states"]] == ["hot", "delete"]


def test_bootstrap_refuses_a_warm_age_past_the_retention(cluster):
    from sluice.runtime.config import ConfigError

    client = build_client(ClusterConfig(url=cluster.url))
    with pytest.raises(ConfigError, match="below the retention"):
        bootstrap(client, "sluice-warm", retention_days=30, warm_after_days=30)
    assert "sluice-warm-retention" not in cluster.policies


def test_events_land_in_their_day_index_with_event_id_and_a_replay_does_not_double(aws, pipeline, cluster):
    records = [clean_record() for _ in range(30)]
    event = kinesis_event([Codec().encode(r) for r in records])
    stage = indexer(aws, pipeline, cluster.url)
    assert stage.handle(event, Deadline.after(30)) == {"batchItemFailures": []}
    assert stage.handle(event, Deadline.after(30)) == {"batchItemFailures": []}
    stored = cluster.documents("sluice-events-*")
    assert set(stored) == {r["event_id"] for r in records}
    assert cluster.count(_index_of(records[0])) == 30
    doc = stored[records[0]["event_id"]]
    assert doc["bitrate_kbps"] == 3000 and doc["enrichment_os_family"] == "Linux"
    assert cluster.ndjson_problems == []
    assert all(body.endswith(b"\n") for body in cluster.bulk_bodies)


def test_bulk_bodies_are_sized_by_bytes_and_count(aws, pipeline, cluster):
    event = kinesis_event([clean_encoded() for _ in range(40)])
    indexer(aws, pipeline, cluster.url, max_bulk_bytes=64 * 1024, max_bulk_docs=15).handle(event, Deadline.after(30))
    assert len(cluster.bulk_bodies) == 3
    assert all(body.count(b"\n") <= 30 for body in cluster.bulk_bodies)
    small = [clean_encoded() for _ in range(40)]
    with bulk_double() as other:
        indexer(aws, pipeline, other.url, max_bulk_bytes=16 * 1024).handle(kinesis_event(small), Deadline.after(30))
        sizes = [len(b) for b in other.bulk_bodies]
        assert other.count() == 40
    assert len(sizes) > 2 and max(sizes) <= 16 * 1024
    assert cluster.count() == 40


@pytest.mark.parametrize("status", [429, 503])
def test_items_refused_with_429_or_503_are_retried_until_stored(aws, pipeline, cluster, status):
    records = [clean_record() for _ in range(10)]
    refused = {records[2]["event_id"], records[7]["event_id"]}
    attempts: dict[str, int] = {}

    def twice(index, doc_id, source):
        if doc_id in refused:
            attempts[doc_id] = attempts.get(doc_id, 0) + 1
            return status if attempts[doc_id] <= 2 else None
        return None

    cluster.item_faults.append(twice)
    response = indexer(aws, pipeline, cluster.url).handle(
        kinesis_event([Codec().encode(r) for r in records]), Deadline.after(30)
    )
    assert response == {"batchItemFailures": []}
    assert cluster.count() == 10
    assert attempts == {doc_id: 3 for doc_id in refused}


def test_errors_true_with_200_is_never_success_items_still_refused_are_reported(aws, pipeline, cluster):
    records = [clean_record() for _ in range(4)]
    stuck = records[1]["event_id"]
    cluster.item_faults.append(lambda index, doc_id, source: 429 if doc_id == stuck else None)
    event = kinesis_event([Codec().encode(r) for r in records])
    response = indexer(aws, pipeline, cluster.url).handle(event, Deadline.after(1.0))
    assert response == {"batchItemFailures": [{"itemIdentifier": event["Records"][1]["kinesis"]["sequenceNumber"]}]}
    assert cluster.count() == 3


def test_mapping_errors_become_sink_rejection_failed_events_and_are_not_retried(aws, pipeline, cluster):
    records = [clean_record() for _ in range(5)]
    bad = records[3]["event_id"]
    calls = []

    def mapping_error(index, doc_id, source):
        if doc_id == bad:
            calls.append(doc_id)
            return 400
        return None

    cluster.item_faults.append(mapping_error)
    # and a real strict-mapping rejection: an installed template that lacks a field the events have
    del cluster.templates["sluice-events"]["template"]["mappings"]["properties"]["cdn_host"]
    odd = clean_record(cdn={"name": "akamai", "host": "edge-7.akamai.example"})
    event = kinesis_event([Codec().encode(r) for r in [*records, odd]])
    response = indexer(aws, pipeline, cluster.url).handle(event, Deadline.after(30))
    assert response == {"batchItemFailures": []}
    assert calls == [bad]
    failed = {f.event_id: f for f in failed_events(aws, pipeline.lake_bucket)}
    assert set(failed) == {bad, odd["event_id"]}
    assert failed[bad].failure_type == "sink_rejection" and failed[bad].stage == "indexer"
    assert "mapper_parsing_exception" in failed[bad].error
    assert "strict_dynamic_mapping_exception" in failed[odd["event_id"]].error
    assert Codec().decode(failed[bad].original)["event_id"] == bad
    assert cluster.count() == 4


def test_a_413_splits_the_request_and_a_document_too_big_alone_is_rejected(aws, pipeline):
    records = [clean_record() for _ in range(16)]
    huge = clean_record(
        "error",
        content={"id": "c", "title": "t" * 500, "duration_ms": None, "live": False},
        payload={"code": "E", "message": "m" * 2000, "fatal": True, "playhead_ms": None},
    )
    with bulk_double(max_body_bytes=4000) as cluster:
        bootstrap(build_client(ClusterConfig(url=cluster.url)), "sluice-events")
        event = kinesis_event([Codec().encode(r) for r in [*records, huge]])
        with_huge = indexer(aws, pipeline, cluster.url)
        cluster.max_body_bytes = 1500
        response = with_huge.handle(event, Deadline.after(30))
        assert response == {"batchItemFailures": []}
        assert cluster.count() == 16
        assert len(cluster.bulk_bodies) > 8
    (failed,) = failed_events(aws, pipeline.lake_bucket)
    assert failed.event_id == huge["event_id"] and "413" in failed.error


def test_a_whole_request_503_is_retried(aws, pipeline, cluster):
    cluster.fail_next_requests(503, 503)
    response = indexer(aws, pipeline, cluster.url).handle(
        kinesis_event([clean_encoded() for _ in range(5)]), Deadline.after(30)
    )
    assert response == {"batchItemFailures": []}
    assert cluster.count() == 5


def test_a_slow_cluster_times_out_and_the_retry_stores_once(aws, pipeline, cluster):
    cluster.slow_next(1, 2.5)
    records = [clean_record() for _ in range(5)]
    response = indexer(aws, pipeline, cluster.url, timeout_s=1).handle(
        kinesis_event([Codec().encode(r) for r in records]), Deadline.after(30)
    )
    assert response == {"batchItemFailures": []}
    assert set(cluster.documents()) == {r["event_id"] for r in records}
    # the slow answer was given up on at the 1 s cap and the batch sent again (the double
    # records the slow request only once its 2.5 s have passed)
    for _ in range(50):
        if len(cluster.bulk_bodies) >= 2:
            break
        time.sleep(0.1)
    assert len(cluster.bulk_bodies) == 2


def test_a_cluster_that_is_down_reports_the_batch(aws, pipeline):
    event = kinesis_event([clean_encoded(), clean_encoded(), b"poison"])
    response = indexer(aws, pipeline, closed_port_url()).handle(event, Deadline.after(3.0))
    assert [i["itemIdentifier"] for i in response["batchItemFailures"]] == [
        r["kinesis"]["sequenceNumber"] for r in event["Records"][:2]
    ]
    assert len(failed_events(aws, pipeline.lake_bucket)) == 1
    with pytest.raises(BatchFailedError):
        indexer(aws, pipeline, closed_port_url()).handle(kinesis_event([clean_encoded()]), Deadline.after(0.3))


def _one_document() -> bytes:
    from sluice.artifacts.columns import compact_row
    from sluice.indexer.service import daily_index

    row = compact_row(clean_record())
    return action_lines(Document(daily_index("sluice-events", row["client_time"]), row["event_id"], row))


def test_basic_auth_from_the_url_and_sigv4(aws, pipeline, monkeypatch, request):
    with bulk_double(require_basic=("sluice", "s3cret")) as cluster:
        url = cluster.url.replace("http://", "http://sluice:s3cret@")
        # the CLI's administration client and the stages' bulk client alike
        assert bootstrap(build_client(ClusterConfig(url=url, auth="basic")), "sluice-events").template == "created"
        assert BulkClient(ClusterConfig(url=url, auth="basic")).bulk(_one_document(), timeout_s=5)["errors"] is False
        from opensearchpy.exceptions import AuthenticationException

        with pytest.raises(AuthenticationException):
            bootstrap(build_client(ClusterConfig(url=cluster.url)), "other")
        with pytest.raises(BulkRequestError) as refused:
            BulkClient(ClusterConfig(url=cluster.url)).bulk(_one_document(), timeout_s=5)
        assert refused.value.status == 401 and "security_exception" in str(refused.value)
    # SigV4, each request's signature verified by the double (managed domains and serverless)
    from sluice.aws.clients import session

    monkeypatch.setenv("AWS_ACCESS_KEY_ID", "AKIDEXAMPLE")
    monkeypatch.setenv("AWS_SECRET_ACCESS_KEY", "secret")
    session.cache_clear()  # the process's botocore session resolves these keys, not earlier tests'
    request.addfinalizer(session.cache_clear)
    for service in ("es", "aoss"):
        with bulk_double(require_sigv4=("AKIDEXAMPLE", "secret", "eu-west-1", service)) as cluster:
            config = ClusterConfig(url=cluster.url, auth="sigv4", region="eu-west-1", service=service)
            assert bootstrap(build_client(config), "sluice-events").template == "created"
            assert BulkClient(config).bulk(_one_document(), timeout_s=5)["errors"] is False
            assert cluster.count() == 1
            wrong = ClusterConfig(url=cluster.url, auth="sigv4", region="us-east-1", service=service)
            with pytest.raises(BulkRequestError, match="HTTP 401"):
                BulkClient(wrong).bulk(_one_document(), timeout_s=5)


def test_one_connection_is_kept_and_one_the_cluster_closed_while_idle_is_replaced(cluster):
    client = BulkClient(ClusterConfig(url=cluster.url))
    before = len(cluster.sockets)  # the bootstrap's
    for _ in range(3):
        assert client.bulk(_one_document(), timeout_s=5)["errors"] is False
    assert len(cluster.sockets) == before + 1  # kept alive between requests (and invocations)
    # WHEN the cluster closes it while the function is idle
    cluster.close_idle_connections()
    # THEN the next request goes out once more on a new connection, not as a failure
    assert client.bulk(_one_document(), timeout_s=5)["errors"] is False
    assert len(cluster.sockets) == before + 2 and cluster.count() == 4


def test_a_kept_connection_closed_as_the_request_went_out_is_replaced_once():
    # GIVEN a cluster that closes the kept connection just as the next request goes out (too late
    # for the client to see it before sending)
    connections: list[int] = []

    def cluster(connection: socket.socket) -> None:
        connections.append(len(connections))
        while (ids := _read_request(connection)) is not None:
            connection.sendall(_bulk_answer(ids, 201))
            if len(connections) == 1:
                _read_request(connection)
                return  # hangs up without answering

    with raw_server(cluster) as port:
        client = BulkClient(ClusterConfig(url=f"http://127.0.0.1:{port}"))
        assert client.bulk(_one_document(), timeout_s=5)["errors"] is False
        # WHEN the next request is sent on it THEN it goes once more, on a new connection
        assert client.bulk(_one_document(), timeout_s=5)["errors"] is False
    assert connections == [0, 1]


@contextmanager
def _answering(answer: bytes) -> Iterator[str]:
    """A 'cluster' that reads a request and writes ``answer``, whatever it is."""

    def converse(connection: socket.socket) -> None:
        # the whole request first: closing with bytes still unread makes the kernel send a reset,
        # which can reach the client before the answer does
        _read_request(connection)
        connection.sendall(answer)

    with raw_server(converse) as port:
        yield f"http://127.0.0.1:{port}"


def test_an_answer_that_is_not_http_leaves_the_records_for_retry(aws, pipeline):
    with _answering(b"SSH-2.0-OpenSSH_9.6\r\n" + b"x" * 100) as url:
        event = kinesis_event([clean_encoded(), clean_encoded()])
        with pytest.raises(BatchFailedError, match="OpenSearch did not store 2 documents"):
            indexer(aws, pipeline, url).handle(event, Deadline.after(2.0))


@pytest.mark.parametrize(
    ("answer", "reason"),
    [
        (b"SSH-2.0-OpenSSH_9.6\r\n", "BadStatusLine"),
        (b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: 3\r\n\r\nabc", "encoded 'gzip', not asked for"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 500\r\n\r\n{}", "IncompleteRead"),
        (b"HTTP/1.1 200 OK\r\n" + b"X-A: b\r\n" * 101 + b"\r\n", "more than 100 headers"),
        (b"HTTP/1.1 200 OK\r\nX-Long: " + b"a" * 70000 + b"\r\n\r\n", "more than 65536 bytes"),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 99999999999\r\n\r\n", "an answer of 99999999999 bytes, over"),
        (b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"1" * 70000, "chunk size line exceeded"),
        (
            b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + b"400\r\n" + b"a" * 1024 + b"\r\n",
            "an answer over",
        ),
        (b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\n" + b"a" * 2048, "an answer over"),
    ],
)
def test_what_the_client_reads_is_bounded_and_checked(answer, reason, monkeypatch):
    monkeypatch.setattr(bulk_http, "MAX_RESPONSE_BYTES", 1000)  # the cap, at a size a test sends
    with _answering(answer) as url, pytest.raises(ClusterUnreachableError, match=reason):
        BulkClient(ClusterConfig(url=url)).bulk(_one_document(), timeout_s=2)


def test_over_tls_the_cluster_certificate_is_verified(tmp_path):
    with bulk_double(tls_dir=str(tmp_path)) as cluster:
        # trusted through the CA bundle it names: the request goes through
        trusted = BulkClient(ClusterConfig(url=cluster.url, ca_bundle=str(tmp_path / "ca.pem")))
        assert trusted.bulk(_one_document(), timeout_s=5)["errors"] is False
        # a certificate no trusted CA signed: refused, nothing sent
        with pytest.raises(ClusterUnreachableError, match="CERTIFICATE_VERIFY_FAILED"):
            BulkClient(ClusterConfig(url=cluster.url)).bulk(_one_document(), timeout_s=5)
        # verification switched off, for a local cluster only (and said so in the log)
        unverified = BulkClient(ClusterConfig(url=cluster.url, verify_tls=False))
        with pytest.warns(InsecureRequestWarning):
            assert unverified.bulk(_one_document(), timeout_s=5)["errors"] is False
        assert cluster.count() == 2


def test_tls_is_verified_by_default():
    import ssl

    config = ClusterConfig.from_env({"SLUICE_OPENSEARCH_URL": "https://search.example:443"})
    assert config.verify_tls is True
    client = build_client(config)
    connection = client.transport.connection_pool.connections[0]
    assert connection.use_ssl is True
    assert connection.pool.cert_reqs == "CERT_REQUIRED"
    bulk = BulkClient(config)
    assert bulk.ssl_context.verify_mode == ssl.CERT_REQUIRED and bulk.ssl_context.check_hostname
    unverified = BulkClient(ClusterConfig(url="https://search.example:443", verify_tls=False))
    assert unverified.ssl_context.verify_mode == ssl.CERT_NONE


def test_the_handler_reads_its_configuration_from_the_environment(aws, pipeline, cluster, monkeypatch):
    from sluice_indexer import handler

    from sluice.aws.clients import client

    monkeypatch.setenv("AWS_ENDPOINT_URL", aws)
    monkeypatch.setenv("SLUICE_OPENSEARCH_URL", cluster.url)
    monkeypatch.setenv("SLUICE_FAILED_FIREHOSE", pipeline.failed_firehose)
    client.cache_clear()
    handler._indexer.cache_clear()
    try:
        response = handler.handle(kinesis_event([clean_encoded(), b"\xc3\x01"]), FakeContext())
    finally:
        client.cache_clear()
        handler._indexer.cache_clear()
    assert response == {"batchItemFailures": []}
    assert cluster.count() == 1
    assert len(failed_events(aws, pipeline.lake_bucket)) == 1


def _read_request(connection: socket.socket) -> list[str] | None:
    """The document ids of one bulk request read off ``connection`` (None: the client hung up)."""
    data = b""
    while b"\r\n\r\n" not in data:
        received = connection.recv(65536)
        if not received:
            return None
        data += received
    head, _, body = data.partition(b"\r\n\r\n")
    length = next(
        int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length:")
    )
    while len(body) < length:
        body += connection.recv(65536)
    lines = gzip.decompress(body).splitlines()
    return [json.loads(line)["index"]["_id"] for line in lines[::2]]


def _bulk_answer(ids: list[str], status: int) -> bytes:
    """A whole HTTP answer to a bulk request: every document answered ``status``."""
    error = {"error": {"type": "mapper_parsing_exception", "reason": "refused"}} if status >= 400 else {}
    items = [{"index": {"_index": "sluice-events", "_id": i, "status": status, **error}} for i in ids]
    body = json.dumps({"took": 1, "errors": status >= 400, "items": items}).encode()
    return b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n%s" % (len(body), body)


@pytest.mark.parametrize("slow", ["status line", "body"])
def test_a_cluster_answering_a_byte_a_second_leaves_the_records_for_retry_before_the_deadline(aws, pipeline, slow):
    # GIVEN a cluster that answers one byte a second: no single read ever waits long
    def trickle(connection: socket.socket) -> None:
        ids = _read_request(connection)
        if ids is None:
            return
        answer = _bulk_answer(ids, 201)
        head = answer.index(b"\r\n\r\n") + 4
        fast, slow_part = (b"", answer) if slow == "status line" else (answer[:head], answer[head:])
        connection.sendall(fast)
        for byte in slow_part[:12]:  # then it hangs up, so that a client without a deadline ends too
            connection.sendall(bytes([byte]))
            time.sleep(1)

    with raw_server(trickle) as port:
        event = kinesis_event([clean_encoded(), clean_encoded(), b"poison"])
        started = time.monotonic()
        # WHEN the indexer has 3 s
        response = indexer(aws, pipeline, f"http://127.0.0.1:{port}").handle(event, Deadline.after(3.0))
        elapsed = time.monotonic() - started
    # THEN it gives the cluster up within them and reports the documents for retry
    assert elapsed < 3.0
    assert [i["itemIdentifier"] for i in response["batchItemFailures"]] == [
        r["kinesis"]["sequenceNumber"] for r in event["Records"][:2]
    ]
    assert [f.failure_type for f in failed_events(aws, pipeline.lake_bucket)] == ["format"]


@pytest.mark.parametrize("extra", ["after its answer", "ahead of the next answer"])
def test_an_unsolicited_answer_is_never_taken_for_the_next_batchs(aws, pipeline, extra):
    # GIVEN a cluster (or a proxy in front of it) that sends the first batch's answer twice:
    # once more while the connection is idle, or once more ahead of the second batch's answer
    answered: list[bytes] = []

    def cluster(connection: socket.socket) -> None:
        while (ids := _read_request(connection)) is not None:
            if not answered:
                answered.append(_bulk_answer(ids, 201))
                connection.sendall(answered[0])
                if extra == "after its answer":
                    time.sleep(0.2)
                    connection.sendall(answered[0])
            elif extra == "ahead of the next answer" and len(answered) == 1:
                answered.append(_bulk_answer(ids, 400))
                connection.sendall(answered[0] + answered[1])
            else:
                connection.sendall(_bulk_answer(ids, 400))  # the second batch is refused

    with raw_server(cluster) as port:
        stage = indexer(aws, pipeline, f"http://127.0.0.1:{port}")
        first, second = [clean_record() for _ in range(3)], [clean_record() for _ in range(3)]
        assert stage.handle(kinesis_event([Codec().encode(r) for r in first]), Deadline.after(10)) == {
            "batchItemFailures": []
        }
        time.sleep(0.5)  # the function is idle between invocations
        # WHEN the second batch goes to a cluster that refuses its documents
        response = stage.handle(kinesis_event([Codec().encode(r) for r in second]), Deadline.after(10))
    # THEN they are reported refused (failed events), never counted as stored
    assert response == {"batchItemFailures": []}
    failed = failed_events(aws, pipeline.lake_bucket)
    assert {f.event_id for f in failed} == {r["event_id"] for r in second}
    assert all(f.failure_type == "sink_rejection" and "mapper_parsing_exception" in f.error for f in failed)
