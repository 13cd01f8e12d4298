"""A Lambda Runtime API endpoint (the 2018-06-01 interface awslambdaric speaks), so a stage's
container image can be invoked where the official emulator is not available: start the
container with ``AWS_LAMBDA_RUNTIME_API=<host:port>`` on the host network, then ``invoke``.

Endpoints: ``GET /runtime/invocation/next``, ``POST /runtime/invocation/{id}/response``,
``POST /runtime/invocation/{id}/error``, ``POST /runtime/init/error``.
"""

from __future__ import annotations

import json
import queue
import threading
import time
import uuid
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from sluice.runtime.errors import SluiceError

__all__ = ["PREFIX", "Invocation", "InvocationError", "RuntimeAPI"]

PREFIX = "/2018-06-01/runtime"


@dataclass
class Invocation:
    request_id: str
    event: dict[str, Any]
    deadline_ms: int
    done: threading.Event = field(default_factory=threading.Event)
    response: Any = None
    error: dict[str, Any] | None = None
    sent_at: float | None = None
    answered_at: float | None = None


class InvocationError(SluiceError):
    """The function answered with an error (its errorType and errorMessage)."""

    def __init__(self, error: dict[str, Any]) -> None:
        super().__init__(f"{error.get('errorType')}: {error.get('errorMessage')}")
        self.error = error


class RuntimeAPI:
    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        function_arn: str = "arn:aws:lambda:eu-west-1:123456789012:function:sluice",
    ) -> None:
        self.function_arn = function_arn
        self.pending: queue.Queue[Invocation] = queue.Queue()
        self.invocations: dict[str, Invocation] = {}
        self.init_error: dict[str, Any] | None = None
        self.first_poll_at: float | None = None
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def address(self) -> str:
        host, port = self._server.server_address[:2]
        return f"{host!s}:{port}"

    def __enter__(self) -> RuntimeAPI:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.shutdown()
        self._server.server_close()

    def invoke(self, event: dict[str, Any], timeout_s: float = 60.0) -> Any:
        """Hand ``event`` to the function and wait for its answer; raises InvocationError for an
        error response and TimeoutError when the function does not answer."""
        invocation = Invocation(str(uuid.uuid4()), event, int((time.time() + timeout_s) * 1000))
        self.invocations[invocation.request_id] = invocation
        self.pending.put(invocation)
        if not invocation.done.wait(timeout_s):
            if self.init_error:
                raise InvocationError(self.init_error)
            raise TimeoutError(f"the function did not answer within {timeout_s} s")
        if invocation.error is not None:
            raise InvocationError(invocation.error)
        return invocation.response

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        api = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _reply(self, status: int, body: bytes = b"", headers: dict[str, str] | None = None) -> None:
                self.send_response(status)
                for name, value in (headers or {}).items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def _body(self) -> Any:
                length = int(self.headers.get("Content-Length") or 0)
                raw = self.rfile.read(length) if length else b""
                try:
                    return json.loads(raw) if raw else None
                except json.JSONDecodeError:
                    return raw.decode("utf-8", "replace")

            def do_GET(self) -> None:
                if self.path != f"{PREFIX}/invocation/next":
                    return self._reply(404)
                if api.first_poll_at is None:
                    api.first_poll_at = time.monotonic()
                invocation = api.pending.get()  # long poll, as the real Runtime API does
                invocation.sent_at = time.monotonic()
                self._reply(
                    200,
                    json.dumps(invocation.event).encode(),
                    {
                        "Content-Type": "application/json",
                        "Lambda-Runtime-Aws-Request-Id": invocation.request_id,
                        "Lambda-Runtime-Deadline-Ms": str(invocation.deadline_ms),
                        "Lambda-Runtime-Invoked-Function-Arn": api.function_arn,
                        "Lambda-Runtime-Trace-Id": f"Root=1-{uuid.uuid4().hex[:8]}-{uuid.uuid4().hex[:24]};Sampled=0",
                    },
                )

            def do_POST(self) -> None:
                body = self._body()
                if self.path == f"{PREFIX}/init/error":
                    api.init_error = (
                        body if isinstance(body, dict) else {"errorType": "InitError", "errorMessage": str(body)}
                    )
                    return self._reply(202, b'{"status":"OK"}')
                parts = self.path[len(f"{PREFIX}/invocation/") :].split("/")
                invocation = api.invocations.get(parts[0]) if len(parts) == 2 else None
                if invocation is None:
                    return self._reply(404)
                if parts[1] == "response":
                    invocation.response = body
                elif parts[1] == "error":
                    invocation.error = (
                        body if isinstance(body, dict) else {"errorType": "Unknown", "errorMessage": str(body)}
                    )
                else:
                    return self._reply(404)
                invocation.answered_at = time.monotonic()
                invocation.done.set()
                self._reply(202, b'{"status":"OK"}')

        return Handler
