"""The stages' client for the bulk API: one HTTP/1.1 request kind over a plain socket.

The indexer and the monitor send one request, ``POST /_bulk``, and read one JSON answer.
opensearch-py (with requests and urllib3) costs ~90 ms of cold start for it, and even the
standard library's http.client ~15 ms (it parses headers with the email package); this client
is what that one exchange needs: one connection kept alive between invocations (a connection the
cluster closed while idle is replaced once), a timeout per request (what the invocation has left),
gzip request bodies, answers taken as is (Content-Length, chunked, or ended by closing), basic
auth or SigV4 (managed domains and serverless). Everything it reads is bounded. The CLI's
administration (templates, policies, roles) stays on opensearch-py (``build_client``).
"""

from __future__ import annotations

import base64
import gzip
import socket
from typing import Any
from urllib.parse import urlparse

import orjson

from sluice.runtime.config import ConfigError
from sluice.sinks.opensearch.client import ClusterConfig, basic_credentials

# Level 1 keeps 12% of the bulk NDJSON's bytes (level 9: 8%) at a fraction of the CPU (make bench).
GZIP_LEVEL = 1
# Bounds on what a cluster (or a proxy in front of it) can make the stage read.
MAX_LINE_BYTES = 16 * 1024
MAX_HEADERS = 100
MAX_RESPONSE_BYTES = 64 * 1024 * 1024


class MalformedResponseError(Exception):
    """The answer is not HTTP/1.x as the client reads it (or is larger than it reads)."""


class BulkRequestError(Exception):
    """The cluster answered the request as a whole with an error status (413, 429, 401, ...)."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"HTTP {status} {error}".strip())
        self.status = status
        self.error = error


class ClusterUnreachableError(Exception):
    """No answer: refused, reset or timed out. Nothing is known to be stored."""


class BulkClient:
    def __init__(self, config: ClusterConfig) -> None:
        parsed = urlparse(config.url)
        default_port = 443 if parsed.scheme == "https" else 80
        self.host = parsed.hostname or ""
        self.port = parsed.port or default_port
        self.path = parsed.path.rstrip("/") + "/_bulk"
        self.url = f"{parsed.scheme}://{self.host}:{self.port}{self.path}"
        name = f"[{self.host}]" if ":" in self.host else self.host
        self.host_header = name if self.port == default_port else f"{name}:{self.port}"
        self.ssl_context = _ssl_context(config) if parsed.scheme == "https" else None
        self._authorization = _authorizer(config)
        self._connection: _Connection | None = None

    def bulk(self, body: bytes, *, timeout_s: float) -> dict[str, Any]:
        """The parsed response of one bulk request; raises :class:`BulkRequestError` or
        :class:`ClusterUnreachableError`."""
        payload = gzip.compress(body, compresslevel=GZIP_LEVEL)
        headers = {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip", "Accept-Encoding": "identity"}
        headers.update(self._authorization("POST", self.url, payload, headers))
        head = "".join(
            [
                f"POST {self.path} HTTP/1.1\r\nHost: {self.host_header}\r\nContent-Length: {len(payload)}\r\n",
                *(f"{name}: {value}\r\n" for name, value in headers.items()),
                "\r\n",
            ]
        ).encode("latin-1")
        status, data = self._exchange(head + payload, timeout_s)
        try:
            answer = orjson.loads(data) if data else {}
        except ValueError:
            answer = {}
        if not 200 <= status < 300:
            raise BulkRequestError(status, _error_type(answer))
        if not isinstance(answer, dict):
            raise BulkRequestError(status, "the bulk response is not a JSON object")
        return answer

    def close(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def _exchange(self, request: bytes, timeout_s: float) -> tuple[int, bytes]:
        kept = self._connection is not None
        try:
            if self._connection is None:
                self._connection = _Connection(self.host, self.port, self.ssl_context, timeout_s)
            try:
                status, data, keep_alive = self._connection.exchange(request, timeout_s)
            except _StaleConnectionError:
                if not kept:
                    raise
                # Closed by the cluster while idle, before it read the request: once more on a
                # new connection (indexing by _id makes a repeat harmless anyway).
                self.close()
                self._connection = _Connection(self.host, self.port, self.ssl_context, timeout_s)
                status, data, keep_alive = self._connection.exchange(request, timeout_s)
        except (OSError, MalformedResponseError) as exc:  # refused, reset, timed out, garbled
            self.close()
            raise ClusterUnreachableError(f"{type(exc).__name__}: {exc}") from exc
        if not keep_alive:
            self.close()
        return status, data


class _StaleConnectionError(ConnectionError):
    """The kept connection was closed by the other side before an answer began."""


class _Connection:
    """One HTTP/1.1 connection: a request written whole, its answer read within bounds."""

    def __init__(self, host: str, port: int, ssl_context: Any, timeout_s: float) -> None:
        sock = socket.create_connection((host, port), timeout=timeout_s)
        try:
            sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
            self.sock = ssl_context.wrap_socket(sock, server_hostname=host) if ssl_context is not None else sock
        except BaseException:
            sock.close()
            raise
        self.reader = self.sock.makefile("rb")

    def close(self) -> None:
        self.reader.close()
        self.sock.close()

    def exchange(self, request: bytes, timeout_s: float) -> tuple[int, bytes, bool]:
        """(status, body, whether the connection may be kept). Each socket operation waits at
        most ``timeout_s``."""
        self.sock.settimeout(timeout_s)
        try:
            self.sock.sendall(request)
            first = self.reader.readline(MAX_LINE_BYTES + 1)
        except (BrokenPipeError, ConnectionResetError) as exc:
            raise _StaleConnectionError(str(exc)) from exc
        if not first:
            raise _StaleConnectionError("closed before an answer")
        while True:
            version, status, headers = self._head(first)
            if status >= 200:
                break
            first = self._line()  # 1xx: an interim answer, the real one follows
        body = self._body(headers)
        if headers.get("content-encoding", "identity").lower() != "identity":
            # Asked for as is: an encoded answer is not read (nor a bomb inflated).
            raise MalformedResponseError(f"an answer encoded {headers['content-encoding']!r}, not asked for")
        keep = version == "HTTP/1.1" and headers.get("connection", "").lower() != "close"
        return status, body, keep and ("content-length" in headers or "transfer-encoding" in headers)

    def _line(self) -> bytes:
        line = self.reader.readline(MAX_LINE_BYTES + 1)
        if not line or len(line) > MAX_LINE_BYTES or not line.endswith(b"\n"):
            raise MalformedResponseError("a line of the answer is cut off or too long")
        return line

    def _head(self, first: bytes) -> tuple[str, int, dict[str, str]]:
        if len(first) > MAX_LINE_BYTES or not first.endswith(b"\n"):
            raise MalformedResponseError("the status line is cut off or too long")
        parts = first.decode("latin-1").split(None, 2)
        if len(parts) < 2 or not parts[0].startswith("HTTP/1.") or not parts[1].isdigit():
            raise MalformedResponseError(f"not an HTTP/1.x status line: {first[:80]!r}")
        headers: dict[str, str] = {}
        for _ in range(MAX_HEADERS + 1):
            line = self._line()
            if line in (b"\r\n", b"\n"):
                return parts[0], int(parts[1]), headers
            name, colon, value = line.decode("latin-1").partition(":")
            if not colon:
                raise MalformedResponseError(f"not a header line: {line[:80]!r}")
            headers[name.strip().lower()] = value.strip()
        raise MalformedResponseError(f"more than {MAX_HEADERS} header lines")

    def _body(self, headers: dict[str, str]) -> bytes:
        if "chunked" in headers.get("transfer-encoding", "").lower():
            chunks: list[bytes] = []
            size = 0
            while True:
                size_text = self._line().split(b";", 1)[0].strip()
                try:
                    chunk = int(size_text, 16)
                except ValueError:
                    raise MalformedResponseError(f"not a chunk size: {size_text[:20]!r}") from None
                size += chunk
                if chunk == 0:
                    while self._line() not in (b"\r\n", b"\n"):  # trailers, if any
                        pass
                    return b"".join(chunks)
                chunks.append(self._exactly(chunk, size))
                self._line()  # the CRLF after the chunk
        if "content-length" in headers:
            try:
                length = int(headers["content-length"])
            except ValueError:
                raise MalformedResponseError("Content-Length is not a number") from None
            return self._exactly(length, length)
        body = self.reader.read(MAX_RESPONSE_BYTES + 1)  # no length: the answer ends with the connection
        if len(body) > MAX_RESPONSE_BYTES:
            raise MalformedResponseError(f"an answer over {MAX_RESPONSE_BYTES} bytes")
        return body

    def _exactly(self, length: int, total: int) -> bytes:
        if length < 0 or total > MAX_RESPONSE_BYTES:
            raise MalformedResponseError(f"an answer over {MAX_RESPONSE_BYTES} bytes")
        data = self.reader.read(length)
        if len(data) != length:
            raise MalformedResponseError(f"the answer ended after {len(data)} of {length} bytes")
        return data


def _ssl_context(config: ClusterConfig) -> Any:
    import ssl

    context = ssl.create_default_context(cafile=config.ca_bundle)
    if not config.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _authorizer(config: ClusterConfig) -> Any:
    """A function giving the authentication headers of one request."""
    if config.auth == "basic":
        user, password = basic_credentials(config)
        header = {"Authorization": "Basic " + base64.b64encode(f"{user}:{password}".encode()).decode()}
        return lambda method, url, payload, headers: header
    if config.auth == "sigv4":
        if not config.region:
            raise ConfigError("SigV4 needs AWS_REGION")
        return _SigV4(config.region, config.service)
    return lambda method, url, payload, headers: {}


class _SigV4:
    """botocore's SigV4 over the exact bytes sent, with the credentials of the moment (a Lambda
    role's are rotated). The payload hash is a signed header: OpenSearch Serverless requires it."""

    def __init__(self, region: str, service: str) -> None:
        from sluice.aws.clients import session

        self._credentials = session().get_credentials()
        if self._credentials is None:
            raise ConfigError("SigV4 needs AWS credentials and none were found")
        self.region, self.service = region, service

    def __call__(self, method: str, url: str, payload: bytes, headers: dict[str, str]) -> dict[str, str]:
        import hashlib

        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        signed = {**headers, "X-Amz-Content-SHA256": hashlib.sha256(payload).hexdigest()}
        request = AWSRequest(method=method, url=url, data=payload, headers=signed)
        SigV4Auth(self._credentials.get_frozen_credentials(), self.service, self.region).add_auth(request)
        return {k: v for k, v in request.headers.items() if k not in headers}


def _error_type(answer: Any) -> str:
    """The error OpenSearch named (``{"error": {"type": ..., "reason": ...}}``), if any."""
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict):
        return f"{error.get('type', '')}: {error.get('reason', '')}".strip(": ")
    return str(error or "")
