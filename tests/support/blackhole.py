"""A TCP black hole: accepts every connection, reads what is sent, never answers. The dependency
that is up as far as the network can tell and hangs anyway."""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from contextlib import contextmanager


@contextmanager
def black_hole() -> Iterator[tuple[str, int]]:
    """(host, port) of a listener that never answers; connections stay open until the end."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(64)
    listener.settimeout(0.2)
    held: list[socket.socket] = []
    stop = threading.Event()

    def swallow() -> None:
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            connection.setblocking(False)
            held.append(connection)
            for sock in list(held):  # drain so the sender's buffers never fill
                try:
                    while sock.recv(65536):
                        pass
                except (BlockingIOError, OSError):
                    pass

    thread = threading.Thread(target=swallow, daemon=True)
    thread.start()
    try:
        yield listener.getsockname()
    finally:
        stop.set()
        thread.join(timeout=2)
        for sock in held:
            sock.close()
        listener.close()
