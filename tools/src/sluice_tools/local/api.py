"""A local HTTP endpoint shaped like API Gateway's HTTP API: each request becomes a payload 2.0
event for the ingest stage, and the stage's response becomes the HTTP response."""

from __future__ import annotations

import base64
import json
import threading
import uuid
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qsl

from sluice_tools.local.esm import InvocationFailed, Invoke

__all__ = ["ROUTES", "IngestEndpoint", "api_gateway_request_id", "http_api_event"]

# The ingest API's routes (terraform/modules/ingest_api): player events, and CMCD reports.
ROUTES = ("/events", "/cmcd")


def api_gateway_request_id() -> str:
    """An id shaped like an HTTP API's (16 characters, e.g. ``JHk-5hF8oAMEbVw=``): ingest stamps
    it on every event, so its length is part of every record's size."""
    return base64.urlsafe_b64encode(uuid.uuid4().bytes[:11]).decode("ascii")[:15] + "="


def http_api_event(method: str, target: str, headers: dict[str, str], body: bytes, source_ip: str) -> dict[str, Any]:
    """As API Gateway builds it: the path and the raw query string apart, the query parameters
    decoded (a repeated one joined with commas), header names lower-cased."""
    lowered = {k.lower(): v for k, v in headers.items()}
    now = datetime.now(UTC)
    path, _, raw_query = target.partition("?")
    parameters: dict[str, list[str]] = {}
    for name, value in parse_qsl(raw_query, keep_blank_values=True):
        parameters.setdefault(name, []).append(value)
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": f"{method} {path}",
        "rawPath": path,
        "rawQueryString": raw_query,
        "headers": lowered,
        "requestContext": {
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": lowered.get("user-agent", ""),
            },
            "requestId": api_gateway_request_id(),
            "routeKey": f"{method} {path}",
            "stage": "$default",
            "time": now.strftime("%d/%b/%Y:%H:%M:%S +0000"),
            "timeEpoch": int(now.timestamp() * 1000),
        },
        "body": base64.b64encode(body).decode("ascii"),
        "isBase64Encoded": True,
    }
    if parameters:
        event["queryStringParameters"] = {name: ",".join(values) for name, values in parameters.items()}
    return event


class IngestEndpoint:
    def __init__(self, invoke: Invoke, host: str = "127.0.0.1", port: int = 0) -> None:
        self.invoke = invoke
        self._server = ThreadingHTTPServer((host, port), self._handler())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host!s}:{port}"

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        endpoint = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, format: str, *args: Any) -> None:
                return

            def _serve(self) -> None:
                if self.path.split("?")[0] not in ROUTES:
                    return self._reply(404, {"content-type": "application/json"}, b'{"message":"Not Found"}')
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length) if length else b""
                # Behind a proxy or CDN the player's address is the first X-Forwarded-For entry.
                forwarded = (self.headers.get("X-Forwarded-For") or "").split(",")[0].strip()
                event = http_api_event(
                    self.command, self.path, dict(self.headers.items()), body, forwarded or self.client_address[0]
                )
                try:
                    response = endpoint.invoke(event)
                except InvocationFailed as exc:
                    # What API Gateway answers when the integration fails.
                    return self._reply(
                        502,
                        {"content-type": "application/json"},
                        json.dumps({"message": "Internal Server Error", "detail": str(exc)}).encode(),
                    )
                payload = response.get("body", "")
                data = base64.b64decode(payload) if response.get("isBase64Encoded") else str(payload).encode()
                self._reply(int(response.get("statusCode", 200)), response.get("headers") or {}, data)

            def _reply(self, status: int, headers: dict[str, str], data: bytes) -> None:
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            do_POST = _serve
            do_OPTIONS = _serve
            do_GET = _serve

        return Handler
