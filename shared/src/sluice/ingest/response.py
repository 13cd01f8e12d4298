"""HTTP responses for API Gateway proxy integrations, with CORS for browser players."""

from __future__ import annotations

import json
from typing import Any


def cors_headers(allow_origin: str) -> dict[str, str]:
    return {
        "access-control-allow-origin": allow_origin,
        "access-control-allow-methods": "POST, OPTIONS",
        "access-control-allow-headers": "content-type, content-encoding",
        "access-control-max-age": "86400",
    }


def json_response(
    status: int, body: dict[str, Any], allow_origin: str, headers: dict[str, str] | None = None
) -> dict[str, Any]:
    return {
        "statusCode": status,
        "headers": {"content-type": "application/json", **cors_headers(allow_origin), **(headers or {})},
        "body": json.dumps(body, separators=(",", ":")),
        "isBase64Encoded": False,
    }


def preflight(allow_origin: str) -> dict[str, Any]:
    return {"statusCode": 204, "headers": cors_headers(allow_origin), "body": "", "isBase64Encoded": False}
