"""A small HTTP proxy in front of the AWS API emulator: the one seam where the functional tests
inject faults into the AWS JSON APIs (Kinesis, Firehose), without touching the code under test.

Faults are rules keyed by the ``X-Amz-Target`` operation (``Kinesis_20131202.PutRecords``):
- ``fail_entries``: fail chosen entries of a batch call with an error code; the other entries are
  forwarded and stored for real, and the response is merged as the service would answer;
- ``throttle`` / ``unavailable``: answer the whole call with a 400 throttling or 503 error;
each for a number of calls, after which the proxy forwards untouched.
"""

from __future__ import annotations

import http.client
import json
import socket
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import urlparse

# (operation) -> (list field of the request, list field of the response, failed-count field)
BATCH_SHAPES = {
    "Kinesis_20131202.PutRecords": ("Records", "Records", "FailedRecordCount"),
    "Firehose_20150804.PutRecordBatch": ("Records", "RequestResponses", "FailedPutCount"),
}


@dataclass
class Rule:
    operation: str
    kind: str  # fail_entries, throttle, unavailable
    calls: int = 1
    select: Callable[[int, dict[str, Any]], bool] = lambda index, entry: True
    error_code: str = "ProvisionedThroughputExceededException"


@dataclass
class FaultProxy:
    target: str
    rules: list[Rule] = field(default_factory=list)
    calls: dict[str, int] = field(default_factory=dict)
    injected: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)
    url: str = ""

    def add(self, rule: Rule) -> None:
        with self.lock:
            self.rules.append(rule)

    def take(self, operation: str) -> Rule | None:
        with self.lock:
            self.calls[operation] = self.calls.get(operation, 0) + 1
            for rule in self.rules:
                if rule.operation == operation and rule.calls > 0:
                    rule.calls -= 1
                    return rule
        return None


def _forward(
    target: str, method: str, path: str, headers: dict[str, str], body: bytes
) -> tuple[int, dict[str, str], bytes]:
    parsed = urlparse(target)
    connection = http.client.HTTPConnection(parsed.hostname, parsed.port, timeout=30)
    try:
        connection.request(method, path, body=body, headers=headers)
        response = connection.getresponse()
        return response.status, dict(response.getheaders()), response.read()
    finally:
        connection.close()


def _handler(proxy: FaultProxy) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            return

        def _respond(self, status: int, body: bytes, headers: dict[str, str] | None = None) -> None:
            self.send_response(status)
            for name, value in (headers or {}).items():
                if name.lower() not in ("content-length", "transfer-encoding", "connection", "date", "server"):
                    self.send_header(name, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = self.rfile.read(length) if length else b""
            headers = {k: v for k, v in self.headers.items() if k.lower() != "content-length"}
            operation = self.headers.get("X-Amz-Target", "")
            rule = proxy.take(operation) if operation else None
            if rule is not None and rule.kind == "throttle":
                proxy.injected += 1
                error = {"__type": rule.error_code, "message": "Rate exceeded for stream (injected)"}
                return self._respond(400, json.dumps(error).encode(), {"Content-Type": "application/x-amz-json-1.1"})
            if rule is not None and rule.kind == "unavailable":
                proxy.injected += 1
                error = {"__type": "ServiceUnavailableException", "message": "Service unavailable (injected)"}
                return self._respond(503, json.dumps(error).encode(), {"Content-Type": "application/x-amz-json-1.1"})
            if rule is not None and rule.kind == "fail_entries" and operation in BATCH_SHAPES:
                return self._fail_entries(rule, operation, body, headers)
            status, response_headers, response_body = _forward(proxy.target, self.command, self.path, headers, body)
            self._respond(status, response_body, response_headers)

        def _fail_entries(self, rule: Rule, operation: str, body: bytes, headers: dict[str, str]) -> None:
            request_field, response_field, count_field = BATCH_SHAPES[operation]
            request = json.loads(body)
            entries = request[request_field]
            failing = {i for i, entry in enumerate(entries) if rule.select(i, entry)}
            kept = [entry for i, entry in enumerate(entries) if i not in failing]
            results: list[dict[str, Any]] = []
            if kept:
                # The request is re-signed by nobody: the emulator does not check signatures.
                status, response_headers, response_body = _forward(
                    proxy.target, "POST", self.path, headers, json.dumps({**request, request_field: kept}).encode()
                )
                if status != 200:
                    return self._respond(status, response_body, response_headers)
                results = json.loads(response_body)[response_field]
            merged, stored = [], iter(results)
            for i in range(len(entries)):
                if i in failing:
                    merged.append({"ErrorCode": rule.error_code, "ErrorMessage": "injected by the fault proxy"})
                else:
                    merged.append(next(stored))
            proxy.injected += len(failing)
            answer = {count_field: len(failing), response_field: merged}
            self._respond(200, json.dumps(answer).encode(), {"Content-Type": "application/x-amz-json-1.1"})

        do_POST = _handle
        do_GET = _handle
        do_PUT = _handle
        do_DELETE = _handle
        do_HEAD = _handle

    return Handler


@contextmanager
def fault_proxy(target: str) -> Iterator[FaultProxy]:
    proxy = FaultProxy(target)
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(proxy))
    proxy.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield proxy
    finally:
        server.shutdown()
        server.server_close()


def closed_port_url() -> str:
    """An endpoint where nothing listens: a service that is down."""
    from support.services import free_port

    return f"http://127.0.0.1:{free_port()}"


@contextmanager
def raw_server(converse: Callable[[socket.socket], None]) -> Iterator[int]:
    """A TCP server on 127.0.0.1 that talks with each client as ``converse`` says (whatever a
    broken or hostile peer would send), then hangs up; yields its port."""
    listener = socket.create_server(("127.0.0.1", 0))

    def serve() -> None:
        while True:
            try:
                connection, _ = listener.accept()
            except OSError:
                return  # the listener closed: the test is over
            with connection, suppress(OSError):
                converse(connection)

    threading.Thread(target=serve, daemon=True).start()
    try:
        yield listener.getsockname()[1]
    finally:
        listener.close()
