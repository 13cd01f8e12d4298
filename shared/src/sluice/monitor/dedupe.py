"""Exactly-once counts within a window: the event ids a shard has counted in the current window,
kept in the window state that Lambda carries between invocations.

Lambda retries a batch (bisecting it) when an invocation fails, so the monitor sees records
twice; counting them twice would move every rate. Each id is kept as a 6-byte BLAKE2b digest,
so ``MAX_IDS`` ids take about 400 KB of base64 in the state, well inside Lambda's 1 MB window
state with the counters beside them.

Guarantee: within one shard and one window, the first ``MAX_IDS`` distinct events are counted
exactly once each. Two distinct ids share a 48-bit digest with probability about n^2 / 2^49
(4e-6 for a full window), in which case one event is taken for a duplicate. Past ``MAX_IDS``,
events are counted without the check and reported as ``EventsNotDeduplicated``. A record
retried in a *later* window is past the window already closed, and counts as late.
"""

from __future__ import annotations

import base64
import hashlib

__all__ = ["DIGEST_BYTES", "MAX_IDS", "EventIds"]

DIGEST_BYTES = 6
# A 60 s window at 830 events/s on one shard (a shard takes at most 1,000 records/s).
MAX_IDS = 50_000


class EventIds:
    def __init__(self, digests: set[bytes] | None = None, unchecked: int = 0, capacity: int | None = None) -> None:
        self._digests = digests if digests is not None else set()
        self.unchecked = unchecked
        self.capacity = MAX_IDS if capacity is None else capacity

    def first_time(self, event_id: str) -> bool:
        """True the first time an id is seen in this window (and past the cap, always)."""
        digest = hashlib.blake2b(event_id.encode(), digest_size=DIGEST_BYTES).digest()
        if digest in self._digests:
            return False
        if len(self._digests) >= self.capacity:
            self.unchecked += 1
            return True
        self._digests.add(digest)
        return True

    def contains(self, event_id: str) -> bool:
        return hashlib.blake2b(event_id.encode(), digest_size=DIGEST_BYTES).digest() in self._digests

    def __len__(self) -> int:
        return len(self._digests)

    def to_state(self) -> dict[str, object]:
        return {"ids": base64.b64encode(b"".join(sorted(self._digests))).decode("ascii"), "unchecked": self.unchecked}

    @classmethod
    def from_state(cls, state: dict[str, object] | None, capacity: int | None = None) -> EventIds:
        if not state:
            return cls(capacity=capacity)
        packed = base64.b64decode(str(state.get("ids", "")))
        digests = {packed[i : i + DIGEST_BYTES] for i in range(0, len(packed), DIGEST_BYTES)}
        return cls(digests, int(str(state.get("unchecked", 0))), capacity)
