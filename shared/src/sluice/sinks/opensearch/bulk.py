"""Bulk indexing with an outcome for every document.

OpenSearch answers a bulk request with HTTP 200 even when items failed (``errors: true``), so each
item's status is read: 200/201 stored, 409 already there (a replay), 429/5xx retried with backoff
while time lasts, other 4xx (mapping or parse errors) rejected for good. A request that fails as a
whole is split when it was too large (413) and retried otherwise; what is still not stored when
time runs out is returned for the caller to report. An answer whose items do not name the
documents sent, in order, is not this request's (a proxy answering twice): it is never read as
stored, and its connection is dropped.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

import orjson

from sluice.producers.batching import BatchLimits, chunk
from sluice.producers.retry import Backoff
from sluice.runtime.deadline import Deadline

__all__ = [
    "CONFIGURATION_STATUS",
    "DEFAULT_MAX_BULK_BYTES",
    "DEFAULT_MAX_BULK_DOCS",
    "MIN_REQUEST_TIMEOUT_S",
    "RETRYABLE_ITEM_STATUS",
    "STORED_ITEM_STATUS",
    "BulkIndexer",
    "BulkOutcome",
    "Document",
    "action_lines",
]

if TYPE_CHECKING:
    from sluice.sinks.opensearch.http import BulkClient

log = logging.getLogger("sluice.sinks.opensearch")

RETRYABLE_ITEM_STATUS = frozenset({429, 500, 502, 503, 504})
# The cluster refuses the stage itself (credentials, role mapping): retrying cannot mend it, so
# the batch stops at once and the caller alarms; the documents stay retryable.
CONFIGURATION_STATUS = frozenset({401, 403})
# Below this, a request cannot complete: the documents are reported instead of sent.
MIN_REQUEST_TIMEOUT_S = 0.1
STORED_ITEM_STATUS = frozenset({200, 201, 409})
DEFAULT_MAX_BULK_BYTES = 5 * 1024 * 1024  # under the 10 MiB HTTP cap of most managed clusters
DEFAULT_MAX_BULK_DOCS = 1000


@dataclass(frozen=True, slots=True)
class Document:
    index: str
    id: str
    source: dict[str, Any]


@dataclass
class BulkOutcome:
    """Per input position: rejected for good (with the reason) or still to retry."""

    stored: int = 0
    rejected: dict[int, str] = field(default_factory=dict)
    unfinished: dict[int, str] = field(default_factory=dict)
    requests: int = 0
    bytes_sent: int = 0
    configuration_error: str | None = None


@dataclass(frozen=True, slots=True)
class _Batch:
    """The documents of one ``index`` call by position: their ids and their bulk lines."""

    ids: list[str]
    bodies: list[bytes]


def action_lines(document: Document) -> bytes:
    """One document's two NDJSON lines of a bulk body."""
    action = orjson.dumps({"index": {"_index": document.index, "_id": document.id}})
    return action + b"\n" + orjson.dumps(document.source) + b"\n"


class BulkIndexer:
    def __init__(
        self,
        client: BulkClient,
        *,
        max_bytes: int = DEFAULT_MAX_BULK_BYTES,
        max_docs: int = DEFAULT_MAX_BULK_DOCS,
        backoff: Backoff | None = None,
        max_request_timeout_s: float = 30.0,
    ) -> None:
        self.client = client
        self.max_request_timeout_s = max_request_timeout_s
        # Same grouping as the AWS batch APIs: by count and by bytes (a document is never split).
        self.limits = BatchLimits(max_entries=max_docs, max_request_bytes=max_bytes, max_entry_bytes=max_bytes)
        self.backoff = backoff or Backoff(base_s=0.2, cap_s=5.0)

    def index(self, documents: Sequence[Document], deadline: Deadline) -> BulkOutcome:
        outcome = BulkOutcome()
        batch = _Batch([d.id for d in documents], [action_lines(d) for d in documents])
        pending = list(range(len(documents)))
        attempt = 0
        while pending and (attempt == 0 or self.backoff.wait(attempt, deadline)):
            retry: dict[int, str] = {}
            for group in chunk([len(batch.bodies[i]) for i in pending], self.limits):
                self._send([pending[g] for g in group], batch, outcome, retry, deadline)
            pending = sorted(retry)
            outcome.unfinished = retry
            attempt += 1
            if outcome.configuration_error is not None:
                break
        return outcome

    def _send(
        self, positions: list[int], batch: _Batch, outcome: BulkOutcome, retry: dict[int, str], deadline: Deadline
    ) -> None:
        # Here, not at import: the monitor imports this module and sends only with roll-ups on.
        from sluice.sinks.opensearch.http import BulkRequestError, ClusterUnreachableError

        # A cluster that accepts the connection and never answers must not hold the request past
        # the deadline: the request's own timeout is what is left.
        timeout = deadline.remaining()
        if timeout < MIN_REQUEST_TIMEOUT_S or outcome.configuration_error is not None:
            retry.update(
                (p, "not sent: no time left" if timeout < MIN_REQUEST_TIMEOUT_S else outcome.configuration_error or "")
                for p in positions
            )
            return
        body = b"".join(batch.bodies[p] for p in positions)
        outcome.requests += 1
        outcome.bytes_sent += len(body)
        try:
            response = self.client.bulk(body, timeout_s=min(timeout, self.max_request_timeout_s))
        except ClusterUnreachableError as exc:  # includes timeouts: nothing is known to be stored
            retry.update((p, f"connection: {exc}") for p in positions)
            return
        except BulkRequestError as exc:
            if exc.status == 413:
                self._split(positions, batch, outcome, retry, deadline)
            elif exc.status in CONFIGURATION_STATUS:
                outcome.configuration_error = (
                    f"HTTP {exc.status} {exc.error}: the cluster refuses this stage's credentials"
                )
                retry.update((p, outcome.configuration_error) for p in positions)
            else:
                # 429/5xx, or the whole request refused (400 on a malformed body): not the
                # documents' fault alone, so they are reported for retry rather than rejected.
                retry.update((p, f"bulk request: {exc}") for p in positions)
            return
        self._read_items(positions, batch, response, outcome, retry)

    def _split(
        self, positions: list[int], batch: _Batch, outcome: BulkOutcome, retry: dict[int, str], deadline: Deadline
    ) -> None:
        if len(positions) == 1:
            outcome.rejected[positions[0]] = (
                f"document of {len(batch.bodies[positions[0]])} bytes is larger than the cluster accepts (HTTP 413)"
            )
            return
        middle = len(positions) // 2
        log.info("bulk request too large, splitting", extra={"documents": len(positions)})
        self._send(positions[:middle], batch, outcome, retry, deadline)
        self._send(positions[middle:], batch, outcome, retry, deadline)

    def _read_items(
        self, positions: list[int], batch: _Batch, response: dict[str, Any], outcome: BulkOutcome, retry: dict[int, str]
    ) -> None:
        items = response.get("items") or []
        if len(items) != len(positions):
            retry.update((p, f"bulk response has {len(items)} items for {len(positions)} documents") for p in positions)
            return
        results: list[dict[str, Any]] = [next(iter(item.values()), {}) for item in items]
        if [result.get("_id") for result in results] != [batch.ids[p] for p in positions]:
            # Not this request's answer: one sent twice, or one sent ahead of it (a broken proxy);
            # what follows on that connection cannot be trusted either.
            self.client.close()
            retry.update((p, "the bulk answer names other documents than were sent") for p in positions)
            return
        for position, result in zip(positions, results, strict=True):
            status = int(result.get("status", 0))
            if status in STORED_ITEM_STATUS:
                outcome.stored += 1
                continue
            error = result.get("error") or {}
            reason = f"HTTP {status} {error.get('type', '')}: {error.get('reason', '')}".strip()
            if status in RETRYABLE_ITEM_STATUS:
                retry[position] = reason
            else:
                outcome.rejected[position] = reason
