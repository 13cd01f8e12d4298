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

log = logging.getLogger("sluice.ingest.auth")
KEY_PARAMETER = "key"
KEY_HEADER = "x-sluice-write-key"


class WriteKeys:
    def __init__(
        self, load: Callable[[], dict[str, str]], *, ttl_s: float = 60.0, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._load = load
        self.ttl_s = ttl_s
        self._clock = clock
        self._keys: dict[str, str] | None = None
        self._loaded_at = 0.0

    @classmethod
    def from_secret(cls, secrets: Any, secret_arn: str, *, ttl_s: float = 60.0) -> WriteKeys:
        def load() -> dict[str, str]:
            text = secrets.get_secret_value(SecretId=secret_arn)["SecretString"]
            return parse_keys(text)

        return cls(load, ttl_s=ttl_s)

    def site_of(self, key: str | None) -> str | None:
        """The site whose key this is, or None. Every key is compared, in constant time each, so
        the answer's timing says nothing about how close a guess came."""
        if not key:
            return None
        found = None
        for site, expected in self._current().items():
            if hmac.compare_digest(key.encode(), expected.encode()):
                found = site
        return found

    def _current(self) -> dict[str, str]:
        now = self._clock()
        if self._keys is None or now - self._loaded_at >= self.ttl_s:
            try:
                self._keys = self._load()
                self._loaded_at = now
            except Exception as exc:
                if self._keys is None:
                    raise RetryableError(f"write keys could not be read: {exc}") from exc
                # Keep answering with the keys we had: a Secrets Manager hiccup is not an outage.
                log.warning("write keys not refreshed; using the previous ones", extra={"error": str(exc)[:300]})
                self._loaded_at = now
        return self._keys


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
