"""The stages' client for the bulk API: ``POST /_bulk`` over urllib3, within the invocation's time.

The indexer and the monitor send one request kind and read one JSON answer. urllib3 frames the
HTTP; it is botocore's HTTP library, so the deployed SigV4 path (whose credentials are botocore's)
has loaded it before the first request and it adds nothing to the cold start there. What this
module adds is what urllib3 leaves to its caller:

- a deadline over the whole answer: urllib3's read timeout is per read, so a cluster answering one
  byte a second would hold the stage past the invocation's end; here every read of the answer
  waits at most until the request's deadline;
- a cap on the answer's size, and answers taken as sent (``Accept-Encoding: identity``; an encoded
  one is refused, never inflated);
- gzip request bodies; basic auth, or SigV4 over the exact bytes sent;
- one kept connection (a pool of one), which urllib3 replaces when the cluster closed it while
  idle, and drops when it holds bytes nobody asked for, so an unsolicited answer is never read as
  the next request's (the bulk indexer also checks that an answer names the documents it sent).

The CLI's administration (templates, policies, roles) stays on opensearch-py (``build_client``).
"""

from __future__ import annotations

import base64
import gzip
import http.client
import io
import math
import socket
import ssl
import time
from collections.abc import Callable
from typing import Any
from urllib.parse import urlparse

import orjson
import urllib3
from urllib3.exceptions import HTTPError, ProtocolError

from sluice.runtime.config import ConfigError
from sluice.runtime.errors import SluiceError
from sluice.sinks.opensearch.client import ClusterConfig, basic_credentials

__all__ = [
    "GZIP_LEVEL",
    "MAX_RESPONSE_BYTES",
    "READ_BYTES",
    "Authorizer",
    "BulkClient",
    "BulkRequestError",
    "ClusterUnreachableError",
    "MalformedResponseError",
]

# Level 1 keeps 12% of the bulk NDJSON's bytes (level 9: 8%) at a fraction of the CPU (make bench).
GZIP_LEVEL = 1
# The most of an answer the stage reads: a bulk answer is ~100 bytes a document, so 1,000
# documents answer in ~100 KiB; anything near this is not a bulk answer.
MAX_RESPONSE_BYTES = 64 * 1024 * 1024
READ_BYTES = 64 * 1024

Authorizer = Callable[[str, str, bytes, dict[str, str]], dict[str, str]]


class MalformedResponseError(SluiceError):
    """The answer is not one the client reads (encoded, or larger than it reads)."""


class BulkRequestError(SluiceError):
    """The cluster answered the request as a whole with an error status (413, 429, 401, ...)."""

    def __init__(self, status: int, error: str) -> None:
        super().__init__(f"HTTP {status} {error}".strip())
        self.status = status
        self.error = error


class ClusterUnreachableError(SluiceError):
    """No whole answer: refused, reset, timed out or garbled. Nothing is known to be stored."""


class BulkClient:
    def __init__(self, config: ClusterConfig) -> None:
        parsed = urlparse(config.url)
        default_port = 443 if parsed.scheme == "https" else 80
        self.host = parsed.hostname or ""
        self.port = parsed.port or default_port
        self.path = parsed.path.rstrip("/") + "/_bulk"
        self.url = f"{parsed.scheme}://{self.host}:{self.port}{self.path}"
        name = f"[{self.host}]" if ":" in self.host else self.host
        # Sent as given (not left to urllib3), so that it is the Host that SigV4 signs.
        self.host_header = name if self.port == default_port else f"{name}:{self.port}"
        self.ssl_context = _ssl_context(config) if parsed.scheme == "https" else None
        self._authorization = _authorizer(config)
        self._pool = self._new_pool()

    def bulk(self, body: bytes, *, timeout_s: float) -> dict[str, Any]:
        """The parsed response of one bulk request, all of it within ``timeout_s``; raises
        :class:`BulkRequestError` or :class:`ClusterUnreachableError`."""
        payload = gzip.compress(body, compresslevel=GZIP_LEVEL)
        headers = {
            "Host": self.host_header,
            "Content-Type": "application/x-ndjson",
            "Content-Encoding": "gzip",
            "Accept-Encoding": "identity",
        }
        headers.update(self._authorization("POST", self.url, payload, headers))
        status, data = self._exchange(payload, headers, timeout_s)
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
        """Drops the kept connection: the next request opens a new one."""
        self._pool.close()
        self._pool = self._new_pool()

    def _new_pool(self) -> urllib3.HTTPConnectionPool:
        # One connection, no retries and no redirects of urllib3's own: the bulk indexer retries
        # per document, inside the invocation's remaining time.
        if self.ssl_context is not None:
            return _TLSPool(self.host, self.port, maxsize=1, retries=False, ssl_context=self.ssl_context)
        return _Pool(self.host, self.port, maxsize=1, retries=False)

    def _exchange(self, payload: bytes, headers: dict[str, str], timeout_s: float) -> tuple[int, bytes]:
        ends_at = time.monotonic() + timeout_s
        try:
            try:
                response = self._send(payload, headers, timeout_s)
            except ProtocolError as exc:
                if not (isinstance(exc.args[-1], ConnectionError) and time.monotonic() < ends_at):
                    raise
                # Hung up before answering: a kept connection the cluster closed while idle, too
                # late for urllib3 to see it before sending. Once more on a new connection
                # (indexing by _id makes a repeat harmless anyway).
                response = self._send(payload, headers, ends_at - time.monotonic())
            return response.status, _read_whole(response)
        except (HTTPError, OSError, MalformedResponseError) as exc:  # refused, reset, timed out, garbled
            self.close()
            raise ClusterUnreachableError(f"{type(exc).__name__}: {exc}") from exc

    def _send(self, payload: bytes, headers: dict[str, str], timeout_s: float) -> urllib3.BaseHTTPResponse:
        """The request sent and its answer begun (status and headers read)."""
        return self._pool.urlopen(
            "POST",
            self.path,
            body=payload,
            headers=headers,
            # In total: connecting, sending and (through _Answer) reading all of the answer.
            timeout=urllib3.Timeout(total=max(timeout_s, 0.001)),
            redirect=False,
            preload_content=False,
            decode_content=False,
        )


def _read_whole(response: urllib3.BaseHTTPResponse) -> bytes:
    """The body as sent, within the size cap; the connection goes back to the pool only when the
    answer was read to its end."""
    try:
        encoding = response.headers.get("Content-Encoding", "identity")
        if encoding.lower() != "identity":
            # Asked for as is: an encoded answer is not read (nor a bomb inflated).
            raise MalformedResponseError(f"an answer encoded {encoding!r}, not asked for")
        if (response.length_remaining or 0) > MAX_RESPONSE_BYTES:
            raise MalformedResponseError(f"an answer of {response.length_remaining} bytes, over {MAX_RESPONSE_BYTES}")
        data = bytearray()
        for chunk in response.stream(READ_BYTES, decode_content=False):
            data += chunk
            if len(data) > MAX_RESPONSE_BYTES:
                raise MalformedResponseError(f"an answer over {MAX_RESPONSE_BYTES} bytes")
        return bytes(data)
    except BaseException:
        response.close()  # and its connection: the rest of that answer is never read
        raise
    finally:
        response.release_conn()


class _DeadlineReader(io.RawIOBase):
    """The socket's reads for one answer, each waiting at most until ``ends_at``."""

    def __init__(self, sock: socket.socket, ends_at: float) -> None:
        self._sock = sock
        # Its own file of the socket, as http.client's reader is: it keeps the socket open while
        # the answer is read, even after the connection let go of it (an answer ended by closing).
        self._raw = sock.makefile("rb", buffering=0)
        self._ends_at = ends_at

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int | None:
        left = self._ends_at - time.monotonic()
        if left <= 0:
            raise TimeoutError("the whole answer did not arrive in the time the request had")
        self._sock.settimeout(left)
        return self._raw.readinto(buffer)

    def close(self) -> None:
        self._raw.close()
        super().close()


class _Answer(http.client.HTTPResponse):
    """http.client's response (status line, headers, framing), read by a deadline over all of it.

    urllib3 sets the socket's timeout to what is left of the request's ``Timeout(total=...)``
    just before the answer is read: that time left becomes the bound of the whole answer, where
    urllib3 would apply it to each read."""

    def __init__(
        self, sock: socket.socket, debuglevel: int = 0, method: str | None = None, url: str | None = None
    ) -> None:
        super().__init__(sock, debuglevel, method, url)
        left = sock.gettimeout()
        self.fp.close()  # http.client's own reader, not read yet
        self.fp = io.BufferedReader(_DeadlineReader(sock, time.monotonic() + (math.inf if left is None else left)))


class _Connection(urllib3.connection.HTTPConnection):
    response_class = _Answer


class _TLSConnection(urllib3.connection.HTTPSConnection):
    response_class = _Answer


class _Pool(urllib3.HTTPConnectionPool):
    ConnectionCls = _Connection


class _TLSPool(urllib3.HTTPSConnectionPool):
    ConnectionCls = _TLSConnection


def _ssl_context(config: ClusterConfig) -> ssl.SSLContext:
    # The CA file named, or Python's OpenSSL default (SSL_CERT_FILE first, then the image's).
    context = ssl.create_default_context(cafile=config.ca_bundle)
    if not config.verify_tls:
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    return context


def _authorizer(config: ClusterConfig) -> Authorizer:
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
