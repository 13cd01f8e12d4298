"""A request body the HTTP trigger hands over as text holding a lone surrogate (the trigger's
JSON may carry "\\ud83c" escapes): that event's rejection, never a 5xx for the whole request."""

from __future__ import annotations

import json

from support.apigateway import body_of, http_api_event
from support.factories import player_json
from support.stages import ingest_service

from sluice.producers.retry import Deadline


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
