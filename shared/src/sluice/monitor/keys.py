"""Keys and ids the monitor derives for its sinks, bounded by construction: a key that would be
longer than its sink accepts keeps a prefix (readable, and still sorting by window) and ends in a
digest of the whole, so distinct keys stay distinct and the same key is derived again on a retry.
Each sink names its limit beside what writes to it (``outputs.py``, ``store.py``)."""

from __future__ import annotations

import hashlib

__all__ = ["DIGEST_BYTES", "bounded"]

DIGEST_BYTES = 16  # 128 bits: distinct keys never meet in practice
_MARK = "~"


def bounded(text: str, limit_bytes: int) -> str:
    """``text`` when it fits ``limit_bytes`` of UTF-8; else its longest prefix that leaves room
    for ``~`` and the hex digest of the whole text."""
    raw = text.encode("utf-8", "surrogatepass")
    if len(raw) <= limit_bytes:
        return text
    digest = hashlib.blake2b(raw, digest_size=DIGEST_BYTES).hexdigest()
    room = limit_bytes - len(digest) - len(_MARK)
    if room < 0:
        raise ValueError(f"a limit of {limit_bytes} bytes leaves no room for a digest")
    prefix = raw[:room].decode("utf-8", "ignore")  # never half a character
    return f"{prefix}{_MARK}{digest}"
