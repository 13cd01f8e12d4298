"""The whole pipeline on one machine: the AWS API emulator, the embedded PostgreSQL, the local
API endpoint in front of ingest, the CDN stand-in writing real-time log lines to the CDN log
stream, and the event-source-mapping runtime driving every stage, in process or inside its
container image."""

from __future__ import annotations

import json
import logging
import os
import subprocess
import tempfile
import threading
import time
from collections.abc import Callable
from contextlib import ExitStack
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from sluice.cdn.config import local_fields
from sluice_tools.local import provision
from sluice_tools.local.api import IngestEndpoint
from sluice_tools.local.cdn import CdnStandIn, EdgeFault, content_root
from sluice_tools.local.cdn_log import LogShipper
from sluice_tools.local.drain import DRAIN_CAP_S, Backlog, backlogs, in_flight, wait_drained
from sluice_tools.local.esm import (
    Invoke,
    KinesisPoller,
    KinesisSettings,
    PollingLoop,
    Schedule,
    SqsPoller,
    in_container,
    in_process,
)
from sluice_tools.local.services import AWS_ENV, moto_server, postgres_server, tcp_to_unix
from sluice_tools.local.stage_log import named

__all__ = ["LocalOptions", "LocalPipeline"]

log = logging.getLogger("sluice_tools.local")


@dataclass
class LocalOptions:
    runtime: str = "inprocess"  # or docker
    opensearch_url: str | None = None
    health_window_seconds: int = 60
    provisioning: str = "auto"  # auto (terraform when available), terraform, direct
    lock_file: Path | None = None
    say: Any = print
    cdn: bool = True  # the CDN stand-in in front of the test streams
    cdn_faults: dict[str, EdgeFault] = field(default_factory=dict)  # per edge location
    # Where the stages' containers' lines go (``--runtime docker``; in process they write to
    # this process's stdout): one JSON object a line, each naming its stage.
    stage_log: IO[str] | None = None


@dataclass
class LocalPipeline:
    options: LocalOptions
    endpoint: str = ""
    warehouse_url: str = ""
    settings: dict[str, Any] = field(default_factory=dict)
    api: IngestEndpoint | None = None
    cdn: CdnStandIn | None = None
    loop: PollingLoop | None = None
    monitor_pollers: list[KinesisPoller] = field(default_factory=list)
    evaluation: Schedule | None = None
    provisioned_by: str = ""
    warehouse_tables: list[str] = field(default_factory=list)
    warehouse_views: list[str] = field(default_factory=list)
    stages: list[str] = field(default_factory=list)
    on_failure: list[dict[str, Any]] = field(default_factory=list)
    _stage_log_lock: threading.Lock = field(default_factory=threading.Lock)
    _stack: ExitStack = field(default_factory=ExitStack)

    def client(self, service: str) -> Any:
        from botocore.config import Config

        from sluice.aws.clients import session

        return session().create_client(
            service,
            endpoint_url=self.endpoint,
            region_name=AWS_ENV["AWS_REGION"],
            config=Config(retries={"mode": "standard", "max_attempts": 2}),
        )

    # --- up ----------------------------------------------------------------------------------
    def start(self) -> LocalPipeline:
        say = self.options.say
        # The stages in process read their settings from this process's environment: give it
        # back as it was when the pipeline stops, so the next pipeline starts from a clean slate.
        self._stack.callback(_restore_environment, dict(os.environ))
        os.environ.update(AWS_ENV)
        say("  starting the AWS API emulator (moto, server mode)")
        self.endpoint = self._stack.enter_context(moto_server())
        os.environ["AWS_ENDPOINT_URL"] = self.endpoint
        say(f"  AWS API emulator (moto, server mode)  {self.endpoint}")
        say("  starting the embedded PostgreSQL")
        self.warehouse_url = self._stack.enter_context(postgres_server())
        say("  warehouse: embedded PostgreSQL        (pgserver)")
        self._provision()
        self._migrate()
        invokers = self._invokers()
        self.api = IngestEndpoint(invokers["ingest"])
        self.api.start()
        self._stack.callback(self.api.stop)
        say(f"  ingest endpoint (API Gateway shape)   {self.api.url}/events")
        self._start_cdn()
        self._start_pollers(invokers)
        if self.options.opensearch_url:
            say(f"  search leg: OpenSearch at {self.options.opensearch_url}")
        else:
            say("  search leg: OFF (no SLUICE_OPENSEARCH_URL given): nothing is indexed")
        return self

    def _provision(self) -> None:
        root = provision.repo_root()
        mode = self.options.provisioning
        use_terraform = mode == "terraform" or (mode == "auto" and provision.terraform_available())
        if use_terraform:
            state = Path(tempfile.mkdtemp(prefix="sluice-tfstate-")) / "local.tfstate"
            variables = {
                "health_window_seconds": str(self.options.health_window_seconds),
                "warehouse_url": self.warehouse_url,
            }
            if self.options.opensearch_url:
                variables["opensearch_url"] = self.options.opensearch_url
            self.options.say(
                "  provisioning terraform/envs/local (terraform apply against the emulator: a minute or two)"
            )
            self.settings = provision.apply_terraform(root, self.endpoint, state, variables, say=self.options.say)
            self.provisioned_by = "terraform/envs/local (terraform apply)"
        else:
            self.settings = provision.recorded_settings(root)
            self.settings["triggers"]["monitor"]["tumbling_window_seconds"] = self.options.health_window_seconds
            provision.create_directly(self.settings, self.client)
            why = "Terraform not available" if mode == "auto" else "created directly, as asked"
            self.provisioned_by = f"terraform/generated/local-settings.json ({why})"
        self.options.say(f"  resources from {self.provisioned_by}")

    def _start_cdn(self) -> None:
        """The CDN stand-in, logging to the CDN log stream; without ffmpeg (no test stream can be
        made) it serves nothing and says why, and the rest of the pipeline starts as usual."""
        stream = self.settings.get("cdn_log_stream")
        if not self.options.cdn or not stream:
            return
        root, off = None, None
        try:
            root = content_root()
        except (OSError, RuntimeError, subprocess.SubprocessError) as exc:  # no ffmpeg, or it failed
            off = f"no test stream: {exc}"
        shipper = LogShipper(self.client("kinesis"), stream)
        self.cdn = CdnStandIn(root, shipper, faults=self.options.cdn_faults, off=off).start()
        self._stack.callback(self.cdn.stop)
        if root is None:
            self.options.say(f"  CDN stand-in: OFF ({off}); log stream {stream}")
            return
        for location, edge in self.cdn.edges.items():
            fault = "" if edge.fault.describe() == "none" else f"  fault {edge.fault.describe()}"
            self.options.say(f"  CDN edge {location:<10}  {edge.url}{fault}")
        self.options.say(f"  CDN real-time log lines to {stream}")

    def _migrate(self) -> None:
        from sqlalchemy import inspect

        from sluice_tools.warehouse.engine import create_engine_for
        from sluice_tools.warehouse.migrate import migrate

        engine = create_engine_for(self.warehouse_url)
        migrate(engine)
        inspector = inspect(engine)
        self.warehouse_tables = sorted(inspector.get_table_names())
        self.warehouse_views = sorted(inspector.get_view_names())
        engine.dispose()
        views = "".join(f"; view {view}" for view in self.warehouse_views)
        self.options.say(f"  warehouse tables: {', '.join(self.warehouse_tables)}{views}")

    def stage_environment(self) -> dict[str, str]:
        s = self.settings
        env = {
            **AWS_ENV,
            "AWS_ENDPOINT_URL": self.endpoint,
            "SLUICE_RAW_STREAM": s["raw_stream"],
            "SLUICE_CLEAN_STREAM": s["clean_stream"],
            "SLUICE_LAKE_FIREHOSE": s["lake_firehose"],
            "SLUICE_FAILED_FIREHOSE": s["failed_firehose"],
            "SLUICE_ALERT_TOPIC_ARN": s["alert_topic_arn"],
            "SLUICE_HEALTH_TABLE": s["health_table"],
            "SLUICE_WAREHOUSE_URL": self.warehouse_url,
            # The evaluator's windows are the monitor's; locally every shard closes on time.
            "SLUICE_HEALTH_WINDOW_SECONDS": str(self.window_seconds),
            "SLUICE_EVALUATION_DELAY_SECONDS": "2",
        }
        if self.options.opensearch_url:
            env["SLUICE_OPENSEARCH_URL"] = self.options.opensearch_url
        if s.get("cdn_log_stream"):
            # The processor's second input: the stand-in's lines, in its order (no real-time log
            # configuration to ask locally), every request logged.
            env["SLUICE_CDN_LOG_STREAM"] = s["cdn_log_stream"]
            env["SLUICE_CDN_LOG_FIELDS"] = ",".join(local_fields())
            env["SLUICE_CDN_SAMPLING_RATE"] = "100"
        # Tuning given to this process (thresholds, limits) reaches the stages, in process or not.
        env.update({k: v for k, v in os.environ.items() if k.startswith("SLUICE_") and k not in env})
        return env

    @property
    def window_seconds(self) -> int:
        return int(self.settings["triggers"]["monitor"]["tumbling_window_seconds"])

    def _invokers(self) -> dict[str, Invoke]:
        stages = ["ingest", "processor", "loader", "monitor"] + (["indexer"] if self.options.opensearch_url else [])
        self.stages = stages
        env = self.stage_environment()
        if self.options.runtime == "docker":
            invokers = {stage: self._container(stage, env) for stage in stages}
            invokers["evaluator"] = self._container("monitor", env, handler="sluice_monitor.handler.evaluate")
            return invokers
        os.environ.update(env)
        import importlib

        from sluice.aws.clients import client, session

        # A handler keeps its clients and service while its process is warm; a new local pipeline
        # in the same process is a cold start against new endpoints.
        client.cache_clear()
        session.cache_clear()
        modules = [importlib.import_module(f"sluice_{stage}.handler") for stage in stages]
        for module in modules:
            for value in vars(module).values():
                if (
                    callable(getattr(value, "cache_clear", None))
                    and getattr(value, "__module__", "") == module.__name__
                ):
                    value.cache_clear()
        invokers = {stage: in_process(module.handle) for stage, module in zip(stages, modules, strict=True)}
        invokers["evaluator"] = in_process(modules[stages.index("monitor")].evaluate)
        self.options.say(f"  stages in process: {', '.join(stages)}")
        return invokers

    def _container(self, stage: str, env: dict[str, str], handler: str | None = None) -> Invoke:
        from sqlalchemy.engine import make_url

        from sluice_tools.local.containers import locked_image, stage_container

        lock = self.options.lock_file or provision.repo_root() / "images.lock.json"
        if not lock.exists():
            raise FileNotFoundError("no images.lock.json: run `make build-images` before --runtime docker")
        stage_env = dict(env)
        if stage == "loader":
            # The container's non-root user cannot open PostgreSQL's private socket: use TCP.
            url = make_url(self.warehouse_url)
            port = self._stack.enter_context(tcp_to_unix(f"{url.query['host']}/.s.PGSQL.{url.port or 5432}"))
            stage_env["SLUICE_WAREHOUSE_URL"] = url.set(host="127.0.0.1", port=port, query={}).render_as_string(
                hide_password=False
            )
        image = locked_image(stage, lock)
        label = f"{stage} ({handler.rsplit('.', 1)[-1]})" if handler else stage
        self.options.say(f"  starting the {label} container from {image}")
        log = None if self.options.stage_log is None else (lambda line: self._log_stage_line(stage, line))
        container = self._stack.enter_context(stage_container(image, stage_env, handler=handler, log=log))
        self.options.say(f"  {label} container {container.name}")
        return in_container(container)

    def _log_stage_line(self, stage: str, line: str) -> None:
        assert self.options.stage_log is not None
        with self._stage_log_lock:  # one pump thread per container, one file
            self.options.stage_log.write(named(stage, line) + "\n")
            self.options.stage_log.flush()

    def _start_pollers(self, invokers: dict[str, Invoke]) -> None:
        triggers = self.settings["triggers"]
        kinesis, sqs = self.client("kinesis"), self.client("sqs")

        def settings_of(name: str) -> KinesisSettings:
            t = triggers[name]
            return KinesisSettings(
                batch_size=int(t["batch_size"]),
                batching_window_seconds=float(t["batching_window_seconds"]),
                starting_position=t.get("starting_position", "TRIM_HORIZON"),
                tumbling_window_seconds=int(t["tumbling_window_seconds"]) if t.get("tumbling_window_seconds") else None,
            )

        pollers: list[Any] = [
            KinesisPoller(
                kinesis,
                triggers["processor"]["stream"],
                invokers["processor"],
                settings_of("processor"),
                on_failure=self._on_failure("processor"),
                function_arn=self._function_arn("processor"),
                name="processor",
            )
        ]
        if self.settings.get("cdn_log_stream"):
            # The processor's second event source mapping, on the CDN log stream, with the raw
            # stream's batching and failure handling (as envs/aws maps it).
            pollers.append(
                KinesisPoller(
                    kinesis,
                    self.settings["cdn_log_stream"],
                    invokers["processor"],
                    settings_of("processor"),
                    on_failure=self._on_failure("processor"),
                    function_arn=self._function_arn("processor"),
                    name="processor (cdn logs)",
                )
            )
        monitor = KinesisPoller(
            kinesis,
            triggers["monitor"]["stream"],
            invokers["monitor"],
            settings_of("monitor"),
            on_failure=self._on_failure("monitor"),
            function_arn=self._function_arn("monitor"),
            name="monitor",
        )
        self.monitor_pollers = [monitor]
        pollers.append(monitor)
        # The health evaluation's schedule (EventBridge Scheduler in the stacks): every window.
        self.evaluation = Schedule(invokers["evaluator"], self.window_seconds, name="health evaluation")
        pollers.append(self.evaluation)
        if "indexer" in invokers:
            pollers.append(
                KinesisPoller(
                    kinesis,
                    triggers["indexer"]["stream"],
                    invokers["indexer"],
                    settings_of("indexer"),
                    on_failure=self._on_failure("indexer"),
                    function_arn=self._function_arn("indexer"),
                    name="indexer",
                )
            )
        queue = sqs.get_queue_url(QueueName=triggers["loader"]["queue"].rsplit("/", 1)[-1])["QueueUrl"]
        pollers.append(
            SqsPoller(sqs, queue, invokers["loader"], batch_size=int(triggers["loader"]["batch_size"]), name="loader")
        )
        self.loop = PollingLoop(pollers)
        self.loop.start()
        self._stack.callback(self.loop.stop)
        self.options.say(f"  event source mappings: {', '.join(p.name for p in pollers)} ({self.options.runtime})")

    def _function_arn(self, stage: str) -> str:
        function = self.settings.get("functions", {}).get(stage, f"sluice-{stage}")
        topic = self.settings["alert_topic_arn"].split(":")  # the stack's region and account
        return f"arn:aws:lambda:{topic[3]}:{topic[4]}:function:{function}"

    def _on_failure(self, stage: str) -> Any:
        """The mapping's on-failure destination: the stage's `<function>-on-failure` queue when
        the stack made one (Terraform), with what Lambda's record of a discarded batch carries."""
        sqs = self.client("sqs")
        function = self.settings.get("functions", {}).get(stage, f"sluice-{stage}")
        try:
            queue: str | None = sqs.get_queue_url(QueueName=f"{function}-on-failure")["QueueUrl"]
        except Exception:  # noqa: BLE001 - no such queue (direct provisioning): keep them in memory
            queue = None

        def send(message: dict[str, Any]) -> None:
            self.on_failure.append({"stage": stage, **message})
            if queue is not None:
                sqs.send_message(QueueUrl=queue, MessageBody=json.dumps(message))

        return send

    # --- drain and down ----------------------------------------------------------------------
    def drain(
        self,
        timeout_s: float = DRAIN_CAP_S,
        *,
        progress: Callable[[float, list[Backlog]], Any] | None = None,
    ) -> bool:
        """Wait until nothing is in flight (see `sluice_tools.local.drain`), at most ``timeout_s``;
        then close the monitor's open windows and judge them. False: something is still in
        flight (``in_flight()`` says where), which is not the same as lost."""
        assert self.loop is not None
        started = time.monotonic()
        if self.cdn is not None:
            self.cdn.shipper.flush()  # the CDN's last requests, not left for its next flush
        drained = wait_drained(self.loop, timeout_s, progress=progress)
        for poller in self.monitor_pollers:
            # Close the open windows now rather than wait for them; on a runtime thread, as the
            # mapping's own invocations are (their output is the stages', not the caller's).
            closing = threading.Thread(target=poller.flush_windows, name="sluice-esm-flush")
            closing.start()
            closing.join()
        if self.evaluation is not None:
            # Judge the windows just closed too: as the schedule would once they are due.
            evaluation = self.evaluation
            due = time.time() + 2 * self.window_seconds + 3
            judging = threading.Thread(target=lambda: evaluation.fire(due), name="sluice-esm-evaluate")
            judging.start()
            judging.join()
        # What the closing windows wrote must settle too (a drain that used up its time gets a
        # short while more for that).
        left = max(30.0, timeout_s - (time.monotonic() - started))
        return drained and wait_drained(self.loop, left, progress=progress)

    def in_flight(self) -> list[Backlog]:
        """Where events may still be on their way (empty once drained)."""
        assert self.loop is not None
        return in_flight(backlogs(self.loop))

    def stop(self) -> None:
        self._stack.close()


def _restore_environment(saved: dict[str, str]) -> None:
    os.environ.clear()
    os.environ.update(saved)
