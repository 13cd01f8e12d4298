"""New lake objects, as S3 announces them: S3 event notifications (through SQS, SNS then SQS, or
direct) and EventBridge "Object Created" events (direct, or an EventBridge rule's SQS target).
Object keys arrive URL-encoded (a space is ``+``)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import unquote_plus

from sluice.runtime.errors import UnsupportedTriggerError

__all__ = ["LakeObject", "Notification", "read_notifications"]


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


def _eventbridge_objects(event: dict[str, Any]) -> list[LakeObject]:
    if event.get("detail-type") != "Object Created":
        return []  # deletions and the like: nothing to load
    detail = event["detail"]
    obj = detail["object"]
    etag = obj.get("etag")
    return [
        LakeObject(
            detail["bucket"]["name"], unquote_plus(obj["key"]), etag.strip('"') if etag else None, obj.get("size")
        )
    ]


def _is_eventbridge_s3(payload: Any) -> bool:
    return isinstance(payload, dict) and payload.get("source") == "aws.s3" and "detail" in payload


def read_notifications(event: dict[str, Any]) -> list[Notification]:
    if _is_eventbridge_s3(event):
        return [Notification(None, json.dumps(event), _eventbridge_objects(event))]
    records = event.get("Records") if isinstance(event, dict) else None
    if not records or not isinstance(records, list):
        keys = sorted(map(str, event))[:10] if isinstance(event, dict) else type(event).__name__
        raise UnsupportedTriggerError(
            "the loader handles SQS messages of S3 notifications, direct S3 notifications and "
            f"EventBridge 'Object Created' events from S3; got {keys}"
        )
    if records[0].get("eventSource") == "aws:s3":
        return [Notification(None, json.dumps(event), _objects(event))]
    if records[0].get("eventSource") != "aws:sqs":
        raise UnsupportedTriggerError(
            f"the loader handles SQS, S3 and EventBridge events; got records from {records[0].get('eventSource')!r}"
        )
    return [_read_message(message) for message in records]


def _read_message(message: dict[str, Any]) -> Notification:
    body = message.get("body", "")
    notification = Notification(message.get("messageId"), body)
    try:
        payload = json.loads(body)
        if "Message" in payload and "TopicArn" in payload:  # S3 -> SNS -> SQS fan-out
            payload = json.loads(payload["Message"])
        if payload.get("Event") == "s3:TestEvent":
            pass  # sent once when the notification is configured; nothing to load
        elif _is_eventbridge_s3(payload):
            notification.objects = _eventbridge_objects(payload)
        else:
            notification.objects = _objects(payload)
            if not payload.get("Records"):
                notification.error = "message is not an S3 event notification"
    except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as exc:
        notification.error = f"message is not an S3 event notification: {exc}"
    return notification
