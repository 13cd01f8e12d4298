"""Per-site write keys: what a browser's ``sendBeacon`` and a player's CMCD reporting can send.

Neither can set a header, so the key travels in the URL (``POST /events?key=<write key>``; a
server-side sender may use the ``x-sluice-write-key`` header instead). The keys live in a Secrets
Manager secret, ``{"<site>": "<key>", ...}``, re-read every ``ttl_s`` seconds: adding, rotating
(two keys for a site during the change) or revoking a key takes effect within that time, with no
deploy. A write key is not a user credential (it ships inside the page); it stops anonymous
traffic and lets one site's key be revoked without touching the others. The JWT and IAM
authorizers remain for senders that can sign their requests.
"""

from __future__ import annotations

import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from sluice.runtime.config import ConfigError
from sluice.runtime.errors import RetryableError

__all__ = ["KEY_HEADER", "KEY_PARAMETER", "CachedSecret", "OriginCheck", "WriteKeys", "parse_keys"]

log = logging.getLogger("sluice.ingest.auth")
KEY_PARAMETER = "key"
KEY_HEADER = "x-sluice-write-key"


class CachedSecret:
    """A secret's value, re-read every ``ttl_s`` seconds (so a rotation needs no deploy), and
    kept when a re-read fails (a Secrets Manager hiccup is not an outage)."""

    def __init__(
        self, load: Callable[[], str], *, ttl_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._load = load
        self.ttl_s = ttl_s
        self._clock = clock
        self._value: str | None = None
        self._loaded_at = 0.0

    @classmethod
    def of(cls, secrets: Any, secret_arn: str, *, ttl_s: float = 60.0) -> CachedSecret:
        return cls(lambda: str(secrets.get_secret_value(SecretId=secret_arn)["SecretString"]), ttl_s=ttl_s)

    def value(self) -> str:
        now = self._clock()
        if self._value is None or now - self._loaded_at >= self.ttl_s:
            try:
                self._value = self._load()
            except Exception as exc:
                if self._value is None:
                    raise RetryableError(f"a secret ingest needs could not be read: {exc}") from exc
                log.warning("secret not refreshed; using the previous value", extra={"error": str(exc)[:300]})
            self._loaded_at = now
        return self._value


class WriteKeys:
    def __init__(self, secret: CachedSecret) -> None:
        self.secret = secret

    @classmethod
    def from_secret(cls, secrets: Any, secret_arn: str, *, ttl_s: float = 60.0) -> WriteKeys:
        return cls(CachedSecret.of(secrets, secret_arn, ttl_s=ttl_s))

    def site_of(self, key: str | None) -> str | None:
        """The site whose key this is, or None. Every key is compared, in constant time each, so
        the answer's timing says nothing about how close a guess came."""
        if not key:
            return None
        found = None
        for site, expected in parse_keys(self.secret.value()).items():
            if hmac.compare_digest(_utf8(key), expected.encode()):
                found = site
        return found


class OriginCheck:
    """Requests must come through the CDN (CloudFront, with its WAF rate limit) and not straight
    to the API's own URL: CloudFront adds a header whose value only it and this secret know."""

    HEADER = "x-sluice-origin-verify"

    def __init__(self, secret: CachedSecret) -> None:
        self.secret = secret

    def passes(self, value: str | None) -> bool:
        return value is not None and hmac.compare_digest(_utf8(value), self.secret.value().strip().encode())


def _utf8(value: str) -> bytes:
    # What a client sent may hold a lone surrogate (no UTF-8): a wrong value, never a 5xx.
    return value.encode("utf-8", "surrogatepass")


def parse_keys(text: str) -> dict[str, str]:
    try:
        value = json.loads(text or "{}")
    except json.JSONDecodeError:
        raise ConfigError('the write-keys secret is not JSON: expected {"<site>": "<key>", ...}') from None
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and v for k, v in value.items()
    ):
        raise ConfigError('the write-keys secret must be a JSON object {"<site>": "<key>", ...} of non-empty strings')
    return value
