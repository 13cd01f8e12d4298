"""New lake objects, as S3 announces them: S3 event notifications delivered through SQS, or a
direct S3 event. Object keys arrive URL-encoded (a space is ``+``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus


@dataclass(frozen=True, slots=True)
class LakeObject:
    bucket: str
    key: str
    etag: str | None
    size: int | None = None

    @property
    def url(self) -> str:
        return f"s3://{self.bucket}/{self.key}"


@dataclass
class Notification:
    """One SQS message (or the direct event): the objects it announces, or why it cannot be read."""

    message_id: str | None
    body: str
    objects: list[LakeObject] = field(default_factory=list)
    error: str | None = None


def _objects(s3_event: dict[str, Any]) -> list[LakeObject]:
    objects = []
    for record in s3_event.get("Records", []):
        if not str(record.get("eventName", "")).startswith("ObjectCreated"):
            continue
        s3 = record["s3"]
        obj = s3["object"]
        etag = obj.get("eTag") or obj.get("etag")
        objects.append(
            LakeObject(
                s3["bucket"]["name"], unquote_plus(obj["key"]), etag.strip('"') if etag else None, obj.get("size")
            )
        )
    return objects


def read_notifications(event: dict[str, Any]) -> list[Notification]:
    records = event.get("Records") or []
    if records and records[0].get("eventSource") == "aws:s3":
        return [Notification(None, json.dumps(event), _objects(event))]
    notifications = []
    for message in records:
        body = message.get("body", "")
        notification = Notification(message.get("messageId"), body)
        try:
            payload = json.loads(body)
            if "Message" in payload and "TopicArn" in payload:  # S3 -> SNS -> SQS fan-out
                payload = json.loads(payload["Message"])
            if payload.get("Event") == "s3:TestEvent":
                pass  # sent once when the notification is configured; nothing to load
            else:
                notification.objects = _objects(payload)
                if not payload.get("Records"):
                    notification.error = "message is not an S3 event notification"
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
            notification.error = f"message is not an S3 event notification: {exc}"
        notifications.append(notification)
    return notifications
