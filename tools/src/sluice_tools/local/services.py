"""Local stand-ins for the AWS services and the warehouse: moto in server mode (the AWS API
emulator, over HTTP) and an embedded PostgreSQL (pgserver)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager, suppress

__all__ = ["AWS_ENV", "free_port", "moto_server", "postgres_server", "reset_moto", "tcp_to_unix", "wait_for_http"]

AWS_ENV = {
    "AWS_ACCESS_KEY_ID": "testing",
    "AWS_SECRET_ACCESS_KEY": "testing",
    "AWS_DEFAULT_REGION": "eu-west-1",
    "AWS_REGION": "eu-west-1",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def wait_for_http(url: str, timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            urllib.request.urlopen(url, timeout=1)
            return
        except OSError as exc:
            if hasattr(exc, "code"):  # an HTTP error status still means the server is up
                return
            if time.monotonic() > deadline:
                raise TimeoutError(f"{url} did not answer within {timeout} s") from exc
            time.sleep(0.1)


@contextmanager
def moto_server(port: int | None = None) -> Iterator[str]:
    """moto in server mode in its own process, its Kinesis writes serialised (see
    `sluice_tools.local.moto_launcher`: plain moto loses records under concurrent writers); yields its
    endpoint URL."""
    port = port or free_port()
    process = subprocess.Popen(
        [sys.executable, "-m", "sluice_tools.local.moto_launcher", "-H", "127.0.0.1", "-p", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        env={**os.environ, **AWS_ENV},
    )
    url = f"http://127.0.0.1:{port}"
    try:
        wait_for_http(f"{url}/moto-api/")
        yield url
    finally:
        process.terminate()
        process.wait(timeout=10)


def reset_moto(url: str) -> None:
    """Forget every resource."""
    request = urllib.request.Request(f"{url}/moto-api/reset", method="POST")
    urllib.request.urlopen(request, timeout=10).read()


@contextmanager
def postgres_server(data_dir: str | None = None) -> Iterator[str]:
    """An embedded PostgreSQL (pgserver); yields a SQLAlchemy URL (psycopg2, unix socket)."""
    import pgserver

    with tempfile.TemporaryDirectory(prefix="sluice-pg-") as scratch:
        server = pgserver.get_server(data_dir or scratch, cleanup_mode="stop")  # type: ignore[attr-defined]
        try:
            yield server.get_uri().replace("postgresql://", "postgresql+psycopg2://", 1)
        finally:
            server.cleanup()


@contextmanager
def tcp_to_unix(socket_path: str) -> Iterator[int]:
    """A TCP port on 127.0.0.1 forwarding to a unix socket: the embedded PostgreSQL listens only
    on a socket in its data directory, which PostgreSQL keeps private (mode 0700), so a container
    running as a non-root user reaches it over TCP instead."""
    import socketserver

    class Forward(socketserver.BaseRequestHandler):
        def handle(self) -> None:
            upstream = socket.socket(socket.AF_UNIX)
            upstream.connect(socket_path)

            def pump(source: socket.socket, target: socket.socket) -> None:
                with suppress(OSError):
                    while data := source.recv(65536):
                        target.sendall(data)
                for end in (source, target):
                    with suppress(OSError):
                        end.shutdown(socket.SHUT_RDWR)

            other = threading.Thread(target=pump, args=(upstream, self.request), daemon=True)
            other.start()
            pump(self.request, upstream)
            other.join(timeout=5)
            upstream.close()

    class Server(socketserver.ThreadingTCPServer):
        daemon_threads = True
        allow_reuse_address = True

    with Server(("127.0.0.1", 0), Forward) as server:
        thread = threading.Thread(target=server.serve_forever, daemon=True)
        thread.start()
        try:
            yield int(server.server_address[1])
        finally:
            server.shutdown()
