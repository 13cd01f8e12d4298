"""The monitor's memory across windows and shards, in one DynamoDB table (``pk``, ``sk``):

- ``shards`` / ``<window start>#<shard>#<part>#<chunk>``: each shard's counters for a window, written
  by the invocation that ends the window (or a part of it, when Lambda ends a window early and goes
  on with fresh state) with PutItem: a retried part overwrites itself, never adds twice, and the
  parts of a window are separate items that the evaluator adds up;
- ``fleet`` / ``<window start>#<chunk>``: the evaluator's combination of every shard for a window,
  marked ``healthy`` when no incident was open, so baselines are made of healthy windows only;
- ``evaluator`` / ``state``: the last window evaluated and the open incidents, written with a
  condition on its version so two evaluations can never both move it;
- ``alert`` / ``<window start>#<incident id>#<status>``: every message sent, for the report.

Counters travel zlib-compressed, split into chunks under DynamoDB's 400 KB item limit. Every key is
made of window starts, shard ids, sequence numbers and incident ids only (no client value reaches a
key), and bounded all the same (``keys.bounded``). An item that cannot be read (torn, or written
by something else) is skipped, logged with its key and counted (``UnreadableHealthItems``): one
bad item must not stop every later evaluation for the 35 days of its TTL.

``MemoryHealthStore`` keeps the same records in a process, for ``sluice health simulate``.
"""

from __future__ import annotations

import json
import logging
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sluice.monitor.aggregate import WindowAggregates
from sluice.monitor.keys import bounded

__all__ = [
    "AFTER_WINDOW",
    "CHUNK_SUFFIX_BYTES",
    "DYNAMODB_ITEM_BYTES",
    "DYNAMODB_PARTITION_KEY_BYTES",
    "DYNAMODB_SORT_KEY_BYTES",
    "PART_BYTES",
    "RETENTION_DAYS",
    "UNREADABLE",
    "DynamoHealthStore",
    "EvaluatorState",
    "FleetWindow",
    "HealthStore",
    "MemoryHealthStore",
    "WindowPart",
    "alert_sort_key",
    "merged",
    "pack",
    "unpack",
]

if TYPE_CHECKING:
    # The evaluator's types: imported where its state is read back, so the stream handler (which
    # only writes windows) does not load the incident rules.
    from sluice.monitor.incidents import AlertMessage, Incident
    from sluice.runtime.metrics import Metrics

log = logging.getLogger("sluice.monitor.store")
RETENTION_DAYS = 35
# DynamoDB limits: an item is at most 400 KB, a partition key 2,048 bytes, a sort key 1,024 bytes.
DYNAMODB_ITEM_BYTES = 400 * 1024
DYNAMODB_PARTITION_KEY_BYTES = 2048
DYNAMODB_SORT_KEY_BYTES = 1024
# Chunks stay well under the item limit with their keys (bounded below) and attributes.
PART_BYTES = DYNAMODB_ITEM_BYTES - 50_000
# Room after a bounded sort-key prefix for ``#<chunk>``.
CHUNK_SUFFIX_BYTES = 8
# What reading a stored blob can raise when the item is torn or not ours.
UNREADABLE = (zlib.error, ValueError, KeyError, TypeError, IndexError)
# Sort keys order by window start; "#" (0x23) follows every window's own keys, "$" (0x24) none.
AFTER_WINDOW = "$"


@dataclass
class EvaluatorState:
    last_window: str | None = None
    incidents: list[Incident] = field(default_factory=list)
    version: int = 0


@dataclass(frozen=True)
class WindowPart:
    """Where a shard's counters for a window belong: the part is the sequence number of the first
    record the part counted (``service.window_part``)."""

    start: str
    end: str
    shard: str
    part: str = "0"


@dataclass(frozen=True)
class FleetWindow:
    start: str
    healthy: bool
    aggregates: WindowAggregates


class HealthStore(Protocol):
    def put_shard_window(self, where: WindowPart, aggregates: WindowAggregates) -> None: ...
    def pending_windows(self, after: str | None, until: str) -> dict[str, list[WindowAggregates]]: ...
    def put_fleet_window(self, start: str, aggregates: WindowAggregates, *, healthy: bool) -> None: ...
    def baseline(self, before: str, earliest: str, windows: int) -> WindowAggregates: ...
    def fleet_windows(self, earliest: str, latest: str) -> list[FleetWindow]: ...
    def evaluator_state(self) -> EvaluatorState: ...
    def save_evaluator_state(self, state: EvaluatorState) -> bool: ...
    def record_alert(self, message: AlertMessage) -> None: ...
    def alerts(self) -> list[AlertMessage]: ...


def alert_sort_key(message: AlertMessage) -> str:
    return f"{message.window_start}#{message.incident_id}#{message.status}"


def pack(aggregates: WindowAggregates) -> list[bytes]:
    """Counters of every dimension value (no event ids: they only matter within a shard's window)."""
    state = aggregates.to_state()
    state.pop("seen", None)
    blob = zlib.compress(json.dumps(state, separators=(",", ":")).encode(), 6)
    return [blob[i : i + PART_BYTES] for i in range(0, len(blob), PART_BYTES)] or [b""]


def unpack(parts: list[bytes]) -> WindowAggregates:
    return WindowAggregates.from_state(json.loads(zlib.decompress(b"".join(parts))))


def merged(parts: list[WindowAggregates]) -> WindowAggregates:
    total = WindowAggregates()
    for aggregates in parts:
        total.merge(aggregates)
    return total


def _chunked(items: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
    """Items grouped by what precedes their ``#<chunk>``: one group per stored aggregate."""
    groups: dict[str, list[dict[str, Any]]] = {}
    for item in items:
        groups.setdefault(item["sk"]["S"].rsplit("#", 1)[0], []).append(item)
    return groups


def _read_chunks(items: list[dict[str, Any]]) -> WindowAggregates:
    chunks = sorted((int(i["sk"]["S"].rsplit("#", 1)[1]), i["blob"]["B"]) for i in items)
    if [index for index, _ in chunks] != list(range(len(chunks))):
        raise ValueError(f"chunks {[index for index, _ in chunks]} are not 0..{len(chunks) - 1}")
    return unpack([blob for _, blob in chunks])


class DynamoHealthStore:
    def __init__(self, dynamodb: Any, table: str, metrics: Metrics | None = None) -> None:
        self.dynamodb = dynamodb
        self.table = table
        self.metrics = metrics

    # --- shard windows --------------------------------------------------------------------------
    def put_shard_window(self, where: WindowPart, aggregates: WindowAggregates) -> None:
        self._put_parts("shards", f"{where.start}#{where.shard}#{where.part}", pack(aggregates))

    def pending_windows(self, after: str | None, until: str) -> dict[str, list[WindowAggregates]]:
        """Windows from after ``after`` up to ``until`` (window starts), each as its shards' parts."""
        items = self._query_range("shards", (after + AFTER_WINDOW) if after else "0", until + AFTER_WINDOW)
        windows: dict[str, list[WindowAggregates]] = {}
        for key, chunks in sorted(_chunked(items).items()):
            aggregates = self._readable(key, chunks)
            if aggregates is not None:
                windows.setdefault(key.split("#", 1)[0], []).append(aggregates)
        return windows

    def _readable(self, key: str, chunks: list[dict[str, Any]]) -> WindowAggregates | None:
        try:
            return _read_chunks(chunks)
        except UNREADABLE as exc:
            self._unreadable(chunks[0]["pk"]["S"], key, exc)
            return None

    def _unreadable(self, pk: str, sk_prefix: str, exc: Exception) -> None:
        log.error(
            "health item unreadable: skipped",
            extra={"table": self.table, "pk": pk, "sk_prefix": sk_prefix, "error": repr(exc)[:300]},
        )
        if self.metrics is not None:
            self.metrics.add("UnreadableHealthItems", 1)

    # --- fleet windows --------------------------------------------------------------------------
    def put_fleet_window(self, start: str, aggregates: WindowAggregates, *, healthy: bool) -> None:
        self._put_parts("fleet", start, pack(aggregates), {"healthy": {"BOOL": healthy}})

    def baseline(self, before: str, earliest: str, windows: int) -> WindowAggregates:
        """The latest ``windows`` healthy fleet windows in [earliest, before), combined; the
        latest windows of any kind when none was healthy (an incident older than the look-back)."""
        heads = self._query_range("fleet", earliest, before, projection="sk, healthy")
        starts = sorted({i["sk"]["S"].split("#")[0] for i in heads})
        healthy = sorted({i["sk"]["S"].split("#")[0] for i in heads if i.get("healthy", {}).get("BOOL")})
        chosen = (healthy or starts)[-windows:]
        return merged([w.aggregates for w in self._fleet(chosen)])

    def fleet_windows(self, earliest: str, latest: str) -> list[FleetWindow]:
        heads = self._query_range("fleet", earliest, latest + AFTER_WINDOW, projection="sk")
        return self._fleet(sorted({i["sk"]["S"].split("#")[0] for i in heads}))

    def _fleet(self, starts: list[str]) -> list[FleetWindow]:
        found = []
        for start in starts:
            items = self._query_range("fleet", start + "#", start + AFTER_WINDOW)
            aggregates = self._readable(start, items) if items else None
            if aggregates is not None:
                found.append(FleetWindow(start, bool(items[0].get("healthy", {}).get("BOOL")), aggregates))
        return found

    # --- the evaluator's own state --------------------------------------------------------------
    def evaluator_state(self) -> EvaluatorState:
        item = self.dynamodb.get_item(
            TableName=self.table, Key={"pk": {"S": "evaluator"}, "sk": {"S": "state"}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return EvaluatorState()
        from sluice.monitor.incidents import Incident

        last_window = item.get("last_window", {}).get("S")
        try:
            return EvaluatorState(
                last_window,
                [Incident.from_state(i) for i in json.loads(item["incidents"]["S"])],
                int(item["version"]["N"]),
            )
        except UNREADABLE as exc:
            # Judging goes on from its last window with no open incident (one still failing is
            # opened again); the state item has no TTL, so raising here would stop alerting for ever.
            self._unreadable("evaluator", "state", exc)
            try:
                version = int(item["version"]["N"])
            except UNREADABLE:
                version = 0  # save_evaluator_state may overwrite a version that is not a number
            return EvaluatorState(last_window, [], version)

    def save_evaluator_state(self, state: EvaluatorState) -> bool:
        """False when another evaluation moved the state first (then this one's work is void)."""
        from botocore.exceptions import ClientError

        item: dict[str, Any] = {
            "pk": {"S": "evaluator"},
            "sk": {"S": "state"},
            "incidents": {"S": json.dumps([i.to_state() for i in state.incidents])},
            "version": {"N": str(state.version + 1)},
        }
        if state.last_window:
            item["last_window"] = {"S": state.last_window}
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item=item,
                # A version that is not a number (a torn item, skipped on reading) is replaced.
                ConditionExpression="attribute_not_exists(pk) OR version = :v OR NOT attribute_type(version, :n)",
                ExpressionAttributeValues={":v": {"N": str(state.version)}, ":n": {"S": "N"}},
            )
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise
        state.version += 1
        return True

    # --- alerts ---------------------------------------------------------------------------------
    def record_alert(self, message: AlertMessage) -> None:
        self.dynamodb.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": "alert"},
                "sk": {"S": alert_sort_key(message)},
                "message": {"S": json.dumps(message.to_dict())},
                "expires_at": {"N": str(_expiry())},
            },
        )

    def alerts(self) -> list[AlertMessage]:
        from sluice.monitor.incidents import AlertMessage

        return [AlertMessage(**json.loads(item["message"]["S"])) for item in self._query_range("alert", "0", "~")]

    # --- DynamoDB -------------------------------------------------------------------------------
    def _put_parts(self, pk: str, prefix: str, parts: list[bytes], extra: dict[str, Any] | None = None) -> None:
        prefix = bounded(prefix, DYNAMODB_SORT_KEY_BYTES - CHUNK_SUFFIX_BYTES)
        for index, blob in enumerate(parts):
            self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": bounded(pk, DYNAMODB_PARTITION_KEY_BYTES)},
                    "sk": {"S": f"{prefix}#{index}"},
                    "blob": {"B": blob},
                    "expires_at": {"N": str(_expiry())},
                    **(extra or {}),
                },
            )

    def _query_range(self, pk: str, begin: str, end: str, projection: str | None = None) -> list[dict[str, Any]]:
        arguments: dict[str, Any] = {
            "TableName": self.table,
            "KeyConditionExpression": "pk = :pk AND sk BETWEEN :begin AND :end",
            "ExpressionAttributeValues": {":pk": {"S": pk}, ":begin": {"S": begin}, ":end": {"S": end}},
            "ConsistentRead": True,
        }
        if projection:
            arguments["ProjectionExpression"] = projection
        items: list[dict[str, Any]] = []
        for page in self.dynamodb.get_paginator("query").paginate(**arguments):
            items.extend(page.get("Items", []))
        return items


def _expiry() -> int:
    return int(time.time()) + RETENTION_DAYS * 86_400


class MemoryHealthStore:
    """The same records in memory: ``sluice health simulate`` runs the real monitor and evaluator
    over a file without any AWS."""

    def __init__(self) -> None:
        self.shards: dict[str, dict[tuple[str, str], WindowAggregates]] = {}
        self.fleet: dict[str, FleetWindow] = {}
        self.state = EvaluatorState()
        self.messages: list[AlertMessage] = []

    def put_shard_window(self, where: WindowPart, aggregates: WindowAggregates) -> None:
        as_stored = unpack(pack(aggregates))  # no ids
        self.shards.setdefault(where.start, {})[(where.shard, where.part)] = as_stored

    def pending_windows(self, after: str | None, until: str) -> dict[str, list[WindowAggregates]]:
        return {
            start: list(shards.values())
            for start, shards in sorted(self.shards.items())
            if (after is None or start > after) and start <= until
        }

    def put_fleet_window(self, start: str, aggregates: WindowAggregates, *, healthy: bool) -> None:
        self.fleet[start] = FleetWindow(start, healthy, aggregates)

    def baseline(self, before: str, earliest: str, windows: int) -> WindowAggregates:
        starts = sorted(s for s in self.fleet if earliest <= s < before)
        healthy = [s for s in starts if self.fleet[s].healthy]
        return merged([self.fleet[s].aggregates for s in (healthy or starts)[-windows:]])

    def fleet_windows(self, earliest: str, latest: str) -> list[FleetWindow]:
        return [self.fleet[s] for s in sorted(self.fleet) if earliest <= s <= latest]

    def evaluator_state(self) -> EvaluatorState:
        return self.state

    def save_evaluator_state(self, state: EvaluatorState) -> bool:
        state.version += 1
        self.state = state
        return True

    def record_alert(self, message: AlertMessage) -> None:
        self.messages.append(message)

    def alerts(self) -> list[AlertMessage]:
        return list(self.messages)
