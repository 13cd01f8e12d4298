"""`make bench` fails when a figure misses its goal (the benches themselves are not run here)."""

from __future__ import annotations

import importlib
from typing import Any

import pytest
from bench.timing import Result, verdict


def result(name: str, rate: float, goal: float | None = 0.8) -> Result:
    return Result(name, rate, "baseline", 100.0, goal)


def test_a_missed_goal_is_exit_status_1_naming_it() -> None:
    status, summary = verdict([result("codec encode", 90.0), result("codec decode", 79.0)])

    assert status == 1
    assert summary == "1 goal(s) missed: codec decode"


def test_goals_met_or_absent_are_exit_status_0() -> None:
    status, summary = verdict([result("codec encode", 80.0), result("ingest", 1.0, goal=None), object()])

    assert (status, summary) == (0, "every goal met (1)")


def test_make_bench_exits_1_when_a_goal_is_missed(monkeypatch: pytest.MonkeyPatch, capsys: Any) -> None:
    # GIVEN the benches' figures, one of them below its goal (the slow runs replaced by their results)
    bench_main = importlib.import_module("bench.__main__")
    monkeypatch.setattr(bench_main.codec, "run", lambda: [result("codec decode", 50.0)])
    monkeypatch.setattr(bench_main.stages, "run", lambda: [])
    monkeypatch.setattr(bench_main.sinks, "run", lambda: [])
    monkeypatch.setattr(bench_main, "write_stage_cpu", lambda results, machine: None)

    # WHEN make bench's entry point runs
    with pytest.raises(SystemExit) as exited:
        bench_main.main()

    # THEN it says MISSES and exits 1
    assert exited.value.code == 1
    out = capsys.readouterr().out
    assert "MISSES goal 0.80" in out
    assert out.rstrip().endswith("1 goal(s) missed: codec decode")
