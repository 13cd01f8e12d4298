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

from sluice.producers.retry import Backoff, Deadline, error_code

# Errors that say the request itself can never succeed; retrying them only burns time.
FATAL_CODES = frozenset(
    {
        "ValidationException",
        "ResourceNotFoundException",
        "AccessDeniedException",
        "InvalidArgumentException",
        "KMSAccessDeniedException",
    }
)


@dataclass(frozen=True)
class BatchLimits:
    max_entries: int
    max_request_bytes: int
    max_entry_bytes: int


@dataclass
class Delivery:
    """Per input index: delivered, or the last error seen for it."""

    total: int
    failed: dict[int, str] = field(default_factory=dict)
    attempts: int = 0
    retried_entries: int = 0

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
    delivery = Delivery(total=len(entries))
    final: dict[int, str] = {}  # failures no retry can mend
    for index, size in enumerate(sizes):
        if size > limits.max_entry_bytes:
            final[index] = f"EntryTooLarge: {size} bytes, over the {limits.max_entry_bytes}-byte limit"
    pending = [i for i in range(len(entries)) if i not in final]
    last_error: dict[int, str] = {}
    attempt = 0
    while pending and (attempt == 0 or backoff.wait(attempt, deadline)):
        if attempt:
            delivery.retried_entries += len(pending)
        failing: list[int] = []
        for group in chunk([sizes[i] for i in pending], limits):
            indexes = [pending[g] for g in group]
            delivery.attempts += 1
            try:
                codes = send([entries[i] for i in indexes])
            except Exception as exc:  # noqa: BLE001 - any transport or service error fails the whole request
                code = error_code(exc)
                if code in FATAL_CODES:
                    final.update((i, f"{code}: {exc}") for i in indexes)
                    continue
                codes = [code] * len(indexes)
            for i, entry_code in zip(indexes, codes, strict=True):
                if entry_code is not None:
                    last_error[i] = entry_code
                    failing.append(i)
        pending = sorted(failing)
        attempt += 1
    delivery.failed = final | {i: last_error[i] for i in pending}
    return delivery
