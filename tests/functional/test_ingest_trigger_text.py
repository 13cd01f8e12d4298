"""A request body the HTTP trigger hands over as text holding a lone surrogate (the trigger's
JSON may carry "\\ud83c" escapes): that event's rejection, never a 5xx for the whole request."""

from __future__ import annotations

import json

from support.apigateway import body_of, http_api_event
from support.factories import player_json
from support.stages import ingest_service

from sluice.runtime.deadline import Deadline


def test_a_text_body_holding_a_lone_surrogate_rejects_that_event_and_stores_its_sibling(aws, pipeline):
    # GIVEN a text (not base64) body of two events, the second's player name cut mid-emoji
    events = [player_json(), player_json(player={"name": "CUT", "version": "1"})]
    request = http_api_event("[]")
    request["body"] = json.dumps(events).replace("CUT", "web \ud83c")
    request["isBase64Encoded"] = False
    assert "\ud83c" in request["body"]
    # WHEN ingest handles it
    response = ingest_service(aws, pipeline).handle(request, Deadline.after(20))
    # THEN 200: the first stored, the second rejected with why
    assert response["statusCode"] == 200, response["body"]
    result = body_of(response)
    assert result["accepted"] == 1
    assert [(r["index"], r["errors"]) for r in result["rejected"]] == [
        (
            1,
            [
                "player.name: holds a lone surrogate U+D83C at character 5 (half of a character), which UTF-8 cannot encode"
            ],
        )
    ]


def test_a_write_key_or_origin_header_holding_a_lone_surrogate_is_refused_not_a_5xx(aws, pipeline):
    from support.aws import aws_client, stage_client

    from sluice.ingest.auth import CachedSecret, OriginCheck, WriteKeys

    # GIVEN a stage behind the CDN that needs a write key
    secrets = aws_client("secretsmanager", aws)
    keys = secrets.create_secret(Name="keys-surrogate", SecretString=json.dumps({"a.example": "wk_1"}))["ARN"]
    origin = secrets.create_secret(Name="origin-surrogate", SecretString="cf-1")["ARN"]
    stage = ingest_service(aws, pipeline)
    stage.write_keys = WriteKeys.from_secret(stage_client("secretsmanager", aws), keys, ttl_s=0)
    stage.origin_check = OriginCheck(CachedSecret.of(stage_client("secretsmanager", aws), origin, ttl_s=0))
    body = json.dumps(player_json())
    # WHEN a client sends a forged origin header, or a write key, holding half a character
    forged = http_api_event(body, headers={"x-sluice-origin-verify": "cf-\ud83c"})
    keyed = http_api_event(body, headers={"x-sluice-origin-verify": "cf-1"})
    keyed["queryStringParameters"] = {"key": "wk_\ud83c"}
    # THEN each is refused as any wrong value is
    assert stage.handle(forged, Deadline.after(10))["statusCode"] == 403
    assert stage.handle(keyed, Deadline.after(10))["statusCode"] == 401
