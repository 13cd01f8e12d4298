"""The monitor's memory across windows and shards, in one DynamoDB table.

Lambda's window state lives only for one window on one shard; the baseline of preceding windows,
the alert cool-down and the history the report draws come from here instead:

- ``win#<dimension>#<value>`` / ``<window start>#<shard>``: one shard's counters for a window,
  written with PutItem so a retried final invocation overwrites instead of adding twice;
- ``cooldown#<rule>#<dimension>#<value>``: a conditional write, so one alert per cause per cool-down
  across every shard and window;
- ``alert`` / ``<window start>#<cause>``: the alerts raised, for the report.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sluice.monitor.aggregate import COUNTERS, Aggregate
from sluice.monitor.rules import Alert
from sluice.monitor.sketch import QuantileSketch

RETENTION_DAYS = 35
# DynamoDB key limits (bytes of UTF-8): partition key 2048, sort key 1024. Every key below is
# built from bounded fields only, and tests/unit check the longest possible key against these.
PARTITION_KEY_BYTES = 2048
SORT_KEY_BYTES = 1024


def window_key(dimension: str, value: str) -> str:
    return f"win#{dimension}#{value}"


def cooldown_key(cause: str) -> str:
    return f"cooldown#{cause}"


def alert_sort_key(window_start: str, cause: str) -> str:
    return f"{window_start}#{cause}"


@dataclass(frozen=True)
class WindowRecord:
    window_start: str
    shard: str
    dimension: str
    value: str
    aggregate: Aggregate


class HealthStore:
    def __init__(self, dynamodb: Any, table: str) -> None:
        self.dynamodb = dynamodb
        self.table = table

    def put_window(self, window_start: str, shard: str, dimension: str, value: str, aggregate: Aggregate) -> None:
        self.dynamodb.put_item(
            TableName=self.table, Item=self._window_item(window_start, shard, dimension, value, aggregate)
        )

    def put_windows(self, window_start: str, shard: str, rows: list[tuple[str, str, Aggregate]]) -> None:
        items = [self._window_item(window_start, shard, d, v, a) for d, v, a in rows]
        for start in range(0, len(items), 25):  # BatchWriteItem takes 25 items
            request: dict[str, Any] = {
                self.table: [{"PutRequest": {"Item": item}} for item in items[start : start + 25]]
            }
            for _ in range(8):
                unprocessed = self.dynamodb.batch_write_item(RequestItems=request).get("UnprocessedItems") or {}
                if not unprocessed:
                    break
                request = unprocessed
                time.sleep(0.05)
            else:
                raise RuntimeError(f"DynamoDB left {len(request.get(self.table, []))} window items unwritten")

    def _window_item(
        self, window_start: str, shard: str, dimension: str, value: str, aggregate: Aggregate
    ) -> dict[str, Any]:
        return {
            "pk": {"S": window_key(dimension, value)},
            "sk": {"S": f"{window_start}#{shard}"},
            "counts": {"M": {n: {"N": str(aggregate.counts[n])} for n in COUNTERS}},
            "startup": {"S": json.dumps(aggregate.startup.to_state())},
            "expires_at": {"N": str(int(time.time()) + RETENTION_DAYS * 86_400)},
        }

    def baseline(
        self, dimension: str, value: str, window_start: str, windows: int, window_seconds: int
    ) -> Aggregate | None:
        """Counters of the ``windows`` windows before ``window_start``, summed over shards."""
        begin = _iso(
            datetime.fromisoformat(window_start.replace("Z", "+00:00")) - timedelta(seconds=windows * window_seconds)
        )
        response = self.dynamodb.query(
            TableName=self.table,
            KeyConditionExpression="pk = :pk AND sk BETWEEN :begin AND :end",
            ExpressionAttributeValues={
                ":pk": {"S": window_key(dimension, value)},
                ":begin": {"S": begin},
                ":end": {"S": window_start},
            },
        )
        items = [i for i in response.get("Items", []) if not i["sk"]["S"].startswith(window_start)]
        if not items:
            return None
        total = Aggregate()
        for item in items:
            total.merge(_aggregate(item))
        return total

    def claim_alert(self, alert: Alert, cooldown_minutes: int) -> bool:
        """True when no alert for the same cause was raised within the cool-down."""
        from botocore.exceptions import ClientError

        now = int(time.time())
        try:
            self.dynamodb.put_item(
                TableName=self.table,
                Item={
                    "pk": {"S": cooldown_key(alert.cause)},
                    "sk": {"S": "-"},
                    "until": {"N": str(now + cooldown_minutes * 60)},
                    "expires_at": {"N": str(now + cooldown_minutes * 60 + 3600)},
                },
                ConditionExpression="attribute_not_exists(pk) OR #until < :now",
                ExpressionAttributeNames={"#until": "until"},
                ExpressionAttributeValues={":now": {"N": str(now)}},
            )
            return True
        except ClientError as exc:
            if exc.response["Error"]["Code"] == "ConditionalCheckFailedException":
                return False
            raise

    def release_alert(self, alert: Alert) -> None:
        self.dynamodb.delete_item(TableName=self.table, Key={"pk": {"S": cooldown_key(alert.cause)}, "sk": {"S": "-"}})

    def record_alert(self, alert: Alert) -> None:
        self.dynamodb.put_item(
            TableName=self.table,
            Item={
                "pk": {"S": "alert"},
                "sk": {"S": alert_sort_key(alert.window_start, alert.cause)},
                "alert": {"S": json.dumps(alert.to_dict())},
                "expires_at": {"N": str(int(time.time()) + RETENTION_DAYS * 86_400)},
            },
        )

    def alerts(self) -> list[Alert]:
        return [Alert(**json.loads(item["alert"]["S"])) for item in self._query("alert")]

    def windows(self, dimension: str, values: list[str]) -> Iterator[WindowRecord]:
        for value in values:
            for item in self._query(window_key(dimension, value)):
                start, _, shard = item["sk"]["S"].rpartition("#")
                yield WindowRecord(start, shard, dimension, value, _aggregate(item))

    def values(self, dimension: str) -> list[str]:
        """Every value of a dimension the table holds windows for (a scan: for reports, not hot paths)."""
        found: set[str] = set()
        paginator = self.dynamodb.get_paginator("scan")
        prefix = f"win#{dimension}#"
        for page in paginator.paginate(
            TableName=self.table,
            FilterExpression="begins_with(pk, :p)",
            ExpressionAttributeValues={":p": {"S": prefix}},
            ProjectionExpression="pk",
        ):
            found.update(item["pk"]["S"][len(prefix) :] for item in page.get("Items", []))
        return sorted(found)

    def _query(self, pk: str) -> Iterator[dict[str, Any]]:
        paginator = self.dynamodb.get_paginator("query")
        for page in paginator.paginate(
            TableName=self.table, KeyConditionExpression="pk = :pk", ExpressionAttributeValues={":pk": {"S": pk}}
        ):
            yield from page.get("Items", [])


def _aggregate(item: dict[str, Any]) -> Aggregate:
    counts = {n: int(item["counts"]["M"].get(n, {"N": "0"})["N"]) for n in COUNTERS}
    return Aggregate(counts, QuantileSketch.from_state(json.loads(item["startup"]["S"])))


def _iso(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
