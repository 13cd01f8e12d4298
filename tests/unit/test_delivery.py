"""Entry-by-entry delivery: chunking within API limits, retrying only failed entries."""

from __future__ import annotations

import pytest
from botocore.exceptions import ClientError

from sluice.producers.batching import BatchLimits, chunk, deliver
from sluice.producers.retry import Backoff
from sluice.runtime.deadline import Deadline

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


def test_a_request_refused_before_sending_is_bisected_to_the_entries_at_fault():
    from botocore.exceptions import ParamValidationError

    calls: list[list[str]] = []

    def send(batch):
        # botocore validates a whole request client-side: one empty partition key refuses it all
        calls.append(list(batch))
        if "" in batch:
            raise ParamValidationError(report="Invalid length for parameter Records[0].PartitionKey, value: 0")
        return [None] * len(batch)

    entries = ["a", "b", "", "d", "e", "f"]
    limits = BatchLimits(max_entries=500, max_request_bytes=10_000, max_entry_bytes=100)
    delivery = deliver(entries, [1] * 6, send, limits=limits, deadline=Deadline.after(10), backoff=NO_WAIT)
    # THEN the five good entries are delivered at once, the bad one is rejected for good, no retry loop
    assert delivery.rejected == {2}
    assert set(delivery.failed) == {2} and delivery.failed[2].startswith("ParamValidationError")
    assert delivery.retryable == {}
    assert delivery.retried_entries == 0
    assert sorted(e for call in calls if "" not in call for e in call) == ["a", "b", "d", "e", "f"]
    assert len(calls) <= 7


def test_an_access_error_stops_at_once_and_stays_retryable_for_the_caller():
    calls = []

    def send(batch):
        calls.append(batch)
        raise ClientError({"Error": {"Code": "AccessDeniedException", "Message": "not authorized"}}, "PutRecords")

    delivery = deliver(list("abc"), [1] * 3, send, limits=LIMITS, deadline=Deadline.after(10), backoff=NO_WAIT)
    assert len(calls) == 1
    assert delivery.configuration_error.startswith("AccessDeniedException")
    assert delivery.rejected == set() and sorted(delivery.retryable) == [0, 1, 2]


def test_a_bounded_client_fits_each_call_in_the_time_left():
    from sluice.aws.clients import BUDGETS, BoundedClient, DeadlineReachedError, worst_case_s

    client = BoundedClient("kinesis", endpoint_url="http://127.0.0.1:9", region="eu-west-1")
    patient = client.within(Deadline.after(60))
    assert (patient.meta.config.read_timeout, patient.meta.config.retries["total_max_attempts"]) == (10.0, 2)
    hurried = client.within(Deadline.after(3.0))
    attempts, read = hurried.meta.config.retries["total_max_attempts"], hurried.meta.config.read_timeout
    assert worst_case_s(attempts, read) <= 3.0 and (attempts, read) == (1, 1.0)
    with pytest.raises(DeadlineReachedError, match="too little for one more call"):
        client.within(Deadline.after(worst_case_s(*BUDGETS[-1]) / 2))
