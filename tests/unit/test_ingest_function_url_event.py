"""A Lambda function URL event read as ingest's request: the request payload the Lambda Developer
Guide documents ("Invoking Lambda function URLs"), with a POST body as a player sends it."""

from __future__ import annotations

import base64
import gzip
import json

from sluice.ingest.request import decoded_body, from_http_trigger

# As Lambda builds it for a function URL with auth NONE: API Gateway's fields without API Gateway
# ($default route and stage, an anonymous account), the query both raw and parsed.
EVENT = {
    "version": "2.0",
    "routeKey": "$default",
    "rawPath": "/cmcd",
    "rawQueryString": "key=wk_live_77aa&sid=6e2f",
    "cookies": ["session=ignored"],
    "headers": {
        "host": "abcdefghij0123456789abcdefghij01.lambda-url.eu-west-1.on.aws",
        "content-type": "application/cmcd",
        "content-encoding": "gzip",
        "user-agent": "Mozilla/5.0 (SMART-TV; Linux; Tizen 8.0) AppleWebKit/537.36 (KHTML, like Gecko) Version/8.0 TV Safari/537.36",
        "x-amzn-tls-version": "TLSv1.3",
        "x-forwarded-for": "130.176.1.20",
        "x-forwarded-proto": "https",
        "x-forwarded-port": "443",
        "x-amzn-trace-id": "Root=1-67890abc-0123456789abcdef01234567",
    },
    "queryStringParameters": {"key": "wk_live_77aa", "sid": "6e2f"},
    "requestContext": {
        "accountId": "anonymous",
        "apiId": "abcdefghij0123456789abcdefghij01",
        "domainName": "abcdefghij0123456789abcdefghij01.lambda-url.eu-west-1.on.aws",
        "domainPrefix": "abcdefghij0123456789abcdefghij01",
        "http": {
            "method": "POST",
            "path": "/cmcd",
            "protocol": "HTTP/1.1",
            "sourceIp": "130.176.1.20",
            "userAgent": "Mozilla/5.0 (SMART-TV; Linux; Tizen 8.0) AppleWebKit/537.36 (KHTML, like Gecko) Version/8.0 TV Safari/537.36",
        },
        "requestId": "c4f5e2a0-3b1d-4e5f-9a8b-7c6d5e4f3a2b",
        "routeKey": "$default",
        "stage": "$default",
        "time": "02/Dec/2026:09:00:00 +0000",
        "timeEpoch": 1796115600000,
    },
    "body": base64.b64encode(gzip.compress(b"e=ps,sta=p,ts=1796115600000\n")).decode(),
    "isBase64Encoded": True,
}


def test_a_function_url_event_is_read_as_an_http_api_one():
    request = from_http_trigger(json.loads(json.dumps(EVENT)))
    assert (request.method, request.path, request.request_id) == (
        "POST",
        "/cmcd",
        "c4f5e2a0-3b1d-4e5f-9a8b-7c6d5e4f3a2b",
    )
    assert request.query == {"key": "wk_live_77aa", "sid": "6e2f"}
    assert request.source_ip == "130.176.1.20"  # the edge's: ingest takes the viewer's from CloudFront's header
    assert request.user_agent is not None and "Tizen" in request.user_agent
    assert decoded_body(request, 1_000_000) == b"e=ps,sta=p,ts=1796115600000\n"
