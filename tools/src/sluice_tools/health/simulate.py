"""``sluice health simulate``: the real monitor and evaluator, in process, over a file of events.

Each line is a player event as ``sluice generate`` writes it (optionally with a ``request`` object:
the ``user_agent`` and ``country`` its request carried, which ingest would stamp). Each event goes
the way it goes in production: the contract's JSON mapping, the ingest context, the processor's
enrichment and traffic flags (bots and test players, by the processor's default pattern, left out
as the monitor leaves them out) and the Avro codec; its ``client_time`` stands for its arrival
time (or, given an ``arrival``, when its client sends it: ``health/arrival.py``); sessions split
across shards by the MD5 of ``session_id``, as Kinesis splits partition keys; every shard's
records run through the monitor's handler in Lambda's tumbling windows (``local/tumbling.py``);
then the evaluator judges each window over all shards, as its schedule would.

With ``--cdn-logs`` each line is a CloudFront real-time log line instead (tab-separated, in the
local stand-in's field order, ``sluice.cdn.config.local_fields``), read by the processor's CDN
input (``sluice.processor.cdn_input``: a media request becomes a ``cdn_request`` event stamped
with the sampling rate, ``SLUICE_CDN_SAMPLING_RATE``, 100 by default; any other request is
counted; a line that cannot be read is what the processor would make a failed event), arriving
when the line says the edge answered (its ``timestamp``).
"""

from __future__ import annotations

import base64
import hashlib
import json
import os
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import timedelta
from typing import IO, Any

from sluice.cdn.logline import LogLineError
from sluice.events.codec import Codec
from sluice.events.errors import MalformedJsonError, SchemaViolationError
from sluice.events.json_mapping import EventMapper, parse_json
from sluice.monitor.aggregate import MAX_VALUES
from sluice.monitor.config import MonitorConfig
from sluice.monitor.evaluator import EvaluationSettings, Evaluator, iso, parse
from sluice.monitor.incidents import AlertMessage
from sluice.monitor.service import Monitor, not_viewing
from sluice.monitor.store import MemoryHealthStore
from sluice.processor.config import ProcessorConfig
from sluice.producers.batching import Delivery
from sluice.runtime.deadline import Deadline
from sluice_tools.tumbling import run_windows

__all__ = [
    "SOURCE_ARN",
    "CdnRequests",
    "CleanEvents",
    "KeptFailures",
    "Simulation",
    "message_line",
    "shard_of",
    "simulate",
]

SOURCE_ARN = "arn:aws:kinesis:eu-west-1:000000000000:stream/simulated-clean"
# As the processor flags by default: its configuration's pattern, no test players.
_BOT_PATTERN = ProcessorConfig.bot_pattern


@dataclass
class KeptFailures:
    """The failed-events output of a simulation: kept, and counted in the summary."""

    records: list[bytes] = field(default_factory=list)

    def put(self, records: Sequence[bytes], deadline: Deadline) -> Delivery:
        self.records.extend(records)
        return Delivery(len(records))


@dataclass
class Simulation:
    messages: list[AlertMessage]
    store: MemoryHealthStore
    events: int
    refused: int
    flagged: int  # bots and test players: left out of player health
    windows: int
    shards: int


def shard_of(partition_key: str, shards: int) -> int:
    """Kinesis maps a partition key's MD5, as a 128-bit integer, onto the shards' hash ranges
    (split evenly here, as a stream created with N shards is)."""
    return int.from_bytes(hashlib.md5(partition_key.encode(), usedforsecurity=False).digest(), "big") * shards >> 128


class CleanEvents:
    """Player events as the clean stream carries them: the contract's JSON mapping, the ingest
    context from the line's ``request``, the processor's enrichment and traffic flags. ``refused``
    counts the lines ingest would have refused."""

    def __init__(
        self, bot_pattern: re.Pattern[str] | None = _BOT_PATTERN, test_players: frozenset[str] = frozenset()
    ) -> None:
        from sluice.processor.cleaning import flag_traffic
        from sluice.processor.enrichment import enrich

        self.mapper, self.enrich, self.refused = EventMapper(), enrich, 0
        self.flag, self.bot_pattern, self.test_players = flag_traffic, bot_pattern, test_players

    def __call__(self, line: str) -> dict[str, Any] | None:
        try:
            value = parse_json(line)
            request = value.pop("request", None) if isinstance(value, dict) else None
            record = self.mapper.to_record(value, server_time=0)
        except (MalformedJsonError, SchemaViolationError):
            self.refused += 1
            return None
        record["server_time"] = record["client_time"]  # it arrives when it happens
        request = request if isinstance(request, dict) else {}
        record["ingest"] = {
            "request_id": "simulated",
            "user_agent": request.get("user_agent"),
            "country": request.get("country"),
            "client_ip_prefix": None,
        }
        self.enrich(record, record["server_time"])
        self.flag(record, self.bot_pattern, self.test_players)
        return record


class CdnRequests:
    """CloudFront real-time log lines as the clean stream carries their media requests: the
    processor's CDN input, its enrichment and traffic flags. ``refused`` counts the lines the
    processor would make failed events, ``not_media`` the requests for anything but media."""

    STREAM = "arn:aws:kinesis:eu-west-1:000000000000:stream/simulated-cdn-logs"

    def __init__(self, sampling_rate: int = 100, bot_pattern: re.Pattern[str] | None = _BOT_PATTERN) -> None:
        from sluice.cdn.config import LogConfiguration, local_fields
        from sluice.processor.cdn_input import CdnLogInput
        from sluice.processor.cleaning import flag_traffic
        from sluice.processor.enrichment import enrich

        configuration = LogConfiguration(tuple(local_fields()), sampling_rate)
        self.input = CdnLogInput(self.STREAM, lambda: configuration, EventMapper())
        self.enrich, self.flag, self.bot_pattern, self.refused = enrich, flag_traffic, bot_pattern, 0

    @property
    def not_media(self) -> int:
        return self.input.counts.not_media

    def __call__(self, line: str) -> dict[str, Any] | None:
        from sluice.batch.kinesis import KinesisRecord

        data = line.rstrip("\r\n").encode("utf-8")
        try:
            record = KinesisRecord(data, "simulated", str(self.input.counts.lines), source_arn=self.STREAM)
            datum = self.input.record_of(record, now_ms=0)
        except (LogLineError, SchemaViolationError):
            self.refused += 1
            return None
        if datum is None:
            return None
        datum["server_time"] = datum["client_time"]  # it arrives when the edge answered (its timestamp)
        self.enrich(datum, datum["server_time"])
        self.flag(datum, self.bot_pattern, frozenset())
        return datum


def simulate(
    lines: Iterable[str],
    *,
    shards: int = 1,
    settings: EvaluationSettings | None = None,
    max_values: int = MAX_VALUES,
    clean: Callable[[str], dict[str, Any] | None] | None = None,
    arrival: Callable[[Sequence[dict[str, Any]]], Mapping[str, int]] | None = None,
) -> Simulation:
    """``clean`` reads a line into its clean event (None: none), ``CleanEvents`` by default;
    its ``refused`` is the simulation's. ``arrival`` gives each event's arrival (ms, by event id)
    from all the events (``sluice_tools.health.arrival``: a delivery policy's, or a fixed delay);
    without it an event arrives when it happens."""
    settings = settings or EvaluationSettings()
    clean = clean or CleanEvents()
    codec = Codec()
    by_shard: list[list[dict[str, Any]]] = [[] for _ in range(shards)]
    flagged = 0
    viewing: list[dict[str, Any]] = []
    for line in lines:
        if not line.strip() or (record := clean(line)) is None:
            continue
        if not_viewing(record):
            # Left out before the windows, not only by the monitor's own filter: a bot's events
            # alone must not open windows of their own either.
            flagged += 1
            continue
        viewing.append(record)
    arrivals = arrival(viewing) if arrival else {}
    for record in viewing:
        # Windows and lateness are judged on the time Sluice received an event.
        record["server_time"] = arrived = arrivals.get(str(record["event_id"]), record["server_time"])
        shard = shard_of(record["session_id"], shards)
        sequence = f"{len(by_shard[shard]) + 1:021d}"
        by_shard[shard].append(
            {
                "kinesis": {
                    "partitionKey": record["session_id"],
                    "sequenceNumber": sequence,
                    "data": base64.b64encode(codec.encode(record)).decode("ascii"),
                    "approximateArrivalTimestamp": arrived / 1000,
                },
                "eventSource": "aws:kinesis",
                "eventID": f"shardId-{shard:012d}:{sequence}",
                "eventSourceARN": SOURCE_ARN,
            }
        )
    store = MemoryHealthStore()
    monitor = Monitor(
        MonitorConfig("simulated", "simulated", max_values=max_values),
        store=store,
        failed=KeptFailures(),
        emf_stream=_discard(),
    )
    monitor.metrics.stream = _discard()
    for index, records in enumerate(by_shard):
        records.sort(key=lambda r: r["kinesis"]["approximateArrivalTimestamp"])
        run_windows(
            lambda event: monitor.handle(event, Deadline.after(600)),
            f"shardId-{index:012d}",
            SOURCE_ARN,
            records,
            window_seconds=settings.window_seconds,
            batch_size=1000,
        )
    messages: list[AlertMessage] = []
    # The whole file in one go: no cap on how many windows a run catches up on.
    evaluator = Evaluator(replace(settings, max_windows_per_run=len(store.shards) + 1), store, messages.append)
    if store.shards:
        # The evaluation starts at the file's first window and runs until its last is judged.
        store.state.last_window = iso(parse(min(store.shards)) - timedelta(seconds=1))
        end = parse(max(store.shards)) + timedelta(seconds=settings.window_seconds + settings.delay_seconds)
        while evaluator.run(end).evaluated:
            pass
    events = sum(len(records) for records in by_shard)
    return Simulation(messages, store, events, int(getattr(clean, "refused", 0)), flagged, len(store.fleet), shards)


def _discard() -> IO[str]:
    """The monitor's EMF lines: CloudWatch's business, not a simulation's."""
    return open(os.devnull, "w", encoding="utf-8")


def message_line(message: AlertMessage) -> str:
    return json.dumps(message.to_dict(), separators=(",", ":"))
