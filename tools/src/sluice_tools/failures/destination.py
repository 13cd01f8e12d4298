"""What Lambda sends to a Kinesis event source mapping's on-failure destination when a batch
runs out of retries (or its records out of age): metadata only, never the records. Documented at
https://docs.aws.amazon.com/lambda/latest/dg/kinesis-on-failure-destination.html

The local runtime writes exactly this shape, so ``sluice failed recover`` reads the same message
locally and on AWS. The records themselves are fetched back from the stream by shard and
sequence range while the stream still retains them.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from sluice.runtime.errors import SluiceError

__all__ = ["CONDITIONS", "DiscardedBatch", "NotABatchInfoError", "batch_info_message"]

CONDITIONS = ("RetryAttemptsExhausted", "RecordAgeExceeded")


def _iso(epoch_s: float) -> str:
    return datetime.fromtimestamp(epoch_s, UTC).strftime("%Y-%m-%dT%H:%M:%S.") + f"{int(epoch_s * 1000) % 1000:03d}Z"


def batch_info_message(
    *,
    function_arn: str,
    condition: str,
    invoke_count: int,
    records: list[dict[str, Any]],
    stream_arn: str,
    function_error: str | None = None,
) -> dict[str, Any]:
    """The on-failure record of a discarded batch (``records`` as Lambda's Kinesis event holds them)."""
    if condition not in CONDITIONS:
        raise ValueError(f"condition must be one of {CONDITIONS}")
    first, last = records[0], records[-1]
    response: dict[str, Any] = {"statusCode": 200, "executedVersion": "$LATEST"}
    if function_error is not None:
        response["functionError"] = function_error
    return {
        "requestContext": {
            "requestId": str(uuid.uuid4()),
            "functionArn": function_arn,
            "condition": condition,
            "approximateInvokeCount": invoke_count,
        },
        "responseContext": response,
        "version": "1.0",
        "timestamp": _iso(datetime.now(UTC).timestamp()),
        "KinesisBatchInfo": {
            "shardId": first["eventID"].split(":", 1)[0],
            "startSequenceNumber": first["kinesis"]["sequenceNumber"],
            "endSequenceNumber": last["kinesis"]["sequenceNumber"],
            "approximateArrivalOfFirstRecord": _iso(first["kinesis"]["approximateArrivalTimestamp"]),
            "approximateArrivalOfLastRecord": _iso(last["kinesis"]["approximateArrivalTimestamp"]),
            "batchSize": len(records),
            "streamArn": stream_arn,
        },
    }


class NotABatchInfoError(SluiceError, ValueError):
    """A message on the queue that is not Lambda's record of a discarded Kinesis batch."""


@dataclass(frozen=True)
class DiscardedBatch:
    """One on-failure message: where the records of the discarded batch are on the stream."""

    function_arn: str
    condition: str
    stream_arn: str
    shard_id: str
    start_sequence: str
    end_sequence: str
    batch_size: int
    first_arrival: str

    @property
    def stream_name(self) -> str:
        return self.stream_arn.rsplit("/", 1)[-1]

    @classmethod
    def from_message(cls, body: str) -> DiscardedBatch:
        try:
            message = json.loads(body)
            context, info = message["requestContext"], message["KinesisBatchInfo"]
            return cls(
                function_arn=str(context.get("functionArn", "")),
                condition=str(context.get("condition", "")),
                stream_arn=str(info["streamArn"]),
                shard_id=str(info["shardId"]),
                start_sequence=str(info["startSequenceNumber"]),
                end_sequence=str(info["endSequenceNumber"]),
                batch_size=int(info["batchSize"]),
                first_arrival=str(info.get("approximateArrivalOfFirstRecord", "")),
            )
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise NotABatchInfoError(f"not a Kinesis on-failure record ({type(exc).__name__}: {exc})") from None
