"""Write keys players can send (in the URL, since sendBeacon and CMCD reporting cannot set a
header), read from a real Secrets Manager secret (moto) and rotated without a deploy."""

from __future__ import annotations

import json
import urllib.error
import urllib.request

from support.apigateway import alb_event, body_of, http_api_event, rest_api_event
from support.aws import aws_client, stage_client
from support.factories import player_json
from support.stages import ingest_service

from sluice.ingest.auth import WriteKeys
from sluice.runtime.deadline import Deadline


def _with_keys(aws, pipeline, keys: dict[str, str]):
    secrets = aws_client("secretsmanager", aws)
    arn = secrets.create_secret(Name="sluice-write-keys", SecretString=json.dumps(keys))["ARN"]
    stage = ingest_service(aws, pipeline)
    stage.write_keys = WriteKeys.from_secret(stage_client("secretsmanager", aws), arn, ttl_s=0)
    return stage, secrets, arn


def _post(stage, event) -> tuple[int, dict]:
    response = stage.handle(event, Deadline.after(10))
    return response["statusCode"], body_of(response)


def _query(event: dict, **parameters: str) -> dict:
    event["queryStringParameters"] = parameters
    event["rawQueryString"] = "&".join(f"{k}={v}" for k, v in parameters.items())
    return event


def test_a_request_needs_a_listed_write_key_in_the_url_or_a_header(aws, pipeline):
    stage, _, _ = _with_keys(aws, pipeline, {"watch.example": "wk_live_4f1c", "tv.example": "wk_live_9a2b"})
    body = json.dumps(player_json())
    status, result = _post(stage, http_api_event(body))
    assert (status, result["error"]) == (401, "no write key: POST to /events?key=<your site's write key>")
    status, result = _post(stage, _query(http_api_event(body), key="wk_guess"))
    assert status == 401 and "not valid" in result["error"]
    assert _post(stage, _query(http_api_event(body), key="wk_live_4f1c"))[0] == 200
    assert _post(stage, http_api_event(body, headers={"x-sluice-write-key": "wk_live_9a2b"}))[0] == 200
    # the REST API and an ALB carry the query string too (an ALB still URL-encoded)
    assert _post(stage, _query(rest_api_event(body), key="wk_live_9a2b"))[0] == 200
    alb = alb_event(body)
    alb["multiValueQueryStringParameters"] = {"key": ["wk%5Flive%5F4f1c"]}
    assert _post(stage, alb)[0] == 200


def test_a_key_is_rotated_and_revoked_without_a_deploy(aws, pipeline):
    stage, secrets, arn = _with_keys(aws, pipeline, {"watch.example": "old-key"})
    body = json.dumps(player_json())
    assert _post(stage, _query(http_api_event(body), key="old-key"))[0] == 200
    secrets.put_secret_value(SecretId=arn, SecretString=json.dumps({"watch.example": "new-key"}))
    assert _post(stage, _query(http_api_event(body), key="old-key"))[0] == 401
    assert _post(stage, _query(http_api_event(body), key="new-key"))[0] == 200


def test_keys_that_cannot_be_read_make_a_503_the_player_retries(aws, pipeline):
    stage = ingest_service(aws, pipeline)
    stage.write_keys = WriteKeys.from_secret(stage_client("secretsmanager", aws), "sluice-missing", ttl_s=0)
    response = stage.handle(_query(http_api_event(json.dumps(player_json())), key="k"), Deadline.after(10))
    assert response["statusCode"] == 503 and "retry-after" in response["headers"]


def test_the_local_endpoint_carries_the_query_string_as_api_gateway_does(aws, pipeline):
    from sluice_tools.local.api import IngestEndpoint
    from sluice_tools.local.esm import in_process

    stage, _, _ = _with_keys(aws, pipeline, {"watch.example": "wk local+1"})
    endpoint = IngestEndpoint(in_process(lambda event, context: stage.handle(event, Deadline.after(10))))
    endpoint.start()
    try:
        data = json.dumps(player_json()).encode()
        request = urllib.request.Request(
            f"{endpoint.url}/events?key=wk%20local%2B1", data=data, headers={"content-type": "application/json"}
        )
        with urllib.request.urlopen(request, timeout=10) as response:
            assert response.status == 200
        try:
            urllib.request.urlopen(urllib.request.Request(f"{endpoint.url}/events?key=nope", data=data), timeout=10)
            raise AssertionError("a wrong key was accepted")
        except urllib.error.HTTPError as refused:
            assert refused.code == 401
    finally:
        endpoint.stop()


def test_behind_the_cdn_only_requests_through_it_are_taken_with_the_viewers_address(aws, pipeline):
    from support.aws import read_stream

    from sluice.batch.kinesis import iter_records
    from sluice.events.codec import Codec
    from sluice.ingest.auth import CachedSecret, OriginCheck

    secrets = aws_client("secretsmanager", aws)
    arn = secrets.create_secret(Name="sluice-origin-verify", SecretString="cf-7d1e0b")["ARN"]
    stage = ingest_service(aws, pipeline)
    stage.origin_check = OriginCheck(CachedSecret.of(stage_client("secretsmanager", aws), arn, ttl_s=0))
    body = json.dumps(player_json())
    # straight to the API's own URL (around the WAF's rate limit): refused
    status, result = _post(stage, http_api_event(body, source_ip="203.0.113.50"))
    assert (status, result["error"]) == (403, "post to the CDN's address, not to the API's own URL")
    forged = {"x-sluice-origin-verify": "guess", "cloudfront-viewer-address": "192.0.2.1:443"}
    assert _post(stage, http_api_event(body, headers=forged))[0] == 403
    # through CloudFront: taken, with the viewer's network rather than the edge's
    through = {"x-sluice-origin-verify": "cf-7d1e0b", "cloudfront-viewer-address": "198.51.100.77:51234"}
    assert _post(stage, http_api_event(body, headers=through, source_ip="130.176.1.1"))[0] == 200
    (stored,) = [Codec().decode(r.data) for r in iter_records({"Records": read_stream(aws, pipeline.raw_stream)})]
    assert stored["ingest"]["client_ip_prefix"] == "198.51.100.0/24"
