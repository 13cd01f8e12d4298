from __future__ import annotations

from sluice.runtime.errors import SluiceError

__all__ = ["UsageError"]


class UsageError(SluiceError):
    """A user mistake: printed as one line, no traceback, exit status 2."""
