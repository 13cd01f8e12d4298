"""`make image-report`'s table: a stage's first invocation beside the bare image's, median and
spread of the runs, and the ratio of the medians (pure logic: no engine)."""

from __future__ import annotations

import pytest
from sluice_tools.local.image_report import Figures, Row, format_rows


def test_figures_are_the_median_and_the_spread_of_the_runs():
    figures = Figures.of([640.0, 610.0, 900.0, 620.0, 630.0])

    assert (figures.median, figures.low, figures.high) == (630.0, 610.0, 900.0)
    assert str(figures) == "630ms (610-900)"


def test_no_runs_is_no_figure():
    with pytest.raises(ValueError, match="no runs"):
        Figures.of([])


def test_the_ratio_is_the_stage_median_over_the_bare_median_measured_in_turn_with_it():
    # GIVEN a stage whose first invocations took 600-700 ms and a bare image's 290-400 ms
    row = Row(
        "ingest",
        size_bytes=156_851_557,
        layers=6,
        init=Figures.of([350.0, 340.0, 360.0]),
        first=Figures.of([620.0, 600.0, 700.0]),
        bare=Figures.of([310.0, 290.0, 400.0]),
    )

    # WHEN the table is printed
    header, line = format_rows([row])

    # THEN the row says the size, layers, init, both first invocations and their ratio (620 / 310)
    assert row.ratio == 2.0
    assert header.split() == ["stage", "size", "layers", "init", "first", "invocation", "bare", "ratio"]
    assert line.split() == ["ingest", "156.9MB", "6", "350ms", "620ms", "(600-700)", "310ms", "(290-400)", "2.00x"]
