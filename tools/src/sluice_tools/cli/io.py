"""Input and output files of the CLI: ``-`` or nothing means stdin / stdout."""

from __future__ import annotations

import os
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from typing import IO

from sluice_tools.cli.errors import UsageError

__all__ = ["open_input", "open_output"]


@contextmanager
def open_input(path: str | None, mode: str = "rb") -> Iterator[IO[bytes]]:
    if path in (None, "-"):
        yield sys.stdin.buffer
        return
    try:
        with open(path, mode) as handle:
            yield handle
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None


@contextmanager
def open_output(path: str | None, *, discard: bool = False) -> Iterator[IO[str]]:
    """The file at ``path``; stdout for none or ``-``; a sink that keeps nothing when ``discard``."""
    if discard:
        with open(os.devnull, "w", encoding="utf-8") as sink:
            yield sink
        return
    if path in (None, "-"):
        yield sys.stdout
        return
    try:
        handle = open(path, "w", encoding="utf-8")  # noqa: SIM115 - closed below, after the caller's writes
    except (FileNotFoundError, NotADirectoryError):
        raise UsageError(f"cannot write {path}: its directory does not exist") from None
    except IsADirectoryError:
        raise UsageError(f"cannot write {path}: it is a directory") from None
    except PermissionError:
        raise UsageError(f"cannot write {path}: permission denied") from None
    with handle:
        yield handle
