from __future__ import annotations


class UsageError(Exception):
    """A user mistake: printed as one line, no traceback, exit status 2."""
