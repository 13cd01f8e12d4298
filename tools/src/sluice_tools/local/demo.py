"""`make demo`: the whole pipeline on this machine, simulated players through the HTTP endpoint,
then the accounting of every event sent."""

from __future__ import annotations

import gzip
import json
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sluice_tools.local.accounting import failed_events, indexed_ids, lake_event_ids, warehouse
from sluice_tools.local.drain import DRAIN_CAP_S, Backlog
from sluice_tools.local.pipeline import LocalOptions, LocalPipeline
from sluice_tools.traffic.generator import GeneratedEvent, Incident, Problems, TrafficConfig, generate

__all__ = [
    "EVENTS_PER_SESSION",
    "INCIDENT_MS",
    "MAX_HEARTBEATS",
    "REQUEST_EVENTS",
    "SEND_SECONDS",
    "TIMELINE_MS",
    "UNDECIDED",
    "WINDOW_SECONDS",
    "SendProgress",
    "Sent",
    "ThreadRoutedOutput",
    "print_in_flight",
    "run_demo",
    "send",
    "verdict",
]

EVENTS_PER_SESSION = 14  # the generator's average at the demo's session length, to turn --events into sessions
MAX_HEARTBEATS = 6
REQUEST_EVENTS = 10  # a player flushes every few events
# Player health: windows of 10 s (the stacks use 60 s) over about 150 s of sending, so the
# fastly incident's onset, its course and its recovery fall into windows of their own.
WINDOW_SECONDS = 10
SEND_SECONDS = 150
TIMELINE_MS = 12 * 60_000  # the sessions' client times, replayed over SEND_SECONDS
INCIDENT_MS = (4 * 60_000, 7 * 60_000)  # on that timeline
UNDECIDED = 2  # the exit status when the pipeline did not drain: neither YES (0) nor NO (1)


class ThreadRoutedOutput:
    """The console for the demo's own lines (main thread); the stages' JSON logs and EMF lines,
    written from the runtime's threads, go to a file instead of drowning the accounting."""

    def __init__(self, console: Any, stages: Any) -> None:
        self.console = console
        self.stages = stages
        self.main = threading.main_thread()

    def write(self, text: str) -> int:
        target = self.console if threading.current_thread() is self.main else self.stages
        return int(target.write(text))

    def flush(self) -> None:
        self.console.flush()
        self.stages.flush()

    def isatty(self) -> bool:
        return bool(self.console.isatty())


@dataclass
class Sent:
    total: int = 0
    accepted_ids: set[str] = field(default_factory=set)
    rejected: Counter[str] = field(default_factory=Counter)
    rejected_events: list[GeneratedEvent] = field(default_factory=list)
    retried: int = 0
    unsent: list[GeneratedEvent] = field(default_factory=list)


class SendProgress:
    """A bar redrawn in place on a terminal; into a file or a pipe (CI, `make demo | tee`), a
    line every tenth of the way instead of a frame per request."""

    def __init__(self, total: int) -> None:
        self.total = total
        self.started = time.monotonic()
        self.tty = sys.stdout.isatty()
        self.tenths = 0

    def __call__(self, done: int) -> None:
        rate = done / max(time.monotonic() - self.started, 1e-6)
        if self.tty:
            width = 40
            filled = int(width * done / max(self.total, 1))
            bar = f"[{'#' * filled}{'.' * (width - filled)}]"
            sys.stdout.write(f"\r  sending  {bar} {done}/{self.total} events  {rate:,.0f}/s")
            sys.stdout.flush()
            return
        tenths = 10 * done // max(self.total, 1)
        if tenths > self.tenths:
            self.tenths = tenths
            print(f"  sending  {done}/{self.total} events  {rate:,.0f}/s")

    def end(self) -> None:
        if self.tty:
            sys.stdout.write("\n")


def _post(url: str, batch: list[GeneratedEvent]) -> tuple[int, dict[str, Any]]:
    body = gzip.compress("\n".join(e.body for e in batch).encode())
    headers = {**batch[0].headers, "content-type": "application/x-ndjson", "content-encoding": "gzip"}
    request = urllib.request.Request(f"{url}/events", data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=60) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")


def send(url: str, events: list[GeneratedEvent], *, over_s: float = 0.0) -> Sent:
    """Each session's events in order, a few per request, as players flush them; a 503's
    not_accepted events are sent again, as a player retries. With ``over_s``, the requests are
    paced so the events' client times play out over that many seconds: the stream's arrival
    times (which the monitor's windows follow) keep the traffic's shape."""
    by_session: dict[str, list[GeneratedEvent]] = defaultdict(list)
    for event in events:
        by_session[event.session.session_id].append(event)
    batches = [evs[i : i + REQUEST_EVENTS] for evs in by_session.values() for i in range(0, len(evs), REQUEST_EVENTS)]
    batches.sort(key=lambda b: b[-1].client_time_ms)  # sent once its last event has happened
    first = batches[0][-1].client_time_ms if batches else 0
    span = max((batches[-1][-1].client_time_ms - first) if batches else 1, 1)
    sent = Sent(total=len(events))
    progress = SendProgress(len(events))
    done = 0

    paced_from = time.monotonic()

    def deliver(
        batch: list[GeneratedEvent],
    ) -> tuple[list[GeneratedEvent], Counter[str], set[str], list[GeneratedEvent]]:
        if over_s:
            due = paced_from + over_s * (batch[-1].client_time_ms - first) / span
            time.sleep(max(0.0, due - time.monotonic()))
        rejected: Counter[str] = Counter()
        rejected_events: list[GeneratedEvent] = []
        accepted: set[str] = set()
        pending = batch
        for _attempt in range(5):
            status, answer = _post(url, pending)
            bad = {r["index"]: r for r in answer.get("rejected", [])}
            retry = set(answer.get("not_accepted", [])) if status == 503 else set()
            for index, event in enumerate(pending):
                if index in bad:
                    rejected[bad[index]["error_type"]] += 1
                    rejected_events.append(event)
                elif index not in retry and event.event_id:
                    accepted.add(event.event_id)
            pending = [e for i, e in enumerate(pending) if i in retry]
            if not pending:
                break
            time.sleep(1)
        return pending, rejected, accepted, rejected_events

    with ThreadPoolExecutor(max_workers=4) as pool:
        for batch, (left, rejected, accepted, rejected_events) in zip(batches, pool.map(deliver, batches), strict=True):
            sent.unsent += left
            sent.rejected += rejected
            sent.accepted_ids |= accepted
            sent.rejected_events += rejected_events
            done += len(batch)
            progress(done)
    progress.end()
    return sent


def print_in_flight(elapsed_s: float, in_flight: list[Backlog]) -> None:
    """A drain's progress line: what is still on its way, and where."""
    where = "; ".join(b.line() for b in in_flight) or "settling"
    print(f"  {elapsed_s:4.0f} s  still in flight: {where}")


def run_demo(
    events: int,
    runtime: str,
    *,
    seed: int,
    bad_rate: float,
    report_path: Path,
    provisioning: str,
    opensearch_url: str | None,
) -> int:
    import os

    sessions = max(20, events // EVENTS_PER_SESSION)
    # A demo replays minutes of viewing in seconds: events of the last quarter hour count in
    # the window they arrive in. The evaluation keeps its defaults.
    os.environ.setdefault("SLUICE_ALLOWED_LATENESS_SECONDS", "1200")
    log_path = report_path.parent / "demo-stages.log"
    log_path.parent.mkdir(parents=True, exist_ok=True)
    stage_output = ThreadRoutedOutput(sys.stdout, log_path.open("w", encoding="utf-8"))
    sys.stdout = stage_output
    print(
        f"Sluice demo: {sessions} simulated player sessions, {bad_rate:.0%} spoilt events, a CDN incident on fastly; runtime {runtime}\n"
    )
    pipeline = LocalPipeline(
        LocalOptions(
            runtime=runtime,
            opensearch_url=opensearch_url,
            provisioning=provisioning,
            health_window_seconds=WINDOW_SECONDS,
        )
    )
    started = time.monotonic()
    try:
        print("Starting:")
        pipeline.start()
        start = int(time.time() * 1000) - TIMELINE_MS - 60_000
        outage = Incident(
            "cdn",
            "fastly",
            start_ms=start + INCIDENT_MS[0],
            end_ms=start + INCIDENT_MS[1],
            problems=Problems(start_failure_rate=0.9, fatal_error_rate=0.05),
        )
        generated = list(
            generate(
                TrafficConfig(
                    sessions=sessions,
                    seed=seed,
                    start_ms=start,
                    spread_ms=TIMELINE_MS - 90_000,  # the last sessions end by the timeline's end
                    max_heartbeats=MAX_HEARTBEATS,
                    bad_rate=bad_rate,
                    incidents=(outage,),
                )
            )
        )
        print(f"\nDriving {len(generated)} events through {pipeline.api.url if pipeline.api else '?'}/events:")
        print(f"  paced over {SEND_SECONDS} s: player health in windows of {WINDOW_SECONDS} s")
        sent = send(pipeline.api.url if pipeline.api else "", generated, over_s=SEND_SECONDS)
        print(
            "  waiting for the pipeline to drain (streams, lake, loader, the monitor's windows),"
            f" at most {DRAIN_CAP_S / 60:.0f} min ..."
        )
        drained = pipeline.drain(progress=print_in_flight)
        return _report(
            pipeline, generated, sent, drained=drained, report_path=report_path, elapsed=time.monotonic() - started
        )
    finally:
        pipeline.stop()
        print("Stopped everything the demo started.")
        print(f"(the stages' own logs and EMF metrics: {log_path})")
        sys.stdout = stage_output.console


def verdict(*, drained: bool, exact: bool, doubled: int, unsent: int) -> str:
    """YES, NO or UNDECIDED. A pipeline that has not drained is UNDECIDED (what has not arrived is
    on its way, not lost), unless rows are doubled or players could not send: those are wrong
    whatever is still in flight."""
    if not drained and not doubled and not unsent:
        return "UNDECIDED"
    return "YES" if exact and drained else "NO"


def _report(
    pipeline: LocalPipeline,
    generated: list[GeneratedEvent],
    sent: Sent,
    *,
    drained: bool,
    report_path: Path,
    elapsed: float,
) -> int:
    from sluice.monitor.incidents import cause_text
    from sluice.monitor.store import DynamoHealthStore
    from sluice_tools.health.report import render_html, spans

    lake = lake_event_ids(pipeline)
    failed = failed_events(pipeline)
    rows, latency = warehouse(pipeline)
    indexed = indexed_ids(pipeline)
    failed_ids = {f.event_id for f in failed if f.event_id}
    good = {e.event_id for e in generated if e.bad is None}
    rejected_ids = {id(e) for e in sent.rejected_events}
    bad_unaccounted = [
        e for e in generated if e.bad is not None and id(e) not in rejected_ids and e.event_id not in failed_ids
    ]
    good_missing = [eid for eid in good if eid is None or rows.get(eid, 0) != 1]
    doubled = [eid for eid, n in rows.items() if n > 1]
    exact = not bad_unaccounted and not good_missing and not doubled and not sent.unsent

    print("\nAccounting")
    line = "  {:<44}{:>8}"
    print(line.format("sent by players", sent.total))
    for reason, count in sorted(sent.rejected.items()):
        print(line.format(f"rejected at ingest: {reason}", count))
    print(line.format("accepted at ingest", len(sent.accepted_ids)))
    print(line.format("in the lake (distinct event_id)", len(lake)))
    print(line.format("in the warehouse (rows)", sum(rows.values())))
    print(
        line.format("indexed in OpenSearch", len(indexed))
        if indexed is not None
        else "  indexed in OpenSearch                       search leg off"
    )
    for failure_type, count in sorted(Counter(f.failure_type for f in failed).items()):
        print(line.format(f"failed events: {failure_type}", count))
    if pipeline.on_failure:
        print(line.format("records sent to on-failure destinations", len(pipeline.on_failure)))
    judged = verdict(drained=drained, exact=exact, doubled=len(doubled), unsent=len(sent.unsent))
    if judged == "UNDECIDED":
        # Not a verdict: what has not arrived yet is on its way, not lost.
        print(f"  UNDECIDED: still in flight after {DRAIN_CAP_S / 60:.0f} min, so nothing is called lost:")
        for backlog in pipeline.in_flight() or [Backlog("the runtime", "not yet quiet", empty=False)]:
            print(f"    {backlog.line()}")
        print(
            f"    not yet in the warehouse: {len(good_missing)} good events; bad events not yet failed: {len(bad_unaccounted)}"
        )
    else:
        print("  YES: every sent event is accounted for exactly once" if judged == "YES" else "  NO")
        if not exact:
            print(
                f"    good events missing or not exactly once in the warehouse: {len(good_missing)}; doubled rows: {len(doubled)}; bad events neither rejected nor failed: {len(bad_unaccounted)}; unsent: {len(sent.unsent)}"
            )

    store = DynamoHealthStore(pipeline.client("dynamodb"), pipeline.settings["health_table"])
    messages = store.alerts()
    windows = store.fleet_windows("0", "~")
    incidents = spans(messages)
    print(f"\nPlayer health: {len(windows)} windows judged over all shards, {len(incidents)} incident(s)")
    for incident in incidents:
        opened = incident.messages[0]
        print(
            f"  {incident.incident_id}  cause {cause_text(incident.cause)}  [{opened.rule}] "
            f"{opened.metric} {opened.observed} against {opened.baseline}; explains {opened.explains_share:.0%} "
            f"of the fleet's excess; {len(opened.impacted)} knock-on anomalies folded in"
        )
        for message in incident.messages:
            print(f"    {message.window_start}  {message.status}")
    if not incidents:
        print("  none")

    print("\nEnd-to-end latency, accepted at ingest -> row in the warehouse")
    print(
        f"  p50 {latency['p50']:,.0f} ms   p95 {latency['p95']:,.0f} ms   p99 {latency['p99']:,.0f} ms   max {latency['max']:,.0f} ms"
    )
    if indexed is None:
        print("  -> indexed: search leg off")

    report_path.parent.mkdir(parents=True, exist_ok=True)
    report_path.write_text(render_html(windows, messages), encoding="utf-8")
    print(f"\nHealth report (the chart): {report_path.resolve()}")
    print(f"Demo took {elapsed:.0f} s; resources from {pipeline.provisioned_by}.")
    return {"YES": 0, "NO": 1, "UNDECIDED": UNDECIDED}[judged]
