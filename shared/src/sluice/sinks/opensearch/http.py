"""The stages' client for the bulk API, on the standard library's http.client.

The indexer and the monitor send one kind of request, ``POST /_bulk``; opensearch-py (with
requests and urllib3) would cost them ~90 ms of cold start for it. This client keeps one
connection alive between invocations, gives every request its own timeout (what the invocation
has left), gzips the body, and signs with basic auth or SigV4 (managed domains and serverless).
The CLI's administration (templates, policies, roles) stays on opensearch-py
(``sluice.sinks.opensearch.client.build_client``).
"""

from __future__ import annotations

import base64
import gzip
import http.client
from typing import Any
from urllib.parse import urlparse

import orjson

from sluice.runtime.config import ConfigError
from sluice.sinks.opensearch.client import ClusterConfig, basic_credentials

# Level 1 already shrinks bulk NDJSON about tenfold; higher levels cost Lambda CPU for little.
GZIP_LEVEL = 1
# A kept connection the server closed while idle fails this way on its next request, before the
# request was read: it is sent again once on a new connection (bulk by _id is idempotent).
_STALE_CONNECTION = (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError)


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
        self.host = parsed.hostname or ""
        self.port = parsed.port or (443 if parsed.scheme == "https" else 80)
        self.path = parsed.path.rstrip("/") + "/_bulk"
        self.url = f"{parsed.scheme}://{self.host}:{self.port}{self.path}"
        self.ssl_context = _ssl_context(config) if parsed.scheme == "https" else None
        self._authorization = _authorizer(config)
        self._connection: http.client.HTTPConnection | None = None

    def bulk(self, body: bytes, *, timeout_s: float) -> dict[str, Any]:
        """The parsed response of one bulk request; raises :class:`BulkRequestError` or
        :class:`ClusterUnreachableError`."""
        payload = gzip.compress(body, compresslevel=GZIP_LEVEL)
        headers = {"Content-Type": "application/x-ndjson", "Content-Encoding": "gzip"}
        headers.update(self._authorization("POST", self.url, payload, headers))
        status, data = self._send(payload, headers, timeout_s)
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

    def _send(self, payload: bytes, headers: dict[str, str], timeout_s: float) -> tuple[int, bytes]:
        for fresh in (self._connection is None, True):
            connection = self._open(timeout_s)
            try:
                connection.request("POST", self.path, payload, headers)
                response = connection.getresponse()
                data = response.read()
            except _STALE_CONNECTION as exc:
                self.close()
                if fresh:
                    raise ClusterUnreachableError(f"{type(exc).__name__}: {exc}") from exc
                continue
            except (OSError, http.client.HTTPException) as exc:  # timeouts and refusals included
                self.close()
                raise ClusterUnreachableError(f"{type(exc).__name__}: {exc}") from exc
            if response.will_close:
                self.close()
            return response.status, data
        raise AssertionError("unreachable")  # the second pass always returns or raises

    def _open(self, timeout_s: float) -> http.client.HTTPConnection:
        """The kept connection, its timeout (connect, and each read) set to this request's."""
        if self._connection is None:
            if self.ssl_context is not None:
                self._connection = http.client.HTTPSConnection(
                    self.host, self.port, timeout=timeout_s, context=self.ssl_context
                )
            else:
                self._connection = http.client.HTTPConnection(self.host, self.port, timeout=timeout_s)
        self._connection.timeout = timeout_s
        if self._connection.sock is not None:
            self._connection.sock.settimeout(timeout_s)
        return self._connection


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
        from botocore.auth import SigV4Auth
        from botocore.awsrequest import AWSRequest

        from sluice.aws.clients import session

        self._credentials = session().get_credentials()
        if self._credentials is None:
            raise ConfigError("SigV4 needs AWS credentials and none were found")
        self._auth, self._request = SigV4Auth, AWSRequest
        self.region, self.service = region, service

    def __call__(self, method: str, url: str, payload: bytes, headers: dict[str, str]) -> dict[str, str]:
        import hashlib

        signed = {**headers, "X-Amz-Content-SHA256": hashlib.sha256(payload).hexdigest()}
        request = self._request(method=method, url=url, data=payload, headers=signed)
        self._auth(self._credentials.get_frozen_credentials(), self.service, self.region).add_auth(request)
        return {k: v for k, v in request.headers.items() if k not in headers}


def _error_type(answer: Any) -> str:
    """The error OpenSearch named (``{"error": {"type": ..., "reason": ...}}``), if any."""
    error = answer.get("error") if isinstance(answer, dict) else None
    if isinstance(error, dict):
        return f"{error.get('type', '')}: {error.get('reason', '')}".strip(": ")
    return str(error or "")
