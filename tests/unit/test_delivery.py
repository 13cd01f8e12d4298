"""Entry-by-entry delivery: chunking within API limits, retrying only failed entries."""

from __future__ import annotations

from botocore.exceptions import ClientError

from sluice.producers.batching import BatchLimits, chunk, deliver
from sluice.producers.retry import Backoff, Deadline

LIMITS = BatchLimits(max_entries=3, max_request_bytes=100, max_entry_bytes=60)
NO_WAIT = Backoff(base_s=0.0, cap_s=0.0, sleep=lambda s: None)


def test_chunks_respect_count_and_bytes():
    assert chunk([10] * 7, LIMITS) == [[0, 1, 2], [3, 4, 5], [6]]
    assert chunk([50, 40, 20, 90], LIMITS) == [[0, 1], [2], [3]]


def test_only_failed_entries_are_sent_again():
    calls: list[list[str]] = []
    failures = {"b": 2, "d": 1}  # entry -> times it fails

    def send(batch):
        calls.append(list(batch))
        codes = []
        for entry in batch:
            if failures.get(entry, 0) > 0:
                failures[entry] -= 1
                codes.append("ProvisionedThroughputExceededException")
            else:
                codes.append(None)
        return codes

    delivery = deliver(list("abcde"), [1] * 5, send, limits=LIMITS, deadline=Deadline.after(10), backoff=NO_WAIT)
    assert delivery.ok
    assert calls == [["a", "b", "c"], ["d", "e"], ["b", "d"], ["b"]]
    assert delivery.retried_entries == 3


def test_what_still_fails_at_the_deadline_is_returned_by_index():
    delivery = deliver(
        list("abc"),
        [1] * 3,
        lambda batch: ["InternalFailure" if e == "b" else None for e in batch],
        limits=LIMITS,
        deadline=Deadline.after(0.05),
        backoff=Backoff(base_s=0.01, cap_s=0.01),
    )
    assert delivery.failed == {1: "InternalFailure"}
    assert delivery.delivered == 2


def test_oversized_entries_and_fatal_errors_are_not_retried():
    calls = []

    def send(batch):
        calls.append(batch)
        raise ClientError(
            {"Error": {"Code": "ResourceNotFoundException", "Message": "Stream sluice-raw not found"}}, "PutRecords"
        )

    delivery = deliver(["small", "big"], [1, 61], send, limits=LIMITS, deadline=Deadline.after(10), backoff=NO_WAIT)
    assert len(calls) == 1
    assert delivery.failed[0].startswith("ResourceNotFoundException")
    assert delivery.failed[1].startswith("EntryTooLarge")


def test_full_jitter_stays_within_the_cap():
    backoff = Backoff(base_s=0.1, cap_s=1.0)
    assert all(0 <= backoff.delay(attempt) <= min(1.0, 0.1 * 2**attempt) for attempt in range(10) for _ in range(50))
