"""Lake records: flat JSON lines packed many to a Firehose record, grouped by the lake's
partition (event type, date, hour) so that each Firehose record belongs to one S3 prefix."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

from sluice.artifacts.columns import compact_row

__all__ = ["PackedRecord", "lake_line", "pack"]


def lake_line(record: dict[str, Any]) -> tuple[tuple[str, str, str], bytes]:
    """(partition, JSON line) for one event: its compact row and the partition fields."""
    row = compact_row(record)
    client_time: str = row["client_time"]  # 2026-11-26T08:00:00.120Z
    row["event_date"], row["event_hour"] = client_time[:10], client_time[11:13]
    partition = (row["event_type"], row["event_date"], row["event_hour"])
    return partition, orjson.dumps(row, option=orjson.OPT_APPEND_NEWLINE)


@dataclass
class PackedRecord:
    data: bytearray = field(default_factory=bytearray)
    owners: set[str] = field(default_factory=set)
    lines: int = 0


def pack(lines: list[tuple[tuple[str, str, str], bytes, str]], target_bytes: int) -> list[PackedRecord]:
    """(partition, line, owner) triples into Firehose records of at most ``target_bytes`` each,
    one partition per record; ``owners`` are the Kinesis sequence numbers each record carries."""
    open_records: dict[tuple[str, str, str], PackedRecord] = {}
    done: list[PackedRecord] = []
    for partition, line, owner in lines:
        current = open_records.get(partition)
        if current is not None and len(current.data) + len(line) > target_bytes:
            done.append(current)
            current = None
        if current is None:
            current = open_records[partition] = PackedRecord()
        current.data += line
        current.owners.add(owner)
        current.lines += 1
    return done + list(open_records.values())
