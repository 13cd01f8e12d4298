"""`make image-report`: size and layers of every stage image, and its first invocation as the stage
really runs it: from `docker run` to the first response through the Runtime API, the handler
imported, its clients built (botocore, the bulk client, PostgreSQL) and its real calls made
against local endpoints the report starts (moto in server mode over HTTP, the embedded
PostgreSQL, an HTTP bulk endpoint). Beside each stage, in turn with it, a bare image on the same
base without sluice builds one botocore client and makes one call (Kinesis PutRecord) against
the same emulator: the ratio is what the stage adds to a client and a call, like with like.

    python -m sluice_tools.local.image_report [--lock images.lock.json] [--runs 7]

Whatever stops a measurement (no lock file, no engine, a build or run the engine refuses, a
local endpoint that does not start, an image that answers its probe with an error, with anything
but what a stage that made its calls answers, or not at all) ends the report with one line naming
it and exit status 1: a figure the report could not take is never printed as if it had been.
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import shutil
import statistics
import subprocess
import sys
import threading
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from sluice.runtime.errors import SluiceError
from sluice_tools.local.containers import STAGES, docker_binary, stage_container
from sluice_tools.local.runtime_api import InvocationError
from sluice_tools.traffic.generator import STEADY_HEARTBEAT_PAYLOAD

__all__ = [
    "BARE",
    "LOCK_KEYS",
    "PROBE_TIMEOUT_S",
    "Endpoints",
    "Figures",
    "Probe",
    "ReportError",
    "Row",
    "Timing",
    "build_bare",
    "endpoints",
    "format_rows",
    "images_codec",
    "main",
    "measure",
    "probes",
    "read_lock",
    "report",
]

# How long a probe may take to answer: a cold start is seconds; a minute is an image that hangs.
PROBE_TIMEOUT_S = 60.0


class ReportError(SluiceError):
    """A measurement the report cannot take, said in one line."""


# --- the figures -------------------------------------------------------------------------------
@dataclass(frozen=True)
class Timing:
    """One cold start, in ms from `docker run`: to the runtime's first poll (the handler module
    imported) and to the first response (its clients built, its calls made)."""

    init_ms: float
    first_ms: float


@dataclass(frozen=True)
class Figures:
    """The median of a few runs and their spread: the machines are noisy, one run says little."""

    median: float
    low: float
    high: float

    @classmethod
    def of(cls, values: Sequence[float]) -> Figures:
        if not values:
            raise ValueError("no runs to summarise")
        return cls(statistics.median(values), min(values), max(values))

    def __str__(self) -> str:
        return f"{self.median:.0f}ms ({self.low:.0f}-{self.high:.0f})"


@dataclass(frozen=True)
class Row:
    stage: str
    size_bytes: int
    layers: int
    init: Figures
    first: Figures
    # The bare image's first invocations, each started just before one of this stage's.
    bare: Figures

    @property
    def ratio(self) -> float:
        return self.first.median / self.bare.median


_HEADER = f"{'stage':<10} {'size':>9} {'layers':>6} {'init':>7} {'first invocation':>19} {'bare':>19} {'ratio':>6}"


def format_rows(rows: Sequence[Row]) -> list[str]:
    """The table: init is `docker run` to the handler imported; the first invocation adds its
    clients and calls; bare is the bare image's, measured in turn with the stage's."""
    lines = [_HEADER]
    for row in rows:
        lines.append(
            f"{row.stage:<10} {row.size_bytes / 1e6:>7.1f}MB {row.layers:>6} {row.init.median:>5.0f}ms "
            f"{row.first!s:>19} {row.bare!s:>19} {row.ratio:>5.2f}x"
        )
    return lines


# --- the local endpoints -------------------------------------------------------------------------
@dataclass
class Endpoints:
    """What the stages' calls reach: the emulator, the local resources' names, and (when the
    loader or the indexer is measured) a warehouse URL and a bulk endpoint the containers reach
    over TCP on the host network."""

    aws: str
    settings: dict[str, Any]
    # Encodes with the images' own writer schema: events of a schema newer than an image knows
    # would be failed events there, another path than the stage's.
    codec: Any = None
    warehouse_url: str = ""
    opensearch_url: str = ""

    def failed_objects(self) -> int:
        """Objects under the lake's failed/ prefix: a probe that adds one did not take the stage's path."""
        listed = self.client("s3").list_objects_v2(Bucket=self.settings["lake_bucket"], Prefix="failed/")
        return int(listed.get("KeyCount", 0))

    def client(self, service: str) -> Any:
        """A client of the emulator for this process (the report's own setup: no deadline)."""
        from sluice.aws.clients import session
        from sluice_tools.local.services import AWS_ENV

        return session().create_client(
            service,
            endpoint_url=self.aws,
            region_name=AWS_ENV["AWS_REGION"],
            aws_access_key_id=AWS_ENV["AWS_ACCESS_KEY_ID"],
            aws_secret_access_key=AWS_ENV["AWS_SECRET_ACCESS_KEY"],
        )


_REGION = "eu-west-1"


class _BulkEndpoint(BaseHTTPRequestHandler):
    """``POST /_bulk`` answered as OpenSearch answers a bulk request it takes whole (every item
    created): the indexer's real client makes its real request; no cluster is needed."""

    requests = 0

    def do_POST(self) -> None:
        body = self.rfile.read(int(self.headers.get("content-length") or 0))
        if self.headers.get("content-encoding") == "gzip":  # the bulk client compresses, as AWS advises
            body = gzip.decompress(body)
        lines = [json.loads(line) for line in body.splitlines() if line.strip()]
        items = []
        for action in lines[::2]:
            verb, meta = next(iter(action.items()))
            items.append({verb: {"_index": meta.get("_index"), "_id": meta.get("_id"), "status": 201}})
        answer = json.dumps({"took": 1, "errors": False, "items": items}).encode()
        type(self).requests += 1
        self.send_response(200)
        self.send_header("content-type", "application/json")
        self.send_header("content-length", str(len(answer)))
        self.end_headers()
        self.wfile.write(answer)

    def log_message(self, format: str, *args: Any) -> None:
        pass


@contextmanager
def _bulk_endpoint() -> Iterator[str]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _BulkEndpoint)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


def images_codec(base: str) -> Any:
    """A codec writing the schema version the images on ``base`` write (asked of the image; this
    checkout's registry holds every version, so an older image's is one of them)."""
    from sluice.events.codec import Codec
    from sluice.events.registry import PLAYER_EVENT, Registry, default_registry

    try:
        said = subprocess.run(
            [docker_binary(), "run", "--rm", "--entrypoint", "python3", base, "-c", _WRITER_FINGERPRINT],
            text=True,
            capture_output=True,
            check=True,
        ).stdout.strip()
    except subprocess.CalledProcessError as exc:
        raise ReportError(f"asking {base} which schema its stages write: {_engine_said(exc)}") from None
    registry = default_registry()
    writer = registry.by_fingerprint(int(said)) if said.isdigit() else None
    if writer is None or writer.subject != PLAYER_EVENT:
        raise ReportError(f"{base} writes a player_event schema this checkout does not have ({said or 'no answer'})")
    older = [v for v in registry.versions() if v.subject != PLAYER_EVENT or v.version <= writer.version]
    return Codec(registry=Registry(older))


_WRITER_FINGERPRINT = "from sluice.events.codec import Codec; print(Codec().fingerprint)"


@contextmanager
def endpoints(stages: Sequence[str], codec: Any = None) -> Iterator[Endpoints]:
    """moto in server mode with the local stack's resources (its recorded settings), and the
    embedded PostgreSQL (migrated) and a bulk endpoint when a stage that calls them is measured;
    events encoded by ``codec`` (this checkout's current schema when None)."""
    from botocore.exceptions import BotoCoreError, ClientError
    from sqlalchemy.exc import SQLAlchemyError

    from sluice_tools.local import provision
    from sluice_tools.local.services import moto_server, postgres_server, tcp_to_unix

    with ExitStack() as stack:
        try:
            aws = stack.enter_context(moto_server())
            if codec is None:
                from sluice.events.codec import Codec

                codec = Codec()
            found = Endpoints(aws, provision.recorded_settings(provision.repo_root()), codec)
            provision.create_directly(found.settings, found.client)
            if "loader" in stages:
                from sqlalchemy.engine import make_url

                from sluice_tools.warehouse.engine import create_engine_for
                from sluice_tools.warehouse.migrate import migrate

                url = stack.enter_context(postgres_server())
                engine = create_engine_for(url)
                migrate(engine)
                engine.dispose()
                # The container's non-root user cannot open PostgreSQL's private socket: TCP.
                parsed = make_url(url)
                port = stack.enter_context(tcp_to_unix(f"{parsed.query['host']}/.s.PGSQL.{parsed.port or 5432}"))
                found.warehouse_url = parsed.set(host="127.0.0.1", port=port, query={}).render_as_string(
                    hide_password=False
                )
            if "indexer" in stages:
                found.opensearch_url = stack.enter_context(_bulk_endpoint())
        except (OSError, RuntimeError, ValueError, BotoCoreError, ClientError, SQLAlchemyError) as exc:
            # TimeoutError (an endpoint that never came up) is an OSError
            raise ReportError(f"starting the local endpoints: {exc}") from None
        yield found


# --- the probes --------------------------------------------------------------------------------
@dataclass(frozen=True)
class Probe:
    """A stage's first invocation: its settings, a trigger that makes it build its clients and
    call them, and the answer it gives only when those calls succeeded."""

    env: dict[str, str]
    event: Callable[[], dict[str, Any]]
    expect: Callable[[Any], bool]


def _player_event(now_ms: int) -> dict[str, Any]:
    """A heartbeat as a player sends it, happening now (so no stage finds it late)."""
    return {
        "event_id": str(uuid.uuid4()),
        "event_type": "heartbeat",
        "session_id": str(uuid.uuid4()),
        "sequence": 7,
        "client_time": datetime.fromtimestamp(now_ms / 1000, UTC).isoformat(timespec="milliseconds")[:-6] + "Z",
        "player": {"name": "sluice-web", "version": "4.12.1"},
        "device": {"type": "desktop"},
        "content": {"id": "content-0042", "duration_ms": 3_600_000},
        "cdn": {"name": "akamai"},
        "payload": dict(STEADY_HEARTBEAT_PAYLOAD),
    }


_USER_AGENT = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0"


def _record(*, clean: bool) -> dict[str, Any]:
    """An event as ingest writes it to the raw stream (``clean``: as the processor then writes it
    to the clean stream, enriched): the processor's probe parses its user agent, as real ones do."""
    from sluice.events.json_mapping import EventMapper

    now = int(time.time() * 1000)
    record = EventMapper().to_record(_player_event(now), server_time=now)
    record["ingest"] = {
        "request_id": str(uuid.uuid4()),
        "user_agent": _USER_AGENT,
        "country": "GB",
        "client_ip_prefix": "198.51.100.0/24",
    }
    if clean:
        from sluice.processor.enrichment import enrich

        enrich(record, now)
    return record


def _kinesis_event(found: Endpoints, stream: str, record: dict[str, Any]) -> dict[str, Any]:
    sequence = str(49_590_338_271_490_256_608_559_692_538_361_571_095_921_575_989_136_588_898 + time.monotonic_ns())
    return {
        "Records": [
            {
                "kinesis": {
                    "kinesisSchemaVersion": "1.0",
                    "partitionKey": record["session_id"],
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(found.codec.encode(record)).decode("ascii"),
                    "approximateArrivalTimestamp": time.time(),
                },
                "eventSource": "aws:kinesis",
                "eventVersion": "1.0",
                "eventID": f"shardId-000000000000:{sequence}",
                "eventName": "aws:kinesis:record",
                "awsRegion": _REGION,
                "eventSourceARN": f"arn:aws:kinesis:{_REGION}:123456789012:stream/{stream}",
            }
        ]
    }


def _http_post(events: list[dict[str, Any]]) -> dict[str, Any]:
    """HTTP API (payload 2.0) POST of player events, as API Gateway hands it to ingest."""
    return {
        "version": "2.0",
        "routeKey": "POST /events",
        "rawPath": "/events",
        "rawQueryString": "",
        "headers": {"content-type": "application/json", "user-agent": _USER_AGENT},
        "requestContext": {
            "http": {"method": "POST", "path": "/events", "sourceIp": "198.51.100.7", "userAgent": _USER_AGENT},
            "requestId": str(uuid.uuid4()),
            "routeKey": "POST /events",
            "stage": "$default",
            "timeEpoch": int(time.time() * 1000),
        },
        "body": json.dumps(events),
        "isBase64Encoded": False,
    }


def _lake_object(found: Endpoints) -> dict[str, Any]:
    """A new lake object of one line, and the SQS message of its S3 notification."""
    from sluice.processor.lake import lake_line

    (event_type, date, hour), line = lake_line(_record(clean=True))
    bucket = found.settings["lake_bucket"]
    key = f"events/event_type={event_type}/event_date={date}/event_hour={hour}/probe-{uuid.uuid4()}.json"
    put = found.client("s3").put_object(Bucket=bucket, Key=key, Body=line)
    notification = {
        "Records": [
            {
                "eventSource": "aws:s3",
                "eventName": "ObjectCreated:Put",
                "s3": {"bucket": {"name": bucket}, "object": {"key": key, "size": len(line), "eTag": put["ETag"]}},
            }
        ]
    }
    return {"Records": [{"eventSource": "aws:sqs", "messageId": str(uuid.uuid4()), "body": json.dumps(notification)}]}


def _monitor_window() -> dict[str, Any]:
    minute = int(time.time()) // 60 * 60
    start, end = (time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(at)) for at in (minute, minute + 60))
    return {"start": start, "end": end}


# The bare image: the same base, the sluice packages removed, a handler that builds one botocore
# client (from botocore's session, as the stages do) and makes one call to the same emulator.
BARE = "bare"
_BARE_HANDLER = """import botocore.session


def handle(event, context):
    kinesis = botocore.session.get_session().create_client("kinesis")
    kinesis.put_record(StreamName=event["stream"], Data=b"bare", PartitionKey="bare")
    return {"called": "kinesis:PutRecord"}
"""
_BARE_RECIPE = """FROM {base}
USER root
RUN rm -rf /opt/venv/lib/python3*/site-packages/sluice /opt/venv/lib/python3*/site-packages/sluice-*.dist-info \\
    && mkdir -p /opt/bare \\
    && /opt/venv/bin/python -c "import base64; open('/opt/bare/bare.py', 'wb').write(base64.b64decode('{handler}'))" \\
    && /opt/venv/bin/python -m compileall -q --invalidation-mode unchecked-hash /opt/bare
USER 10001
ENV PYTHONPATH=/opt/bare SLUICE_HANDLER=bare.handle
"""


def probes(found: Endpoints) -> dict[str, Probe]:
    """Each stage's first invocation, and the bare image's, against ``found``."""
    from sluice_tools.local.services import AWS_ENV

    s = found.settings
    aws = {**AWS_ENV, "AWS_ENDPOINT_URL": found.aws}
    no_failures: dict[str, Any] = {"batchItemFailures": []}
    return {
        BARE: Probe(aws, lambda: {"stream": s["raw_stream"]}, lambda answer: answer == {"called": "kinesis:PutRecord"}),
        # One event accepted is one PutRecords the raw stream took.
        "ingest": Probe(
            {**aws, "SLUICE_RAW_STREAM": s["raw_stream"]},
            lambda: _http_post([_player_event(int(time.time() * 1000))]),
            lambda answer: (
                isinstance(answer, dict)
                and answer.get("statusCode") == 200
                and json.loads(answer.get("body") or "{}").get("accepted") == 1
            ),
        ),
        # Decoded, enriched (its user agent parsed), written to the lake and the clean stream.
        "processor": Probe(
            {
                **aws,
                "SLUICE_LAKE_FIREHOSE": s["lake_firehose"],
                "SLUICE_CLEAN_STREAM": s["clean_stream"],
                "SLUICE_FAILED_FIREHOSE": s["failed_firehose"],
            },
            lambda: _kinesis_event(found, s["raw_stream"], _record(clean=False)),
            lambda answer: answer == no_failures,
        ),
        "indexer": Probe(
            {**aws, "SLUICE_OPENSEARCH_URL": found.opensearch_url, "SLUICE_FAILED_FIREHOSE": s["failed_firehose"]},
            lambda: _kinesis_event(found, s["clean_stream"], _record(clean=True)),
            lambda answer: answer == no_failures,
        ),
        # A new lake object read from S3 and merged into PostgreSQL.
        "loader": Probe(
            {**aws, "SLUICE_WAREHOUSE_URL": found.warehouse_url, "SLUICE_FAILED_FIREHOSE": s["failed_firehose"]},
            lambda: _lake_object(found),
            lambda answer: answer == no_failures,
        ),
        # A window's final invocation: its counters stored in DynamoDB, its metrics written.
        "monitor": Probe(
            {
                **aws,
                "SLUICE_ALERT_TOPIC_ARN": s["alert_topic_arn"],
                "SLUICE_HEALTH_TABLE": s["health_table"],
                "SLUICE_FAILED_FIREHOSE": s["failed_firehose"],
            },
            lambda: {
                **_kinesis_event(found, s["clean_stream"], _record(clean=True)),
                "window": _monitor_window(),
                "state": {},
                "shardId": "shardId-000000000000",
                "isFinalInvokeForWindow": True,
            },
            lambda answer: answer == {"state": {}, **no_failures},
        ),
    }


# --- the engine ----------------------------------------------------------------------------------
def _engine_said(exc: subprocess.CalledProcessError) -> str:
    """The engine's own last line (its stderr is captured, so a failure would otherwise say only
    "returned non-zero exit status 1")."""
    said = [line for line in str(exc.stderr or exc.stdout or "").splitlines() if line.strip()]
    return said[-1].strip() if said else f"exit status {exc.returncode}"


def build_bare(base: str) -> str:
    """The bare image on the stages' own base (no build context: the recipe is all there is)."""
    tag = "sluice/bare:first-invocation-baseline"
    try:
        subprocess.run(
            [docker_binary(), "build", "-q", "-t", tag, "-"],
            input=_BARE_RECIPE.format(base=base, handler=base64.b64encode(_BARE_HANDLER.encode()).decode()),
            text=True,
            capture_output=True,
            check=True,
        )
    except subprocess.CalledProcessError as exc:
        raise ReportError(f"building the bare image on {base}: {_engine_said(exc)}") from None
    return tag


def measure(image: str, stage: str, probe: Probe, found: Endpoints) -> Timing:
    """One cold start of ``image`` answering ``probe``: an answer other than the one its calls
    succeeding give, or a failed event written for it, is a measurement not taken."""
    event = probe.event()
    failed = found.failed_objects()
    try:
        with stage_container(image, probe.env) as container:
            try:
                answer = container.invoke(event, timeout_s=PROBE_TIMEOUT_S)
            except (InvocationError, TimeoutError) as exc:
                raise ReportError(f"{stage} ({image}) did not answer its probe: {exc}") from None
            answered = container.api.invocations[next(iter(container.api.invocations))].answered_at or time.monotonic()
            if not probe.expect(answer):
                raise ReportError(
                    f"{stage} ({image}) answered its probe with {json.dumps(answer)[:300]}, not what a stage "
                    "whose calls succeeded answers"
                )
            if found.failed_objects() != failed:
                raise ReportError(
                    f"{stage} ({image}) wrote a failed event for its probe: the event did not take the stage's path"
                )
            polled = container.api.first_poll_at or answered
            return Timing((polled - container.started_at) * 1000, (answered - container.started_at) * 1000)
    except subprocess.CalledProcessError as exc:
        raise ReportError(f"running {image}: {_engine_said(exc)}") from None


# What the report reads from the lock file `make build-images` writes.
LOCK_KEYS = ("version", "git_revision", "python_image", "base", "stages")


def read_lock(path: Path) -> dict[str, Any]:
    try:
        lock = json.loads(path.read_text())
    except FileNotFoundError:
        raise ReportError(f"{path}: not found (build the images first: make build-images)") from None
    except (OSError, ValueError) as exc:
        raise ReportError(f"{path}: cannot read it ({exc})") from None
    if not isinstance(lock, dict):
        raise ReportError(f"{path}: not a lock file of make build-images (not a JSON object)")
    missing = [key for key in LOCK_KEYS if key not in lock]
    if missing or not isinstance(lock["base"], dict) or "image" not in lock["base"]:
        raise ReportError(f"{path}: not a lock file of make build-images (no {', '.join(missing) or 'base image'})")
    return {str(key): value for key, value in lock.items()}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--lock", default="images.lock.json")
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    if args.runs < 1:
        parser.error(f"--runs {args.runs}: give at least 1")
    try:
        lock = read_lock(Path(args.lock))
        if shutil.which(docker_binary()) is None:
            raise ReportError(f"no container engine: {docker_binary()!r} is not a command (install it or set DOCKER)")
        report(lock, args.runs)
    except ReportError as exc:
        print(f"image-report: error: {exc}", file=sys.stderr)
        return 1
    return 0


def report(lock: dict[str, Any], runs: int) -> None:
    bare = build_bare(lock["base"]["image"])
    codec = images_codec(lock["base"]["image"])
    stages = [stage for stage in STAGES if stage in lock["stages"]]
    unbuilt = [stage for stage in STAGES if stage not in lock["stages"]]
    with endpoints(stages, codec) as found:
        probe = probes(found)
        print(
            f"Sluice images {lock['version']} at {lock['git_revision']} on {lock['python_image']}: first "
            f"invocation (docker run to the first response: handler imported, clients built, its calls made to "
            f"moto at {found.aws}{', the embedded PostgreSQL' if found.warehouse_url else ''}"
            f"{', a bulk endpoint' if found.opensearch_url else ''}), median (min-max) of {runs} cold starts; "
            f"bare: {bare}, the same base without sluice: one botocore client and one Kinesis PutRecord, "
            "started in turn with each stage\n"
        )
        if unbuilt:
            print(f"not in the lock file (not built): {', '.join(unbuilt)}")
        measure(bare, BARE, probe[BARE], found)  # warm-up: the first container of a run pays the engine's own start
        rows = []
        for stage in stages:
            entry = lock["stages"][stage]
            measure(entry["image"], stage, probe[stage], found)  # warm-up, so page-cache state favours no image
            # In turn with the bare image: a slower or busier moment of the machine weighs on both.
            timings, bare_timings = [], []
            for _ in range(runs):
                bare_timings.append(measure(bare, BARE, probe[BARE], found))
                timings.append(measure(entry["image"], stage, probe[stage], found))
            rows.append(
                Row(
                    stage,
                    int(entry["size_bytes"]),
                    int(entry["layers"]),
                    Figures.of([t.init_ms for t in timings]),
                    Figures.of([t.first_ms for t in timings]),
                    Figures.of([t.first_ms for t in bare_timings]),
                )
            )
    print("\n".join(format_rows(rows)))


if __name__ == "__main__":
    sys.exit(main())
