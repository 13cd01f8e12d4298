"""The processor's clean-stream output KPL-aggregated (SLUICE_CLEAN_AGGREGATE=kpl, packed per
shard) beside one event per record (none): Kinesis records and PutRecords calls per invocation,
bytes, the KB that on-demand Kinesis bills per event (each record rounded up to the next KB), and
the processor's CPU per event either way; and what opening the aggregates costs a consumer.

An invocation's events: 145 is 100M events a day as deployed (1,157 events/s over the raw
stream's 4 on-demand shards, parallelization factor 2, a 1 s batching window); 500 is the
mapping's full batch. The clean stream has 4 shards (on demand, to start with).

Run alone: cd tests && ../.venv/bin/python -m bench.clean_stream
"""

from __future__ import annotations

import math
import time
from dataclasses import dataclass
from typing import Any

from support.factories import raw_stream_records

from bench.stages import AcceptingClient, _metrics, kinesis_events
from bench.timing import Result
from sluice.batch.aggregation import deaggregate, is_aggregated
from sluice.batch.kinesis import iter_records
from sluice.processor.config import ProcessorConfig
from sluice.processor.service import Processor
from sluice.producers.firehose import FirehoseProducer
from sluice.producers.kinesis import KinesisProducer
from sluice.producers.shards import hash_key
from sluice.runtime.deadline import Deadline

CLEAN_SHARDS = 4
KB = 1024


class ShardedStream(AcceptingClient):
    """A clean stream of ``shards`` equal hash ranges, placing each record as Kinesis does, and
    recording every PutRecords call."""

    def __init__(self, shards: int = CLEAN_SHARDS, *, list_shards: bool = True) -> None:
        width = 2**128 // shards
        self.ranges = [(i * width, (i + 1) * width - 1 if i < shards - 1 else 2**128 - 1) for i in range(shards)]
        self.can_list = list_shards
        self.calls: list[list[tuple[str, bytes]]] = []

    def list_shards(self, **params: Any) -> dict[str, Any]:
        if not self.can_list:
            from botocore.exceptions import ClientError

            raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "no"}}, "ListShards")
        return {
            "Shards": [
                {"ShardId": f"shardId-{i}", "HashKeyRange": {"StartingHashKey": str(a), "EndingHashKey": str(b)}}
                for i, (a, b) in enumerate(self.ranges)
            ]
        }

    def put_records(self, StreamName: str, Records: list[Any]) -> dict[str, Any]:
        self.calls.append([(r["PartitionKey"], r["Data"]) for r in Records])
        out = []
        for r in Records:
            key = hash_key(r["PartitionKey"])
            shard = next(i for i, (a, b) in enumerate(self.ranges) if a <= key <= b)
            out.append({"SequenceNumber": "1", "ShardId": f"shardId-{shard}"})
        return {"FailedRecordCount": 0, "Records": out}


@dataclass(frozen=True)
class CleanOutput:
    """What one setting wrote to the clean stream over the run."""

    name: str
    events: int
    invocations: int
    calls: int
    records: int
    record_bytes: int  # data plus partition key, as Kinesis counts a record
    billed_kb: int  # each record rounded up to the next KB (on-demand "data ingested")
    cpu_us_per_event: float

    def line(self) -> str:
        return (
            f"{self.name:<40} {self.records / self.invocations:>6.1f} rec/inv  {self.calls / self.invocations:>4.1f} calls/inv  "
            f"{self.events / self.records:>6.1f} ev/rec  {self.record_bytes / self.records:>9,.0f} B/rec  "
            f"{self.record_bytes / self.events:>5.0f} B/ev  {self.billed_kb / self.events:>5.3f} KB billed/ev  "
            f"{self.cpu_us_per_event:>5.1f} us/ev"
        )


def _raw_events(sessions: int = 150, seed: int = 8) -> list[bytes]:
    """Generated sessions as ingest writes them, interleaved in time as a busy stream holds them."""
    return [r.data for r in raw_stream_records(sessions, seed)]


def cpu_rate(work: Any, items: int, rounds: int = 7) -> float:
    """Items per CPU second of ``work``'s cheapest of ``rounds`` runs (after one warm-up): CPU
    time, which a machine shared with other work disturbs less than the wall clock."""
    work()
    best = float("inf")
    for _ in range(rounds):
        started = time.process_time()
        work()
        best = min(best, time.process_time() - started)
    return items / best


def _processor(aggregate: bool, stream: ShardedStream) -> Processor:
    sink = AcceptingClient()
    return Processor(
        ProcessorConfig("lake", "clean", "failed", clean_aggregate=aggregate),
        FirehoseProducer(sink, "lake"),
        KinesisProducer(stream, "clean"),
        FirehoseProducer(sink, "failed"),
        _metrics("processor"),
    )


def clean_output(
    name: str, raw: list[bytes], per_invocation: int, *, aggregate: bool, list_shards: bool = True
) -> CleanOutput:
    # kinesis_events cuts at 100 records: each invocation's records put back into one event
    batches = [
        {"Records": [r for e in kinesis_events(raw[i : i + per_invocation], "raw", 0) for r in e["Records"]]}
        for i in range(0, len(raw), per_invocation)
    ]
    stream = ShardedStream(list_shards=list_shards)
    processor = _processor(aggregate, stream)

    def run() -> None:
        stream.calls.clear()
        for batch in batches:
            assert processor.handle(batch, Deadline.after(60)) == {"batchItemFailures": []}

    rate = cpu_rate(run, len(raw))  # per event read
    records = [r for call in stream.calls for r in call]
    sizes = [len(data) + len(key.encode()) for key, data in records]
    # the events written (a batch's duplicates are dropped by the processor)
    written = sum(len(deaggregate(data)) if is_aggregated(data) else 1 for _, data in records)
    return CleanOutput(
        name,
        events=written,
        invocations=len(batches),
        calls=len(stream.calls),
        records=len(records),
        record_bytes=sum(sizes),
        billed_kb=sum(math.ceil(size / KB) for size in sizes),
        cpu_us_per_event=1e6 / rate,
    )


def consumer_cost(raw: list[bytes]) -> list[Result]:
    """What a consumer pays to read the clean stream's events: opening the records (and, when
    aggregated, the aggregates) per event, before any decode."""
    out = []
    rates = {}
    for aggregate in (False, True):
        stream = ShardedStream()
        batch = {"Records": [r for e in kinesis_events(raw, "raw", 0) for r in e["Records"]]}
        _processor(aggregate, stream).handle(batch, Deadline.after(60))
        clean = [data for call in stream.calls for _, data in call]
        events = {"Records": [r for e in kinesis_events(clean, "clean", 0) for r in e["Records"]]}
        count = sum(1 for _ in iter_records(events))

        def read(events: dict[str, Any] = events) -> None:
            for _ in iter_records(events):
                pass

        rates[aggregate] = cpu_rate(read, count, rounds=15)
    out.append(Result("consumer opens, aggregated", rates[True], "one event per record", rates[False], unit="ev/s"))
    return out


def run() -> list[CleanOutput | Result]:
    raw = _raw_events()
    results: list[CleanOutput | Result] = []
    for per_invocation in (145, 500):
        results.append(
            clean_output(f"{per_invocation} ev/inv, one event per record", raw, per_invocation, aggregate=False)
        )
        results.append(clean_output(f"{per_invocation} ev/inv, KPL per shard", raw, per_invocation, aggregate=True))
    results.append(clean_output("145 ev/inv, KPL per key (no ListShards)", raw, 145, aggregate=True, list_shards=False))
    results += consumer_cost(raw)
    return results


def main() -> None:
    print(f"The processor's clean-stream output ({CLEAN_SHARDS} clean shards, records from the traffic generator)\n")
    for result in run():
        print(result.line())


if __name__ == "__main__":
    main()
