"""Which shard of a stream a partition key lands on, predicted as Kinesis decides it: the MD5 of
the key's UTF-8 bytes read as a 128-bit big-endian integer, in the open shard whose hash-key range
holds it (Kinesis Data Streams developer guide, "Partition key"; ListShards gives the ranges).

The KPL aggregates per predicted shard from the same map, so that an aggregate lands where each of
its records would have landed alone; the clean stream's writer does the same
(``sluice.batch.aggregating_producer``), keeping each session on its shard as the
monitor's per-shard windows count it. An on-demand stream splits and merges shards by itself: the
map is read again after ``SHARD_MAP_TTL_S``, and at once when a put lands on another shard than
predicted.
"""

from __future__ import annotations

import bisect
import hashlib
import logging
import time
from collections.abc import Callable
from typing import Any

from botocore.exceptions import BotoCoreError, ClientError

from sluice.producers.retry import error_code
from sluice.runtime.errors import RetryableError

__all__ = ["SHARD_MAP_RETRY_S", "SHARD_MAP_TTL_S", "ShardMap", "hash_key"]

log = logging.getLogger("sluice.producers")
# How long a map read is trusted, and how long a failed read waits before the next try (a stage
# without kinesis:ListShards, or throttled, must not ask on every batch).
SHARD_MAP_TTL_S = 300.0
SHARD_MAP_RETRY_S = 60.0


def hash_key(partition_key: str) -> int:
    """Kinesis's hash of a partition key: MD5 of its UTF-8 bytes as a 128-bit unsigned integer."""
    return int.from_bytes(hashlib.md5(partition_key.encode("utf-8"), usedforsecurity=False).digest(), "big")


class ShardMap:
    """The open shards of one stream by hash-key range, read with ListShards and kept a while."""

    def __init__(
        self,
        client: Any,
        stream_name: str,
        *,
        ttl_s: float = SHARD_MAP_TTL_S,
        retry_s: float = SHARD_MAP_RETRY_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.client = client
        self.stream_name = stream_name
        self.ttl_s = ttl_s
        self.retry_s = retry_s
        self.clock = clock
        self.reads = 0
        self._starts: list[int] = []
        self._ends: list[int] = []
        self._shards: list[str] = []
        self._good_until = float("-inf")

    def shard_of(self, partition_key: str) -> str | None:
        """The open shard ``partition_key`` lands on, or None when the map cannot be had (then the
        caller packs per partition key, which is right whatever the shards)."""
        if self.clock() >= self._good_until:
            self._read()
        key = hash_key(partition_key)
        index = bisect.bisect_right(self._starts, key) - 1
        if index < 0 or key > self._ends[index]:
            return None
        return self._shards[index]

    def invalidate(self) -> None:
        """A put landed elsewhere than predicted: the shards changed, read them again."""
        self._good_until = float("-inf")

    def _read(self) -> None:
        self.reads += 1
        try:
            shards = self._list_shards()
        except RetryableError as exc:
            # Too little of the invocation left for the call (DeadlineReachedError): this batch
            # packs per key, which is always right, and the next batch asks again. Raised, it
            # would fail the whole batch after the lake was already written.
            self._starts, self._ends, self._shards = [], [], []
            self._good_until = float("-inf")
            log.warning(
                "stream's shards not read in the time left: packing records per partition key",
                extra={"stream": self.stream_name, "error": str(exc)},
            )
            return
        except (BotoCoreError, ClientError) as exc:
            self._starts, self._ends, self._shards = [], [], []
            self._good_until = self.clock() + self.retry_s
            log.warning(
                "stream's shards not read: packing records per partition key",
                extra={"stream": self.stream_name, "error": f"{error_code(exc)}: {exc}"},
            )
            return
        ranges = sorted(
            (int(s["HashKeyRange"]["StartingHashKey"]), int(s["HashKeyRange"]["EndingHashKey"]), s["ShardId"])
            for s in shards
            # A closed shard (split or merged away) keeps its range but takes no more records.
            if "EndingSequenceNumber" not in s.get("SequenceNumberRange", {})
        )
        self._starts = [start for start, _, _ in ranges]
        self._ends = [end for _, end, _ in ranges]
        self._shards = [shard for _, _, shard in ranges]
        self._good_until = self.clock() + self.ttl_s

    def _list_shards(self) -> list[dict[str, Any]]:
        shards: list[dict[str, Any]] = []
        response = self.client.list_shards(StreamName=self.stream_name)
        while True:
            shards += response.get("Shards", [])
            token = response.get("NextToken")
            if not token:
                return shards
            # ListShards takes NextToken without the stream name.
            response = self.client.list_shards(NextToken=token)
