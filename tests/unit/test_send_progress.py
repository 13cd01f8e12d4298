"""The demo's send progress: a bar redrawn in place on a terminal, plain lines into a file or a
pipe (a CI log of `make demo` is not thousands of carriage-return frames)."""

from __future__ import annotations

import io

from sluice_tools.local.demo import SendProgress


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


def test_into_a_pipe_progress_is_a_line_per_tenth(monkeypatch):
    out = io.StringIO()
    monkeypatch.setattr("sys.stdout", out)
    progress = SendProgress(2000)
    for done in range(10, 2001, 10):  # 200 requests of 10 events
        progress(done)
    progress.end()
    assert "\r" not in out.getvalue()
    lines = out.getvalue().splitlines()
    assert len(lines) == 10
    assert lines[-1].startswith("  sending  2000/2000 events")


def test_on_a_terminal_the_bar_is_redrawn_in_place(monkeypatch):
    out = Terminal()
    monkeypatch.setattr("sys.stdout", out)
    progress = SendProgress(100)
    for done in (50, 100):
        progress(done)
    progress.end()
    assert out.getvalue().count("\r") == 2 and out.getvalue().endswith("\n")
