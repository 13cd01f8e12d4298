"""After a partial put, ``sluice failed recover`` records the runs of records that did go back:
each run is unbroken by a record that did not, so its range marks nothing that is not back."""

from __future__ import annotations

from sluice_tools.failures.recovery import delivered_runs


def _records(*sequences: int) -> list[dict[str, str]]:
    return [{"SequenceNumber": str(s), "PartitionKey": f"k{s}"} for s in sequences]


def test_records_not_put_back_split_the_runs_and_mark_none_of_them():
    # GIVEN five records, the second and fourth not put back
    fresh = _records(10, 20, 30, 40, 50)
    # WHEN the runs put back are taken
    runs = delivered_runs(fresh, {1: "ProvisionedThroughputExceededException", 3: "InternalFailure"})
    # THEN each record put back is in one run, and no run spans one that was not
    assert [[r["SequenceNumber"] for r in run] for run in runs] == [["10"], ["30"], ["50"]]


def test_failures_at_the_ends_leave_one_run_between_and_none_when_all_failed():
    fresh = _records(10, 20, 30, 40)
    assert [[r["SequenceNumber"] for r in run] for run in delivered_runs(fresh, {0, 3})] == [["20", "30"]]
    assert delivered_runs(fresh, {0, 1, 2, 3}) == []
