"""Entry-by-entry delivery to AWS batch APIs (Kinesis PutRecords, Firehose PutRecordBatch).

Both APIs accept part of a request: the response marks each failed entry with an ErrorCode while
the others are stored. So each request is checked entry by entry, and only the failed entries are
sent again, with backoff, while the invocation has time. What still fails is returned by index,
for the caller to report (a 503 to the player, batchItemFailures to Lambda): nothing is dropped.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sluice.producers.retry import Backoff, error_code
from sluice.runtime.deadline import Deadline

__all__ = ["CONFIGURATION_CODES", "INVALID_ENTRY_CODES", "BatchLimits", "Delivery", "SendBatch", "chunk", "deliver"]

# Errors that say an entry can never be stored as it is: retrying only burns the invocation's
# time (botocore's ParamValidationError is raised before any request, for example an empty or
# 257-character Kinesis partition key). The request is bisected to find the entries at fault.
INVALID_ENTRY_CODES = frozenset({"ParamValidationError", "ValidationException", "InvalidArgumentException"})
# Errors that say the stage is misconfigured or not allowed: no retry inside this invocation can
# mend them, but the entries are not at fault, so they stay retryable for the caller (Lambda
# retries the batch, and it reaches the on-failure destination if the access is never fixed).
CONFIGURATION_CODES = frozenset(
    {
        "ResourceNotFoundException",
        "AccessDeniedException",
        "AccessDenied",
        "UnrecognizedClientException",
        "InvalidSignatureException",
        "ExpiredTokenException",
        "KMSAccessDeniedException",
        "KMSDisabledException",
        "KMSNotFoundException",
        "KMSInvalidStateException",
    }
)


@dataclass(frozen=True)
class BatchLimits:
    max_entries: int
    max_request_bytes: int
    max_entry_bytes: int


@dataclass
class Delivery:
    """Per input index: delivered, or the last error seen for it. ``rejected`` names the failed
    entries that are at fault themselves (never storable; the caller turns them into failed
    events); the others may succeed later. ``configuration_error`` is set when the destination
    refused the stage itself (missing, or access denied): an operator must act, so it alarms."""

    total: int
    failed: dict[int, str] = field(default_factory=dict)
    rejected: set[int] = field(default_factory=set)
    configuration_error: str | None = None
    attempts: int = 0
    retried_entries: int = 0

    @property
    def retryable(self) -> dict[int, str]:
        return {i: e for i, e in self.failed.items() if i not in self.rejected}

    @property
    def delivered(self) -> int:
        return self.total - len(self.failed)

    @property
    def ok(self) -> bool:
        return not self.failed


# (entries of one request) -> per-entry error code or None, in order
SendBatch = Callable[[list[Any]], list[str | None]]


def chunk(sizes: Sequence[int], limits: BatchLimits) -> list[list[int]]:
    """Indexes grouped into requests within the API's entry-count and byte limits."""
    groups: list[list[int]] = []
    current: list[int] = []
    current_bytes = 0
    for index, size in enumerate(sizes):
        if current and (len(current) >= limits.max_entries or current_bytes + size > limits.max_request_bytes):
            groups.append(current)
            current, current_bytes = [], 0
        current.append(index)
        current_bytes += size
    if current:
        groups.append(current)
    return groups


def deliver(
    entries: Sequence[Any],
    sizes: Sequence[int],
    send: SendBatch,
    *,
    limits: BatchLimits,
    deadline: Deadline,
    backoff: Backoff,
) -> Delivery:
    """Send ``entries``; retry the failed ones until they succeed or time runs out."""
    sender = _Sender(entries, send, Delivery(total=len(entries)))
    delivery, final = sender.delivery, sender.final
    for index, size in enumerate(sizes):
        if size > limits.max_entry_bytes:
            final[index] = f"EntryTooLarge: {size} bytes, over the {limits.max_entry_bytes}-byte limit"
            delivery.rejected.add(index)
    pending = [i for i in range(len(entries)) if i not in final]
    attempt = 0
    while pending and (attempt == 0 or backoff.wait(attempt, deadline)):
        if attempt:
            delivery.retried_entries += len(pending)
        sender.failing = []
        for group in chunk([sizes[i] for i in pending], limits):
            sender.send_group([pending[g] for g in group])
        if delivery.configuration_error is not None:  # stop: no retry can mend it
            final.update((i, sender.last_error[i]) for i in sender.failing)
            sender.failing = []
        pending = sorted(sender.failing)
        attempt += 1
    delivery.failed = final | {i: sender.last_error[i] for i in pending}
    return delivery


@dataclass
class _Sender:
    """One round of requests: what failed, and why."""

    entries: Sequence[Any]
    send: SendBatch
    delivery: Delivery
    final: dict[int, str] = field(default_factory=dict)  # failures no retry in this invocation mends
    last_error: dict[int, str] = field(default_factory=dict)
    failing: list[int] = field(default_factory=list)

    def send_group(self, indexes: list[int]) -> None:
        self.delivery.attempts += 1
        try:
            codes = self.send([self.entries[i] for i in indexes])
        except Exception as exc:  # noqa: BLE001 - any transport or service error fails the whole request
            code = error_code(exc)
            if code in INVALID_ENTRY_CODES:
                self._isolate(indexes, f"{code}: {exc}")
                return
            if code in CONFIGURATION_CODES:
                self.delivery.configuration_error = f"{code}: {exc}"
            codes = [code] * len(indexes)
        for i, entry_code in zip(indexes, codes, strict=True):
            if entry_code is not None:
                self.last_error[i] = entry_code
                self.failing.append(i)

    def _isolate(self, indexes: list[int], error: str) -> None:
        """Bisect a refused request to the entries at fault; the others go through now."""
        if len(indexes) == 1:
            self.final[indexes[0]] = error
            self.delivery.rejected.add(indexes[0])
            return
        middle = len(indexes) // 2
        self.send_group(indexes[:middle])
        self.send_group(indexes[middle:])
