"""The local CDN stand-in's real-time log delivery: each request's line onto the local CDN log
stream, one line per Kinesis record, as CloudFront writes them.

CloudFront delivers real-time log records "within seconds"; the stand-in puts what it has at
least every ``FLUSH_INTERVAL_S`` (and at once when a PutRecords is full), so a test or a player
sees its requests on the stream within a second. A line the stream refuses is kept and put again
on the next flush (up to ``MAX_PENDING_LINES``); past that the oldest are dropped and counted
(``dropped``), as a real-time log is best effort, never silently: the stand-in's log names them.
"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any

from sluice.producers.kinesis import PUT_RECORDS_LIMITS, KinesisProducer, StreamRecord
from sluice.runtime.deadline import Deadline

__all__ = ["FLUSH_INTERVAL_S", "MAX_PENDING_LINES", "PUT_DEADLINE_S", "LogShipper"]

log = logging.getLogger("sluice_tools.local.cdn")

FLUSH_INTERVAL_S = 0.5  # at most this long between a request's end and its line's put
PUT_DEADLINE_S = 5.0  # one flush's PutRecords, retries of refused entries included
# What the stand-in holds while the stream refuses lines (the emulator down, throttling): a
# player requests a few segments a second, so this is minutes of a local test's traffic.
MAX_PENDING_LINES = 100_000


@dataclass
class LogShipper:
    """Lines to the stream, in request order per flush; ``start`` runs the flushing thread."""

    kinesis: Any  # a botocore Kinesis client
    stream_name: str
    interval_s: float = FLUSH_INTERVAL_S
    written: int = 0
    dropped: int = 0
    _pending: deque[StreamRecord] = field(default_factory=deque)
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _wake: threading.Event = field(default_factory=threading.Event)
    _stop: threading.Event = field(default_factory=threading.Event)
    _thread: threading.Thread | None = None

    def add(self, line: str, request_id: str) -> None:
        """One request's line; its partition key the request's id (spreads lines over shards)."""
        with self._lock:
            if len(self._pending) >= MAX_PENDING_LINES:
                self._pending.popleft()
                self.dropped += 1
            self._pending.append(StreamRecord(line.encode("utf-8"), request_id))
            full = len(self._pending) >= PUT_RECORDS_LIMITS.max_entries
        if full:
            self._wake.set()

    @property
    def pending(self) -> int:
        with self._lock:
            return len(self._pending)

    def start(self) -> LogShipper:
        self._thread = threading.Thread(target=self._run, name="sluice-cdn-log", daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        """Put what is left, then stop."""
        self._stop.set()
        self._wake.set()
        if self._thread is not None:
            self._thread.join(timeout=PUT_DEADLINE_S + 5)
        if self.pending:
            log.warning("CDN log lines not delivered at stop", extra={"lines": self.pending})

    def flush(self) -> int:
        """Put every pending line now; the number written."""
        with self._lock:
            batch = list(self._pending)
            self._pending.clear()
        if not batch:
            return 0
        try:
            delivery = KinesisProducer(self.kinesis, self.stream_name).put(
                batch, Deadline(time.monotonic() + PUT_DEADLINE_S)
            )
        except Exception:
            self._requeue(batch)  # the emulator unreachable: every line stays pending
            raise
        # A line over a record's 1 MiB can never be put (none is: a CloudFront line is at most
        # sluice.cdn.logline.MAX_LINE_BYTES); it is dropped and counted, not retried for ever.
        retryable = delivery.retryable
        self._requeue([batch[i] for i in sorted(retryable)], dropped=len(delivery.rejected))
        if delivery.failed:
            log.warning(
                "CDN log lines refused by the stream, kept for the next flush",
                extra={
                    "lines": len(retryable),
                    "dropped": len(delivery.rejected),
                    "error": next(iter(delivery.failed.values())),
                },
            )
        written = delivery.delivered
        with self._lock:
            self.written += written
        return written

    def _requeue(self, records: Sequence[StreamRecord], dropped: int = 0) -> None:
        with self._lock:
            self.dropped += dropped
            self._pending.extendleft(reversed(records))
            while len(self._pending) > MAX_PENDING_LINES:
                self._pending.popleft()
                self.dropped += 1

    def _run(self) -> None:
        while not self._stop.is_set():
            self._wake.wait(self.interval_s)
            self._wake.clear()
            try:
                self.flush()
            except Exception:  # the emulator unreachable: the lines stay pending
                log.exception("CDN log flush failed; the lines stay pending")
        try:
            self.flush()
        except Exception:  # stopping: what is left is named by stop()
            log.exception("CDN log flush at stop failed")
