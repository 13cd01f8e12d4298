"""The loader stage: every announced lake object ends loaded exactly once (its bad lines as failed
events), or its message goes back to SQS for another try."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from sluice.events.failed import FailedEvent
from sluice.failures.writer import FailedEventWriter
from sluice.loader import load_errors
from sluice.loader.config import LoaderConfig
from sluice.loader.lines import BadLine, ParsedObject, parse_object
from sluice.loader.notifications import LakeObject, Notification, read_notifications
from sluice.loader.postgres import PostgresLoad
from sluice.loader.redshift import RedshiftLoad
from sluice.producers.batching import INVALID_ENTRY_CODES
from sluice.producers.firehose import FirehoseProducer
from sluice.producers.retry import Backoff, error_code
from sluice.runtime.deadline import Deadline, bind_deadline
from sluice.runtime.errors import PoisonRecordError, RetryableError
from sluice.runtime.metrics import Metrics
from sluice.warehouse.connection import CONNECT_TIMEOUT_S, Warehouse, is_connection_loss, resolve_url

__all__ = ["MIN_LOAD_TIME_S", "STAGE", "Loader", "UnrequestableObjectError"]

log = logging.getLogger("sluice.loader")
STAGE = "loader"
# An object is not started without time for a connect (CONNECT_TIMEOUT_S) and a statement.
MIN_LOAD_TIME_S = CONNECT_TIMEOUT_S + 1


@dataclass
class _Tally:
    objects: int = 0
    skipped: int = 0
    rows: int = 0
    bad_lines: int = 0


class Loader:
    def __init__(
        self,
        config: LoaderConfig,
        warehouse: Warehouse,
        s3: Any,
        failed: FirehoseProducer,
        *,
        metrics: Metrics | None = None,
        backoff: Backoff | None = None,
    ) -> None:
        self.config = config
        self.warehouse = warehouse
        self.s3 = s3
        self.failed = FailedEventWriter(failed)
        self.metrics = metrics or Metrics(dimensions={"Stage": STAGE})
        self.backoff = backoff or Backoff(base_s=0.2, cap_s=3.0)
        self.postgres = None if warehouse.is_redshift else PostgresLoad(warehouse, config.fact_table)

    @classmethod
    def from_env(cls) -> Loader:
        from sluice.aws.clients import client

        config = LoaderConfig.from_env()
        warehouse = Warehouse(resolve_url(config.warehouse))
        return cls(config, warehouse, client("s3"), FirehoseProducer(client("firehose"), config.failed_firehose))

    def handle(self, event: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        bind_deadline(deadline)  # every AWS call below ends before it
        notifications = read_notifications(event)
        retry: list[Notification] = []
        tally = _Tally()
        for notification in notifications:
            try:
                if notification.error is not None:
                    self._write_failed([_unreadable(notification)], deadline)
                elif self.postgres is None:
                    self._load_redshift(notification.objects, tally, deadline)
                else:
                    for obj in notification.objects:
                        self._load_postgres(obj, tally, deadline)
            except RetryableError as exc:
                log.warning(
                    "notification will be retried", extra={"message_id": notification.message_id, "error": str(exc)}
                )
                retry.append(notification)
        m = self.metrics
        m.add("ObjectsLoaded", tally.objects)
        m.add("ObjectsSkipped", tally.skipped)
        m.add("RowsMerged", tally.rows)
        m.add("BadLines", tally.bad_lines)
        m.add("MessagesRetried", len(retry))
        m.flush()
        if retry and any(n.message_id is None for n in retry):
            # A direct S3 invocation has no partial response: fail it, Lambda retries it.
            raise RetryableError(f"{len(retry)} notifications could not be loaded")
        return {"batchItemFailures": [{"itemIdentifier": n.message_id} for n in retry]}

    # --- PostgreSQL: object by object -------------------------------------------------------
    def _load_postgres(self, obj: LakeObject, tally: _Tally, deadline: Deadline) -> None:
        assert self.postgres is not None
        if deadline.remaining() < MIN_LOAD_TIME_S:
            raise RetryableError("too little time left to connect and load another object")
        try:
            parsed = self._fetch(obj)
        except UnrequestableObjectError as exc:
            self._write_failed([_unrequestable(obj, exc)], deadline)
            return
        if parsed is None:
            return
        for attempt in range(self.config.db_attempts):
            try:
                # Bad lines are reported inside the load's transaction, once the object is claimed.
                result = self.postgres.load(
                    obj, parsed, lambda bad: self._write_failed(_bad_line_events(obj, bad), deadline)
                )
                break
            except RetryableError:
                raise  # the failed-events Firehose did not take the bad lines: the load rolled back
            except Exception as exc:
                if (
                    not is_connection_loss(exc)
                    or attempt + 1 >= self.config.db_attempts
                    or not self.backoff.wait(attempt + 1, deadline)
                    or deadline.remaining() < MIN_LOAD_TIME_S
                ):
                    raise RetryableError(f"{obj.url}: warehouse error {error_code(exc)}: {exc}") from exc
                log.warning(
                    "warehouse connection lost; the transaction rolled back, retrying",
                    extra={"object": obj.url, "attempt": attempt + 1},
                )
        if result.loaded:
            tally.objects += 1
            tally.rows += result.rows
            tally.bad_lines += len(result.bad)
        else:
            tally.skipped += 1

    def _fetch(self, obj: LakeObject) -> ParsedObject | None:
        try:
            response = self.s3.get_object(Bucket=obj.bucket, Key=obj.key, **({"IfMatch": obj.etag} if obj.etag else {}))
        except Exception as exc:
            code = error_code(exc)
            if code in ("NoSuchKey", "PreconditionFailed", "404", "412"):
                # Gone or overwritten since the notification: the newer version has its own.
                log.warning("announced object is not there any more", extra={"object": obj.url, "error": code})
                return None
            if code in INVALID_ENTRY_CODES:
                # The request itself can never be made (a key S3 cannot take): no retry loop.
                raise UnrequestableObjectError(f"{obj.url}: {code}: {exc}") from exc
            raise RetryableError(f"{obj.url}: {code}") from exc
        return parse_object(response["Body"].read())

    # --- Redshift: the batch at once --------------------------------------------------------
    def _load_redshift(self, objects: list[LakeObject], tally: _Tally, deadline: Deadline) -> None:
        if not self.config.copy_iam_role_arn:
            raise RetryableError("SLUICE_COPY_IAM_ROLE_ARN is not set: Redshift COPY needs a role")
        by_compression: dict[bool, list[LakeObject]] = {}
        for obj in objects:
            by_compression.setdefault(obj.key.endswith(".gz"), []).append(obj)
        loader = RedshiftLoad(
            self.warehouse,
            self.s3,
            iam_role_arn=self.config.copy_iam_role_arn,
            manifest_bucket=self.config.manifest_bucket or objects[0].bucket,
            manifest_prefix=self.config.manifest_prefix,
            fact=self.config.fact_table,
        )
        for gzip, group in by_compression.items():
            try:
                batch = loader.load(
                    group,
                    gzip=gzip,
                    report=lambda errors: self._write_failed(load_errors.failed_events(self.s3, errors), deadline),
                )
            except RetryableError:
                raise  # the refused lines could not be reported: the batch rolled back
            except Exception as exc:
                raise RetryableError(f"Redshift load failed: {error_code(exc)}: {exc}") from exc
            tally.objects += len(batch.loaded)
            tally.skipped += len(batch.skipped)
            tally.rows += batch.rows
            tally.bad_lines += len(batch.load_errors)

    def _write_failed(self, failed: list[FailedEvent], deadline: Deadline) -> None:
        if not failed:
            return
        delivery = self.failed.write(failed, deadline)
        if delivery.failed:
            raise RetryableError(f"failed-events Firehose did not accept {len(delivery.failed)} records")


class UnrequestableObjectError(PoisonRecordError):
    """A notification names an object S3 cannot even be asked for (an empty or invalid key)."""


def _unrequestable(obj: LakeObject, error: UnrequestableObjectError) -> FailedEvent:
    return FailedEvent(
        failure_type="format",
        stage=STAGE,
        error_code="UnrequestableObject",
        error=str(error)[:2000],
        original=obj.url.encode(),
        source=obj.url,
    )


def _unreadable(notification: Notification) -> FailedEvent:
    return FailedEvent(
        failure_type="format",
        stage=STAGE,
        error_code="NotAnS3Notification",
        error=notification.error or "unreadable notification",
        original=notification.body.encode(),
        source=f"sqs-message:{notification.message_id}",
    )


def _bad_line_events(obj: LakeObject, bad: list[BadLine]) -> list[FailedEvent]:
    return [
        FailedEvent(
            failure_type=line.failure_type,
            stage=STAGE,
            error_code="BadLakeLine",
            error=f"line {line.number}: {line.reason}",
            original=line.raw,
            event_id=line.event_id,
            source=f"{obj.url}#L{line.number}",
        )
        for line in bad
    ]
