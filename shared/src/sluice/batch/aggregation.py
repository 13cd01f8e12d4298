"""The KPL aggregation format, interoperable with the Kinesis Producer Library, the KCL and the
official ``aws-kinesis-agg`` package:

    F3 89 9A C2 | protobuf AggregatedRecord | MD5 of the protobuf (16 bytes)

Packing many events into one Kinesis record keeps a shard far under its 1,000 records/s write
limit. The few protobuf fields involved are encoded here directly so that images need no protobuf
runtime.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Hashable, Iterable, Iterator, Sequence
from dataclasses import dataclass

from sluice.runtime.errors import SluiceError

__all__ = [
    "DIGEST_SIZE",
    "MAGIC",
    "MAX_PARTITION_KEY_CHARS",
    "MAX_RECORD_BYTES",
    "Aggregate",
    "AggregatedUserRecord",
    "AggregationFormatError",
    "Aggregator",
    "Packed",
    "deaggregate",
    "is_aggregated",
    "pack_by_group",
]

MAGIC = b"\xf3\x89\x9a\xc2"
DIGEST_SIZE = 16
# Kinesis caps a record (data plus partition key) at 1 MiB.
MAX_RECORD_BYTES = 1024 * 1024
# Kinesis takes partition keys of 1 to 256 Unicode characters; an aggregate's outer key must be one.
MAX_PARTITION_KEY_CHARS = 256
# AggregatedRecord fields
_PARTITION_KEY_TABLE, _EXPLICIT_HASH_KEY_TABLE, _RECORDS = 1, 2, 3
# Record fields
_PARTITION_KEY_INDEX, _EXPLICIT_HASH_KEY_INDEX, _DATA = 1, 2, 3
_VARINT, _LENGTH_DELIMITED = 0, 2
_ONE_BYTE = [bytes((value,)) for value in range(0x80)]


class AggregationFormatError(SluiceError, ValueError):
    """The bytes carry the aggregation magic and a valid digest but not a valid message."""


@dataclass(frozen=True, slots=True)
class AggregatedUserRecord:
    partition_key: str
    data: bytes
    explicit_hash_key: str | None = None


def _varint(value: int) -> bytes:
    if value < 0x80:
        return _ONE_BYTE[value]
    out = bytearray()
    while value > 0x7F:
        out.append((value & 0x7F) | 0x80)
        value >>= 7
    out.append(value)
    return bytes(out)


def _key(field: int, wire_type: int) -> bytes:
    return _varint((field << 3) | wire_type)


def _delimited(field: int, payload: bytes) -> bytes:
    return _key(field, _LENGTH_DELIMITED) + _varint(len(payload)) + payload


_RECORD_KEY = _key(_RECORDS, _LENGTH_DELIMITED)
_PK_INDEX_KEY = _key(_PARTITION_KEY_INDEX, _VARINT)
_DATA_KEY = _key(_DATA, _LENGTH_DELIMITED)


def _read_varint(buffer: bytes, pos: int) -> tuple[int, int]:
    result = shift = 0
    while True:
        if pos >= len(buffer) or shift > 63:
            raise AggregationFormatError("truncated varint")
        byte = buffer[pos]
        pos += 1
        result |= (byte & 0x7F) << shift
        if not byte & 0x80:
            return result, pos
        shift += 7


def _fields(buffer: bytes) -> Iterator[tuple[int, int | bytes]]:
    """(field number, value) pairs of one protobuf message; unknown wire types are an error."""
    pos = 0
    while pos < len(buffer):
        key, pos = _read_varint(buffer, pos)
        field, wire_type = key >> 3, key & 7
        if wire_type == _VARINT:
            value, pos = _read_varint(buffer, pos)
            yield field, value
        elif wire_type == _LENGTH_DELIMITED:
            size, pos = _read_varint(buffer, pos)
            if pos + size > len(buffer):
                raise AggregationFormatError("length-delimited field runs past the message")
            yield field, buffer[pos : pos + size]
            pos += size
        else:
            raise AggregationFormatError(f"unexpected protobuf wire type {wire_type}")


def is_aggregated(data: bytes) -> bool:
    """True for a well-formed aggregate. Like the KCL, a record whose digest does not match is
    treated as an ordinary record (and then fails decoding as one, so it is never lost)."""
    if len(data) <= len(MAGIC) + DIGEST_SIZE or not data.startswith(MAGIC):
        return False
    body = data[len(MAGIC) : -DIGEST_SIZE]
    return hashlib.md5(body, usedforsecurity=False).digest() == data[-DIGEST_SIZE:]


def deaggregate(data: bytes) -> list[AggregatedUserRecord]:
    """The user records of an aggregated Kinesis record, in order."""
    body = data[len(MAGIC) : -DIGEST_SIZE]
    partition_keys: list[str] = []
    hash_keys: list[str] = []
    raw_records: list[bytes] = []
    for field, value in _fields(body):
        if not isinstance(value, bytes):
            raise AggregationFormatError(f"field {field} of AggregatedRecord is not length-delimited")
        if field == _PARTITION_KEY_TABLE:
            partition_keys.append(value.decode("utf-8"))
        elif field == _EXPLICIT_HASH_KEY_TABLE:
            hash_keys.append(value.decode("utf-8"))
        elif field == _RECORDS:
            raw_records.append(value)
    records = []
    for raw in raw_records:
        pk_index: int | None = None
        ehk_index: int | None = None
        payload: bytes | None = None
        for field, value in _fields(raw):
            if field == _PARTITION_KEY_INDEX and isinstance(value, int):
                pk_index = value
            elif field == _EXPLICIT_HASH_KEY_INDEX and isinstance(value, int):
                ehk_index = value
            elif field == _DATA and isinstance(value, bytes):
                payload = value
        if pk_index is None or payload is None or pk_index >= len(partition_keys):
            raise AggregationFormatError("aggregated record without a valid partition key index or data")
        hash_key = hash_keys[ehk_index] if ehk_index is not None and ehk_index < len(hash_keys) else None
        records.append(AggregatedUserRecord(partition_keys[pk_index], payload, hash_key))
    return records


@dataclass(frozen=True, slots=True)
class Aggregate:
    """One aggregated Kinesis record holding ``count`` consecutive user records."""

    partition_key: str
    data: bytes
    count: int


class _Pending:
    """One aggregated record being filled. Sizes are reckoned, not encoded, until a record is
    added: every record is sized once or twice before it is packed."""

    def __init__(self) -> None:
        self.keys: dict[str, int] = {}
        self.parts: list[bytes] = []
        self.count = 0
        self.size = len(MAGIC) + DIGEST_SIZE
        self.outer_key_bytes = 0

    def _cost(self, partition_key: str, data: bytes) -> int:
        index = self.keys.get(partition_key)
        key_cost = 0
        if index is None:
            index, key_bytes = len(self.keys), len(partition_key.encode())
            key_cost = 1 + _varint_size(key_bytes) + key_bytes
        inner = _inner_size(index, data)
        return 1 + _varint_size(inner) + inner + key_cost

    def add(self, partition_key: str, data: bytes, max_bytes: int) -> bool:
        """Packs the record if the aggregate stays within ``max_bytes``; says whether it did."""
        cost = self._cost(partition_key, data)
        outer_key = self.outer_key_bytes if self.count else len(partition_key.encode())
        # Kinesis counts the partition key against the record's 1 MiB as well.
        if self.size + cost + outer_key > max_bytes:
            return False
        self.size += cost
        self.outer_key_bytes = outer_key
        index = self.keys.setdefault(partition_key, len(self.keys))
        header = _RECORD_KEY + _varint(_inner_size(index, data)) + _PK_INDEX_KEY + _varint(index)
        self.parts += (header + _DATA_KEY + _varint(len(data)), data)
        self.count += 1
        return True

    def finish(self) -> Aggregate:
        keys = [_delimited(_PARTITION_KEY_TABLE, key.encode()) for key in self.keys]
        body = b"".join(keys + self.parts)
        data = MAGIC + body + hashlib.md5(body, usedforsecurity=False).digest()
        return Aggregate(next(iter(self.keys)), data, self.count)


def _varint_size(value: int) -> int:
    return 1 if value < 0x80 else (value.bit_length() + 6) // 7


def _inner_size(index: int, data: bytes) -> int:
    """Bytes of a Record message: its key index and its data, each with its one-byte tag."""
    return 2 + _varint_size(index) + _varint_size(len(data)) + len(data)


class Aggregator:
    """Packs user records into aggregated Kinesis records of at most ``max_bytes`` each."""

    def __init__(self, max_bytes: int = MAX_RECORD_BYTES) -> None:
        self.max_bytes = max_bytes

    def aggregate(self, records: Iterable[tuple[str, bytes]]) -> list[Aggregate]:
        """(partition key, data) pairs in; aggregated records out, in order.

        The outer key of each aggregate is its first record's key, so the aggregate lands on that
        key's shard, and order within an aggregate is kept.
        """
        out: list[Aggregate] = []
        pending = _Pending()
        for partition_key, data in records:
            if pending.add(partition_key, data, self.max_bytes):
                continue
            if pending.count:
                out.append(pending.finish())
                pending = _Pending()
            if not pending.add(partition_key, data, self.max_bytes):
                raise ValueError(f"a record of {len(data)} bytes does not fit a {self.max_bytes}-byte Kinesis record")
        if pending.count:
            out.append(pending.finish())
        return out


@dataclass(frozen=True, slots=True)
class Packed:
    """One Kinesis record to put: an aggregate of several user records, or one as it came."""

    partition_key: str
    data: bytes
    owners: tuple[int, ...]  # the positions of its user records in the input, in order


def pack_by_group(
    records: Sequence[tuple[str, bytes]],
    group_of: Callable[[str], Hashable],
    max_bytes: int = MAX_RECORD_BYTES,
) -> list[Packed]:
    """(partition key, data) pairs packed into Kinesis records of at most ``max_bytes``, only
    records of one group (``group_of`` their partition key: the shard they land on, as the KPL
    packs) together, each group's records in input order. An aggregate's outer key is its first
    record's, so it lands where that record would have: with groups by shard, where every one of
    its records would have.

    A group of one goes as it came, as the KPL sends it; so does a record that could not share
    (a key Kinesis refuses as an outer key, or data too big to aggregate): refused, it is refused
    alone, never taking the records it would have been packed with down with it.
    """
    groups: dict[Hashable, list[int]] = {}
    for position, (partition_key, _) in enumerate(records):
        groups.setdefault(group_of(partition_key), []).append(position)
    out: list[Packed] = []

    def flush(pending: _Pending, owners: list[int]) -> None:
        if len(owners) == 1:
            key, data = records[owners[0]]
            out.append(Packed(key, data, (owners[0],)))
        elif owners:
            aggregate = pending.finish()
            out.append(Packed(aggregate.partition_key, aggregate.data, tuple(owners)))

    for positions in groups.values():
        pending, owners = _Pending(), list[int]()
        for position in positions:
            partition_key, data = records[position]
            if not 1 <= len(partition_key) <= MAX_PARTITION_KEY_CHARS:
                out.append(Packed(partition_key, data, (position,)))
                continue
            if not pending.add(partition_key, data, max_bytes):
                if owners:
                    flush(pending, owners)
                    pending, owners = _Pending(), []
                if not pending.add(partition_key, data, max_bytes):  # not even alone
                    out.append(Packed(partition_key, data, (position,)))
                    continue
            owners.append(position)
        flush(pending, owners)
    return out
