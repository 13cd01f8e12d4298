"""moto in server mode with its Kinesis shards made safe for concurrent writers.

moto's server always runs threaded (werkzeug ``run_simple(threaded=True)``), and its
``Shard.put_record`` takes the shard's highest sequence number plus one without a lock ("this
function is not safe for concurrency", moto 5.x ``kinesis/models.py``): two PutRecord(s) calls at
once get the same number and the second record overwrites the first, though both were answered
with success (16 threads x 12,800 records gave 12,791 distinct sequence numbers). Real Kinesis has
no such race, so the local stack must not either: this launcher serialises every write to and read
of a shard's records behind one lock, then runs moto's own server (``python -m
sluice_tools.local.moto_launcher -H 127.0.0.1 -p PORT``, the arguments of ``python -m moto.server``).

Reads take the lock too: ``Shard.get_records`` iterates the shard's ``OrderedDict``, which a
concurrent write would change under it (``RuntimeError: OrderedDict mutated during iteration``).
The highest sequence number is read from the dict's end instead of a copy of all its keys (moto
copies every key per record, which makes a shard of 200,000 records quadratic to fill).
"""

from __future__ import annotations

import functools
import threading
from collections.abc import Callable
from typing import Any

from moto.kinesis import models

__all__ = ["SHARD_LOCK", "install", "main"]

# One lock for every shard: the writes it guards are a few dictionary operations each, and
# moto's requests already queue behind one interpreter lock.
SHARD_LOCK = threading.RLock()


def _serialised(method: Callable[..., Any]) -> Callable[..., Any]:
    @functools.wraps(method)
    def locked(*args: Any, **kwargs: Any) -> Any:
        with SHARD_LOCK:
            return method(*args, **kwargs)

    return locked


def _max_sequence_number(self: models.Shard) -> int:
    # Sequence numbers are inserted in increasing order: the last key is the highest.
    return next(reversed(self.records), 0)


def install() -> None:
    """Patch moto's Kinesis shard in this process (idempotent)."""
    if getattr(models.Shard, "_sluice_serialised", False):
        return
    models.Shard.get_max_sequence_number = _max_sequence_number  # type: ignore[method-assign]
    models.Shard.put_record = _serialised(models.Shard.put_record)  # type: ignore[method-assign]
    models.Shard.get_records = _serialised(models.Shard.get_records)  # type: ignore[method-assign]
    models.Shard._sluice_serialised = True  # type: ignore[attr-defined]


def main(argv: list[str] | None = None) -> None:
    from moto.server import main as moto_main

    install()
    moto_main(argv)


if __name__ == "__main__":
    main()
