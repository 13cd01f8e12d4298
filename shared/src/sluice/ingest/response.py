"""HTTP responses for API Gateway proxy integrations, with CORS for browser players."""

from __future__ import annotations

import json
from typing import Any

__all__ = ["allowed_origin", "cors_headers", "json_response", "preflight"]


def allowed_origin(origin: str | None, allowed: tuple[str, ...]) -> str | None:
    """What ``access-control-allow-origin`` says: ``*`` when any origin may read, the request's
    own origin when it is listed, nothing otherwise (the browser then keeps the answer away)."""
    if "*" in allowed:
        return "*"
    return origin if origin is not None and origin in allowed else None


def cors_headers(allow_origin: str | None) -> dict[str, str]:
    if allow_origin is None:
        return {}
    return {
        "access-control-allow-origin": allow_origin,
        "vary": "origin",
        "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": "content-type, content-encoding, x-sluice-write-key",
        "access-control-max-age": "86400",
    }


def json_response(
    status: int, body: dict[str, Any], allow_origin: str | None, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **cors_headers(allow_origin), **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def preflight(allow_origin: str | None) -> dict[str, Any]:
    return {"statusCode": 204, "headers": cors_headers(allow_origin), "body": "", "isBase64Encoded": False}
