"""The soak: many concurrent players with a realistic mix of user agents POSTing batches of
events at the local pipeline's API endpoint, bounded in count and time, then the exact
accounting of every accepted event.

Every event ingest accepted (HTTP 200, not in ``rejected`` or ``not_accepted``) must end as one
warehouse row or one failed event, once the pipeline has drained; an accepted event that is
neither is missing. Doubles are counted where they can occur: lake lines (Firehose and the
processor's retries may write an event twice), index documents across the time-based indices,
an event that is both a row and a failed event. The warehouse's key (event_id, MERGE) hides
doubles by design, so its rows are compared as distinct ids.

``python -m sluice_tools.local.soak --events 200000`` (``make soak``) runs it on a local pipeline of
its own and prints the figures; tests/integration/test_soak.py runs 20,000 events.
"""

from __future__ import annotations

import argparse
import gzip
import json
import random
import sys
import threading
import time
import urllib.error
import urllib.request
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sluice_tools.local.accounting import failed_events, lake_event_ids, warehouse
from sluice_tools.local.drain import DRAIN_CAP_S, Backlog
from sluice_tools.local.pipeline import LocalPipeline
from sluice_tools.traffic.generator import GeneratedEvent, TrafficConfig, generate

__all__ = [
    "ATTEMPTS",
    "CLIENTS",
    "EVENTS_PER_POST",
    "POST_TIMEOUT_S",
    "USER_AGENTS",
    "Batch",
    "Sending",
    "SoakResult",
    "account",
    "batches",
    "deliver",
    "main",
    "post",
    "recent_sessions",
    "send",
    "soak",
    "traffic",
]

CLIENTS = 16
EVENTS_PER_POST = 20  # a player flushing every few seconds
ATTEMPTS = 5  # a player resends what was not accepted (503) this many times
POST_TIMEOUT_S = 60.0

# (class, user agent, weight): what reaches a video service's beacon endpoint. Browsers on
# desktops and phones, TVs and consoles, native players' own HTTP stacks (ExoPlayer on Android,
# AVPlayer as AppleCoreMedia), and scripts and headless browsers (monitoring, scrapers, tests):
# every one of them is kept; the scripts flagged as bots, not dropped.
USER_AGENTS: tuple[tuple[str, str, float], ...] = (
    (
        "desktop browser",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        0.20,
    ),
    (
        "desktop browser",
        "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        0.07,
    ),
    ("desktop browser", "Mozilla/5.0 (X11; Linux x86_64; rv:133.0) Gecko/20100101 Firefox/133.0", 0.05),
    (
        "desktop browser",
        "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36 Edg/131.0.0.0",
        0.04,
    ),
    (
        "mobile browser",
        "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        0.14,
    ),
    (
        "mobile browser",
        "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Mobile Safari/537.36",
        0.12,
    ),
    (
        "smart TV",
        "Mozilla/5.0 (SMART-TV; LINUX; Tizen 7.0) AppleWebKit/537.36 (KHTML, like Gecko) 94.0.4606.31/7.0 TV Safari/537.36",
        0.05,
    ),
    (
        "smart TV",
        "Mozilla/5.0 (Web0S; Linux/SmartTV) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/87.0.4280.88 Safari/537.36 WebAppManager",
        0.04,
    ),
    ("smart TV", "Roku/DVP-13.0 (13.0.0.4166-46)", 0.02),
    ("native player", "SluicePlayer/3.9.0 (Linux;Android 14) ExoPlayerLib/2.19.1", 0.07),
    ("native player", "AppleCoreMedia/1.0.0.22B83 (iPhone; U; CPU OS 18_1 like Mac OS X; en_us)", 0.07),
    ("script", "Python-urllib/3.11", 0.04),
    (
        "script",
        "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/131.0.0.0 Safari/537.36",
        0.04,
    ),
    ("script", "curl/8.5.0", 0.03),
    ("script", "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)", 0.02),
)


@dataclass
class Batch:
    """One POST: a session's next events, sent with that session's user agent."""

    events: list[GeneratedEvent]
    user_agent: str


@dataclass
class Sending:
    """What the players were told: per event id, accepted or not; what is left unsent."""

    accepted: set[str] = field(default_factory=set)
    rejected: int = 0
    unsent: int = 0
    posts: int = 0
    statuses: Counter[int] = field(default_factory=Counter)
    lock: threading.Lock = field(default_factory=threading.Lock)


@dataclass
class SoakResult:
    events: int
    clients: int
    seconds: float
    accepted: int
    rejected: int
    unsent: int
    drained: bool
    in_flight: list[Backlog]
    missing: list[str]
    missing_by_class: Counter[str]
    doubled: Counter[str]  # where -> extra copies
    rows: int
    failed: int
    posts: int
    statuses: Counter[int]

    @property
    def exact(self) -> bool:
        return self.drained and not self.missing and not sum(self.doubled.values()) and not self.unsent

    def lines(self) -> list[str]:
        doubled = ", ".join(f"{n} {where}" for where, n in sorted(self.doubled.items()) if n) or "0"
        figures = [
            f"  events {self.events:,}  clients {self.clients}  seconds {self.seconds:,.0f}  "
            f"missing {len(self.missing):,}  doubled {sum(self.doubled.values()):,}",
            f"  {self.posts:,} POSTs ({', '.join(f'{n:,} x {s}' for s, n in sorted(self.statuses.items()))}); "
            f"accepted {self.accepted:,}, rejected at ingest {self.rejected:,}, unsent {self.unsent:,}",
            f"  warehouse rows {self.rows:,}, failed events {self.failed:,}; doubled: {doubled}",
        ]
        if self.missing_by_class:
            by_class = ", ".join(f"{n:,} {c}" for c, n in self.missing_by_class.most_common())
            figures.append(f"  missing by user agent: {by_class}")
        if not self.drained:
            figures.append("  NOT DRAINED: still in flight (not counted as lost):")
            figures += [f"    {b.line()}" for b in self.in_flight]
        return figures


def recent_sessions(
    sessions: int, *, seed: int, bad_rate: float = 0.01, max_heartbeats: int = 6
) -> list[GeneratedEvent]:
    """``sessions`` realistic sessions from the traffic generator, begun over the last few minutes
    (within the lateness the local pipeline is run with)."""
    now = int(time.time() * 1000)
    config = TrafficConfig(
        sessions=sessions,
        seed=seed,
        start_ms=now - 5 * 60_000,
        spread_ms=4 * 60_000,
        max_heartbeats=max_heartbeats,
        bad_rate=bad_rate,
    )
    return list(generate(config))


def traffic(events: int, *, seed: int, bad_rate: float = 0.01) -> list[GeneratedEvent]:
    """``events`` events of realistic sessions of the last few minutes."""
    sessions = max(1, events // 10)
    while True:
        generated = recent_sessions(sessions, seed=seed, bad_rate=bad_rate)
        if len(generated) >= events:
            return generated[:events]
        sessions = sessions * events // max(len(generated), 1) + 1


def batches(events: list[GeneratedEvent], *, seed: int) -> list[Batch]:
    """Each session's events in order, ``EVENTS_PER_POST`` a request, with a user agent drawn per
    session from ``USER_AGENTS``; sent in the order their last event happened."""
    rng = random.Random(seed)
    agents = [ua for _, ua, _ in USER_AGENTS]
    weights = [w for _, _, w in USER_AGENTS]
    by_session: dict[str, list[GeneratedEvent]] = defaultdict(list)
    for event in events:
        by_session[event.session.session_id].append(event)
    out = []
    for session_events in by_session.values():
        agent = rng.choices(agents, weights)[0]
        out += [
            Batch(session_events[i : i + EVENTS_PER_POST], agent)
            for i in range(0, len(session_events), EVENTS_PER_POST)
        ]
    out.sort(key=lambda b: b.events[-1].client_time_ms)
    return out


def post(url: str, batch: Batch, events: list[GeneratedEvent]) -> tuple[int, dict[str, Any]]:
    body = gzip.compress("\n".join(e.body for e in events).encode())
    headers = {
        **events[0].headers,
        "user-agent": batch.user_agent,
        "content-type": "application/x-ndjson",
        "content-encoding": "gzip",
    }
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=POST_TIMEOUT_S) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read() or b"{}")
    except (OSError, ValueError) as exc:  # no answer (timeout, reset): the player resends all
        return 0, {"error": str(exc)}


def deliver(url: str, batch: Batch, sending: Sending) -> None:
    """One player's POST, resending what was not accepted as a player does (a 503's
    ``not_accepted``; the whole batch after a 5xx or no answer, since some may be stored)."""
    pending = list(range(len(batch.events)))
    for attempt in range(ATTEMPTS):
        status, answer = post(url, batch, [batch.events[i] for i in pending])
        with sending.lock:
            sending.posts += 1
            sending.statuses[status] += 1
        if status in (200, 400, 503):
            refused = {r["index"] for r in answer.get("rejected", [])}
            retry = set(answer.get("not_accepted", [])) if status == 503 else set()
            accepted = [pending[i] for i in range(len(pending)) if i not in refused and i not in retry]
            with sending.lock:
                sending.rejected += len(refused)
                sending.accepted.update(eid for i in accepted if (eid := batch.events[i].event_id))
            pending = [pending[i] for i in sorted(retry)]
        if not pending:
            return
        time.sleep(min(0.2 * 2**attempt, 2.0))
    with sending.lock:
        sending.unsent += len(pending)


def send(url: str, work: list[Batch], *, clients: int, deadline_s: float, say: Callable[[str], Any]) -> Sending:
    """``clients`` concurrent players share the batches; none starts a POST after ``deadline_s``
    (what is left is counted unsent, not missing). Progress is said from the calling thread, a
    line per tenth of the events."""
    sending = Sending()
    queue = list(reversed(work))
    queue_lock = threading.Lock()
    ends = time.monotonic() + deadline_s
    total = sum(len(b.events) for b in work)
    taken = [0]

    def client() -> None:
        while time.monotonic() < ends:
            with queue_lock:
                if not queue:
                    return
                batch = queue.pop()
                taken[0] += len(batch.events)
            deliver(url, batch, sending)

    threads = [threading.Thread(target=client, name=f"soak-client-{n}") for n in range(clients)]
    for thread in threads:
        thread.start()
    tenths = 0
    while any(thread.is_alive() for thread in threads):
        threads[0].join(timeout=1.0)
        if 10 * taken[0] // max(total, 1) > tenths:
            tenths = 10 * taken[0] // max(total, 1)
            say(f"  sending: {taken[0]:,}/{total:,} events taken by the clients")
    sending.unsent += sum(len(b.events) for b in queue)
    return sending


def account(
    pipeline: LocalPipeline,
    work: list[Batch],
    sending: Sending,
    *,
    clients: int,
    seconds: float,
    drained: bool,
    index_documents: Callable[[], Counter[str]] | None = None,
) -> SoakResult:
    rows, _ = warehouse(pipeline)
    failed = Counter(f.event_id for f in failed_events(pipeline) if f.event_id)
    lake = lake_event_ids(pipeline)
    doubled: Counter[str] = Counter()
    doubled["lake lines"] = sum(n - 1 for n in lake.values() if n > 1)
    doubled["warehouse rows"] = sum(n - 1 for n in rows.values() if n > 1)
    doubled["failed events"] = sum(n - 1 for n in failed.values() if n > 1)
    doubled["both a row and a failed event"] = sum(1 for eid in sending.accepted if eid in rows and eid in failed)
    if index_documents is not None:
        doubled["index documents"] = sum(n - 1 for n in index_documents().values() if n > 1)
    agent_class = {ua: cls for cls, ua, _ in USER_AGENTS}
    class_of = {e.event_id: agent_class[b.user_agent] for b in work for e in b.events}
    missing = sorted(eid for eid in sending.accepted if eid not in rows and eid not in failed)
    return SoakResult(
        events=sum(len(b.events) for b in work),
        clients=clients,
        seconds=seconds,
        accepted=len(sending.accepted),
        rejected=sending.rejected,
        unsent=sending.unsent,
        drained=drained,
        in_flight=[] if drained else pipeline.in_flight(),
        missing=missing,
        missing_by_class=Counter(class_of[eid] for eid in missing),
        doubled=doubled,
        rows=len(rows),
        failed=sum(failed.values()),
        posts=sending.posts,
        statuses=sending.statuses,
    )


def soak(
    pipeline: LocalPipeline,
    events: int,
    *,
    clients: int = CLIENTS,
    seed: int = 20,
    send_deadline_s: float = 30 * 60.0,
    drain_cap_s: float = DRAIN_CAP_S,
    index_documents: Callable[[], Counter[str]] | None = None,
    say: Callable[[str], Any] = print,
) -> SoakResult:
    """Send ``events`` events from ``clients`` concurrent players to the pipeline's endpoint,
    wait for it to drain (at most ``drain_cap_s``), and account for every accepted event."""
    assert pipeline.api is not None
    work = batches(traffic(events, seed=seed), seed=seed)
    say(f"  {events:,} events in {len(work):,} POSTs from {clients} concurrent clients")
    started = time.monotonic()
    sending = send(f"{pipeline.api.url}/events", work, clients=clients, deadline_s=send_deadline_s, say=say)
    say(f"  sent in {time.monotonic() - started:,.0f} s; draining (at most {drain_cap_s / 60:.0f} min)")

    def progress(elapsed: float, in_flight: list[Backlog]) -> None:
        say(f"  {elapsed:4.0f} s  still in flight: {'; '.join(b.line() for b in in_flight) or 'settling'}")

    drained = pipeline.drain(drain_cap_s, progress=progress)
    seconds = time.monotonic() - started
    return account(
        pipeline, work, sending, clients=clients, seconds=seconds, drained=drained, index_documents=index_documents
    )


def main(argv: list[str] | None = None) -> int:
    from sluice_tools.local.demo import ThreadRoutedOutput
    from sluice_tools.local.pipeline import LocalOptions

    parser = argparse.ArgumentParser(prog="python -m sluice_tools.local.soak", description=__doc__.split("\n\n")[0])
    parser.add_argument("--events", type=int, default=200_000)
    parser.add_argument("--clients", type=int, default=CLIENTS)
    parser.add_argument("--seed", type=int, default=20)
    parser.add_argument("--send-deadline", type=float, default=60 * 60.0, help="seconds (default: an hour)")
    parser.add_argument("--drain-cap", type=float, default=DRAIN_CAP_S, help="seconds (default: 15 min)")
    parser.add_argument("--log", default="out/soak-stages.log", help="where the stages' own logs go")
    args = parser.parse_args(argv)
    log_path = Path(args.log)
    log_path.parent.mkdir(parents=True, exist_ok=True)
    # The stages in process log JSON lines from the runtime's threads: to the file, not the figures.
    output = ThreadRoutedOutput(sys.stdout, log_path.open("w", encoding="utf-8"))
    sys.stdout = output
    try:
        print(f"Soak: {args.events:,} events, {args.clients} concurrent clients, the local pipeline in process")
        pipeline = LocalPipeline(LocalOptions(provisioning="direct")).start()
        try:
            result = soak(
                pipeline,
                args.events,
                clients=args.clients,
                seed=args.seed,
                send_deadline_s=args.send_deadline,
                drain_cap_s=args.drain_cap,
            )
        finally:
            pipeline.stop()
        print("\nSoak figures")
        for line in result.lines():
            print(line)
        if not result.drained:
            print("  UNDECIDED: the pipeline did not drain within the cap (what is in flight is above)")
        else:
            print("  YES: every accepted event is exactly one row or one failed event" if result.exact else "  NO")
        print(f"(the stages' own logs: {log_path})")
        return 0 if result.exact else 1 if result.drained else 2
    finally:
        sys.stdout = output.console


if __name__ == "__main__":
    sys.exit(main())
