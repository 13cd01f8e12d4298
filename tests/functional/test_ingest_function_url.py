"""Ingest behind CloudFront through its own function URL (terraform: ingest_endpoint =
"function_url"): the event Lambda builds for a function URL request, as CloudFront forwards it,
against a real Kinesis stream and Secrets Manager (moto).

A function URL event is payload format 2.0, as an HTTP API's, with what API Gateway features it
lacks set to sentinels (routeKey and stage "$default", accountId "anonymous" with auth NONE); the
body is text for text content types and base64 otherwise (Lambda Developer Guide, "Invoking
Lambda function URLs", request payload). Unlike an HTTP API's routes, a function URL hands the
function every path.
"""

from __future__ import annotations

import base64
import gzip
import json
import uuid
from typing import Any

from support.apigateway import body_of
from support.aws import aws_client, read_stream, stage_client
from support.factories import player_json
from support.stages import ingest_service

from sluice.batch.kinesis import iter_records
from sluice.events.codec import Codec
from sluice.ingest.auth import CachedSecret, OriginCheck, WriteKeys
from sluice.runtime.deadline import Deadline

URL_ID = "abcdefghij0123456789abcdefghij01"
ORIGIN_TOKEN = "cf-3b9e51"  # noqa: S105 (a test value of the CDN header)
WRITE_KEY = "wk_live_77aa"
VIEWER = "198.51.100.77"
EDGE = "130.176.1.20"  # a CloudFront edge: the address the function URL sees
TEXT_TYPES = ("text/", "application/json", "application/x-ndjson")


def function_url_event(
    body: bytes,
    *,
    path: str = "/events",
    query: str = f"key={WRITE_KEY}",
    method: str = "POST",
    headers: dict[str, str] | None = None,
    through_cloudfront: bool = True,
) -> dict[str, Any]:
    """What Lambda passes the function for a request to its URL; through CloudFront, with the
    headers the edge module's origin request policy forwards and the origin header it adds."""
    from urllib.parse import parse_qsl

    all_headers = {
        "host": f"{URL_ID}.lambda-url.eu-west-1.on.aws",
        "content-type": "text/plain;charset=UTF-8",  # the web SDK's: a CORS simple request
        "user-agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/131.0.0.0 Safari/537.36",
        "x-amzn-tls-version": "TLSv1.3",
        "x-amzn-tls-cipher-suite": "TLS_AES_128_GCM_SHA256",
        "x-amzn-trace-id": "Root=1-67890abc-0123456789abcdef01234567",
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "x-forwarded-for": EDGE if through_cloudfront else VIEWER,
        **(
            {
                "via": "2.0 0123456789abcdef0123456789abcdef.cloudfront.net (CloudFront)",
                "x-amz-cf-id": "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789AbCdEfGhIjKlMnOpQr==",
                "cloudfront-viewer-country": "NL",
                "cloudfront-viewer-address": f"{VIEWER}:51234",
                "x-sluice-origin-verify": ORIGIN_TOKEN,
            }
            if through_cloudfront
            else {}
        ),
        **(headers or {}),
    }
    text = all_headers["content-type"].startswith(TEXT_TYPES) and "content-encoding" not in all_headers
    event: dict[str, Any] = {
        "version": "2.0",
        "routeKey": "$default",
        "rawPath": path,
        "rawQueryString": query,
        "headers": all_headers,
        "requestContext": {
            "accountId": "anonymous",
            "apiId": URL_ID,
            "domainName": f"{URL_ID}.lambda-url.eu-west-1.on.aws",
            "domainPrefix": URL_ID,
            "http": {
                "method": method,
                "path": path,
                "protocol": "HTTP/1.1",
                "sourceIp": EDGE if through_cloudfront else VIEWER,
                "userAgent": all_headers["user-agent"],
            },
            "requestId": str(uuid.uuid4()),
            "routeKey": "$default",
            "stage": "$default",
            "time": "02/Dec/2026:09:00:00 +0000",
            "timeEpoch": 1796115600000,
        },
        "body": body.decode() if text else base64.b64encode(body).decode(),
        "isBase64Encoded": not text,
    }
    if query:
        event["queryStringParameters"] = dict(parse_qsl(query))
    return event


def _stage(aws, pipeline, **settings: Any):
    secrets = aws_client("secretsmanager", aws)
    origin = secrets.create_secret(Name="sluice-origin-verify", SecretString=ORIGIN_TOKEN)["ARN"]
    keys = secrets.create_secret(Name="sluice-write-keys", SecretString=json.dumps({"watch.example": WRITE_KEY}))["ARN"]
    stage = ingest_service(aws, pipeline, **settings)
    reader = stage_client("secretsmanager", aws)
    stage.origin_check = OriginCheck(CachedSecret.of(reader, origin, ttl_s=0))
    stage.write_keys = WriteKeys.from_secret(reader, keys, ttl_s=0)
    return stage


def _post(stage, event) -> tuple[int, dict]:
    response = stage.handle(event, Deadline.after(10))
    return response["statusCode"], body_of(response)


def _stored(aws, pipeline) -> list[dict]:
    return [Codec().decode(r.data) for r in iter_records({"Records": read_stream(aws, pipeline.raw_stream)})]


def test_events_through_cloudfront_to_the_function_url_are_stored_with_the_viewers_network(aws, pipeline):
    events = [player_json(), player_json()]
    event = function_url_event(json.dumps(events).encode())
    status, result = _post(_stage(aws, pipeline), event)
    assert (status, result) == (
        200,
        {"request_id": event["requestContext"]["requestId"], "accepted": 2, "rejected": []},
    )
    stored = _stored(aws, pipeline)
    assert sorted(e["event_id"] for e in stored) == sorted(e["event_id"] for e in events)
    # the viewer's network from CloudFront's header, not the edge's address the URL saw
    assert {e["ingest"]["client_ip_prefix"] for e in stored} == {"198.51.100.0/24"}
    assert {e["ingest"]["country"] for e in stored} == {"NL"}


def test_a_gzip_body_the_url_passes_as_base64_is_read(aws, pipeline):
    ndjson = "\n".join(json.dumps(player_json()) for _ in range(3)).encode()
    event = function_url_event(
        gzip.compress(ndjson), headers={"content-type": "application/x-ndjson", "content-encoding": "gzip"}
    )
    assert event["isBase64Encoded"]
    status, result = _post(_stage(aws, pipeline), event)
    assert (status, result["accepted"]) == (200, 3)


def test_straight_to_the_function_url_around_the_waf_is_refused(aws, pipeline):
    event = function_url_event(json.dumps(player_json()).encode(), through_cloudfront=False)
    status, result = _post(_stage(aws, pipeline), event)
    assert (status, result["error"]) == (403, "post to the CDN's address, not to the API's own URL")
    assert read_stream(aws, pipeline.raw_stream) == []


def test_a_path_the_http_api_would_not_route_is_a_404_not_events(aws, pipeline):
    # The HTTP API answers only POST /events and /cmcd; the function URL passes every path on.
    event = function_url_event(json.dumps(player_json()).encode(), path="/event")
    status, result = _post(_stage(aws, pipeline), event)
    assert (status, result["error"]) == (404, "nothing at /event: POST events to /events, CMCD reports to /cmcd")
    assert read_stream(aws, pipeline.raw_stream) == []


def test_the_preflight_is_answered_by_ingest_itself(aws, pipeline):
    # No CORS block on the URL (Lambda would answer in ingest's place): ingest's own answer.
    stage = _stage(aws, pipeline, cors_allow_origins=("https://watch.example",))
    event = function_url_event(
        b"",
        method="OPTIONS",
        query="",
        headers={"origin": "https://watch.example", "access-control-request-method": "POST"},
    )
    response = stage.handle(event, Deadline.after(10))
    assert response["statusCode"] == 204
    assert response["headers"]["access-control-allow-origin"] == "https://watch.example"
