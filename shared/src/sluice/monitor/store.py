"""The monitor's memory across windows and shards, in one DynamoDB table (``pk``, ``sk``):

- ``shards`` / ``<window start>#<shard>#<part>``: each shard's counters for a window, written by the
  shard's final invocation with PutItem (a retried window overwrites itself, never adds twice);
- ``fleet`` / ``<window start>#<part>``: the evaluator's combination of every shard for a window,
  marked ``healthy`` when no incident was open, so baselines are made of healthy windows only;
- ``evaluator`` / ``state``: the last window evaluated and the open incidents, written with a
  condition on its version so two evaluations can never both move it;
- ``alert`` / ``<window start>#<incident id>#<status>``: every message sent, for the report.

Counters travel zlib-compressed, split into parts under DynamoDB's 400 KB item limit. Every key is
made of window starts, shard ids (from Kinesis, at most 128 bytes) and incident ids only: no
client value reaches a key.

``MemoryHealthStore`` keeps the same records in a process, for ``sluice health simulate``.
"""

from __future__ import annotations

import json
import time
import zlib
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from sluice.monitor.aggregate import WindowAggregates

if TYPE_CHECKING:
    # The evaluator's types: imported where its state is read back, so the stream handler (which
    # only writes windows) does not load the incident rules.
    from sluice.monitor.incidents import AlertMessage, Incident

RETENTION_DAYS = 35
# DynamoDB's item limit is 400 KB; parts stay well under it with their keys and attributes.
PART_BYTES = 350_000
# Sort keys order by window start; "#" (0x23) follows every window's own keys, "$" (0x24) none.
AFTER_WINDOW = "$"


@dataclass
class EvaluatorState:
    last_window: str | None = None
    incidents: list[Incident] = field(default_factory=list)
    version: int = 0


@dataclass(frozen=True)
class FleetWindow:
    start: str
    healthy: bool
    aggregates: WindowAggregates


class HealthStore(Protocol):
    def put_shard_window(self, start: str, shard: str, aggregates: WindowAggregates) -> None: ...
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


class DynamoHealthStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table

    # --- shard windows --------------------------------------------------------------------------
    def put_shard_window(self, start: str, shard: str, aggregates: WindowAggregates) -> None:
        self._put_parts("shards", f"{start}#{shard}", pack(aggregates))

    def pending_windows(self, after: str | None, until: str) -> dict[str, list[WindowAggregates]]:
        """Windows from after ``after`` up to ``until`` (window starts), each as its shards."""
        items = self._query_range("shards", (after + AFTER_WINDOW) if after else "0", until + AFTER_WINDOW)
        by_shard: dict[tuple[str, str], list[tuple[int, bytes]]] = {}
        for item in items:
            start, shard, part = item["sk"]["S"].split("#")
            by_shard.setdefault((start, shard), []).append((int(part), item["blob"]["B"]))
        windows: dict[str, list[WindowAggregates]] = {}
        for (start, _shard), parts in sorted(by_shard.items()):
            windows.setdefault(start, []).append(unpack([blob for _, blob in sorted(parts)]))
        return windows

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
            parts = [i["blob"]["B"] for i in sorted(items, key=lambda i: int(i["sk"]["S"].split("#")[1]))]
            healthy = bool(items and items[0].get("healthy", {}).get("BOOL"))
            found.append(FleetWindow(start, healthy, unpack(parts)))
        return found

    # --- the evaluator's own state --------------------------------------------------------------
    def evaluator_state(self) -> EvaluatorState:
        item = self.dynamodb.get_item(
            TableName=self.table, Key={"pk": {"S": "evaluator"}, "sk": {"S": "state"}}, ConsistentRead=True
        ).get("Item")
        if not item:
            return EvaluatorState()
        from sluice.monitor.incidents import Incident

        return EvaluatorState(
            item.get("last_window", {}).get("S"),
            [Incident.from_state(i) for i in json.loads(item["incidents"]["S"])],
            int(item["version"]["N"]),
        )

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
                ConditionExpression="attribute_not_exists(pk) OR version = :v",
                ExpressionAttributeValues={":v": {"N": str(state.version)}},
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
        for index, blob in enumerate(parts):
            self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": pk},
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
        self.shards: dict[str, dict[str, WindowAggregates]] = {}
        self.fleet: dict[str, FleetWindow] = {}
        self.state = EvaluatorState()
        self.messages: list[AlertMessage] = []

    def put_shard_window(self, start: str, shard: str, aggregates: WindowAggregates) -> None:
        self.shards.setdefault(start, {})[shard] = unpack(pack(aggregates))  # as stored: no ids

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
