"""API Gateway proxy events as API Gateway sends them to Lambda."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any


def http_api_event(
    body: bytes | str,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    base64_encoded: bool = False,
    source_ip: str = "203.0.113.77",
    path: str = "/events",
    query: str = "",
) -> dict[str, Any]:
    """HTTP API, payload format 2.0 (``query`` as API Gateway passes it: the raw query string,
    and ``queryStringParameters`` decoded)."""
    from urllib.parse import parse_qsl

    raw = body.encode() if isinstance(body, str) else body
    all_headers = {
        "content-type": "application/json",
        "user-agent": "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        **(headers or {}),
    }
    return {
        "version": "2.0",
        "routeKey": f"POST {path}",
        "rawPath": path,
        "rawQueryString": query,
        **({"queryStringParameters": dict(parse_qsl(query))} if query else {}),
        "headers": all_headers,
        "requestContext": {
            "accountId": "123456789012",
            "apiId": "abc123",
            "domainName": "abc123.execute-api.eu-west-1.amazonaws.com",
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": source_ip,
                "userAgent": all_headers["user-agent"],
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": f"POST {path}",
            "stage": "$default",
            "time": "26/Nov/2026:08:00:00 +0000",
            "timeEpoch": 1795680000000,
        },
        "body": base64.b64encode(raw).decode() if base64_encoded else raw.decode(),
        "isBase64Encoded": base64_encoded,
    }


def rest_api_event(
    body: bytes | str,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    base64_encoded: bool = False,
    source_ip: str = "2001:db8:85a3:1:2:3:4:5",
) -> dict[str, Any]:
    """REST API, payload format 1.0 (header names keep the client's case)."""
    raw = body.encode() if isinstance(body, str) else body
    all_headers = {
        "Content-Type": "application/json",
        "User-Agent": "Mozilla/5.0 (iPhone; CPU iPhone OS 18_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Mobile/15E148 Safari/604.1",
        **(headers or {}),
    }
    return {
        "resource": "/events",
        "path": "/events",
        "httpMethod": method,
        "headers": all_headers,
        "multiValueHeaders": {k: [v] for k, v in all_headers.items()},
        "queryStringParameters": None,
        "requestContext": {
            "resourcePath": "/events",
            "httpMethod": method,
            "requestId": str(uuid.uuid4()),
            "identity": {"sourceIp": source_ip, "userAgent": all_headers["User-Agent"]},
            "stage": "prod",
        },
        "body": base64.b64encode(raw).decode() if base64_encoded else raw.decode(),
        "isBase64Encoded": base64_encoded,
    }


def body_of(response: dict[str, Any]) -> dict[str, Any]:
    return json.loads(response["body"]) if response.get("body") else {}


def alb_event(
    body: bytes | str,
    *,
    method: str = "POST",
    headers: dict[str, str] | None = None,
    base64_encoded: bool = False,
    forwarded_for: str = "198.51.100.7, 203.0.113.9",
    multi_value: bool = True,
) -> dict[str, Any]:
    """An Application Load Balancer target event; with multi-value headers on (a target-group
    setting) the event carries ``multiValueHeaders`` and no ``headers``."""
    raw = body.encode() if isinstance(body, str) else body
    all_headers = {
        "content-type": "application/json",
        "user-agent": "Mozilla/5.0 (Macintosh; Intel Mac OS X 14_6) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/18.1 Safari/605.1.15",
        "x-forwarded-for": forwarded_for,
        "x-amzn-trace-id": f"Root=1-67890abc-{uuid.uuid4().hex[:24]}",
        "cloudfront-viewer-country": "FR",
        **(headers or {}),
    }
    event: dict[str, Any] = {
        "requestContext": {
            "elb": {"targetGroupArn": "arn:aws:elasticloadbalancing:eu-west-1:123456789012:targetgroup/sluice/abc"}
        },
        "httpMethod": method,
        "path": "/events",
        "body": base64.b64encode(raw).decode() if base64_encoded else raw.decode(),
        "isBase64Encoded": base64_encoded,
    }
    if multi_value:
        event["multiValueHeaders"] = {k: [v] for k, v in all_headers.items()}
        event["multiValueQueryStringParameters"] = {}
    else:
        event["headers"] = all_headers
        event["queryStringParameters"] = {}
    return event
