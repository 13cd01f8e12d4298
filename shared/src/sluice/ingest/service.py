"""The ingest stage: validate every event of a request, stamp it, Avro-encode it and write it to
the raw stream, answering the player with exactly what was and was not accepted."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass, replace
from typing import Any

from sluice.batch.aggregation import Aggregator
from sluice.events.codec import Codec
from sluice.events.intake import EventIntake
from sluice.events.json_mapping import EventMapper, refuse_reader_event_type
from sluice.ingest.auth import KEY_HEADER, KEY_PARAMETER, CachedSecret, OriginCheck, WriteKeys
from sluice.ingest.body import BodyEvent, split_cmcd, split_events
from sluice.ingest.config import IngestConfig
from sluice.ingest.context import ingest_context
from sluice.ingest.request import HttpRequest, RequestError, decoded_body, from_http_trigger, request_origin
from sluice.ingest.response import allowed_origin, json_response, preflight
from sluice.producers.batching import Delivery
from sluice.producers.kinesis import KinesisProducer, StreamRecord
from sluice.runtime.alarms import configuration_error
from sluice.runtime.deadline import Deadline, bind_deadline
from sluice.runtime.errors import PoisonRecordError, RetryableError, SinkRejectedError
from sluice.runtime.metrics import Metrics

__all__ = ["CMCD_PATH", "EVENTS_PATH", "UNREADABLE_SAMPLES", "UNREADABLE_SAMPLE_CHARS", "Accepted", "IngestService"]

log = logging.getLogger("sluice.ingest")


EVENTS_PATH = "/events"  # player events: JSON, a JSON array or NDJSON
CMCD_PATH = "/cmcd"  # beside /events: CMCD v2 event and response reports, one per line
# What the log shows of unreadable CMCD lines: a few, each cut (a line is up to 8 KiB).
UNREADABLE_SAMPLES = 3
UNREADABLE_SAMPLE_CHARS = 256


@dataclass
class Accepted:
    index: int
    partition_key: str
    data: bytes


class IngestService:
    def __init__(
        self,
        config: IngestConfig,
        producer: KinesisProducer,
        metrics: Metrics | None = None,
        write_keys: WriteKeys | None = None,
        origin_check: OriginCheck | None = None,
    ) -> None:
        self.config = config
        self.producer = producer
        self.write_keys = write_keys
        self.origin_check = origin_check
        self.intake = EventIntake(EventMapper(), config.max_event_bytes)
        self.codec = Codec()
        self.aggregator = Aggregator() if config.aggregate == "kpl" else None
        self.metrics = metrics or Metrics(dimensions={"Stage": "ingest"})

    @classmethod
    def from_env(cls) -> IngestService:
        from sluice.aws.clients import client

        config = IngestConfig.from_env()
        secrets, ttl = client("secretsmanager"), config.write_keys_ttl_s
        write_keys = origin_check = None
        if config.write_keys_secret_arn:
            write_keys = WriteKeys.from_secret(secrets, config.write_keys_secret_arn, ttl_s=ttl)
        if config.origin_verify_secret_arn:
            origin_check = OriginCheck(CachedSecret.of(secrets, config.origin_verify_secret_arn, ttl_s=ttl))
        producer = KinesisProducer(client("kinesis"), config.raw_stream)
        return cls(config, producer, write_keys=write_keys, origin_check=origin_check)

    def handle(self, event: dict[str, Any], deadline: Deadline) -> dict[str, Any]:
        bind_deadline(deadline)  # every AWS call below ends before it
        origin = allowed_origin(request_origin(event), self.config.cors_allow_origins)
        try:
            request = from_http_trigger(event)
            if request.method == "OPTIONS":
                return preflight(origin)
            if request.method != "POST":
                raise RequestError(
                    405, f"method {request.method or 'unknown'} is not allowed; POST events to this endpoint"
                )
            # The HTTP API routes only these two; a function URL hands ingest every path, so the
            # routing is ingest's (a typo must not pass for /events). A prefix (a REST API's
            # base path mapping) is kept.
            if not request.path.rstrip("/").endswith((EVENTS_PATH, CMCD_PATH)):
                raise RequestError(
                    404, f"nothing at {request.path}: POST events to {EVENTS_PATH}, CMCD reports to {CMCD_PATH}"
                )
            self._authorise(request)
            return self._ingest(self._through_cdn(request), deadline, origin)
        except RetryableError as exc:  # the write keys could not be read: the player retries
            log.warning("request not served", extra={"error": str(exc)})
            retry_after = {"retry-after": str(self.config.retry_after_s)}
            return json_response(503, {"error": "try again shortly"}, origin, retry_after)
        except RequestError as exc:
            self.metrics.add("RequestsRefused", 1)
            return json_response(exc.status, {"error": str(exc), **exc.details}, origin)
        finally:
            self.metrics.flush()

    def _authorise(self, request: HttpRequest) -> None:
        if self.origin_check is not None and not self.origin_check.passes(request.header(OriginCheck.HEADER)):
            self.metrics.add("RequestsUnauthorised", 1)
            raise RequestError(403, "post to the CDN's address, not to the API's own URL")
        if self.write_keys is None:
            return
        key = request.query.get(KEY_PARAMETER) or request.header(KEY_HEADER)
        if self.write_keys.site_of(key) is None:
            self.metrics.add("RequestsUnauthorised", 1)
            reason = "no write key" if not key else "this write key is not valid (revoked, or mistyped)"
            raise RequestError(401, f"{reason}: POST to {request.path}?{KEY_PARAMETER}=<your site's write key>")

    def _through_cdn(self, request: HttpRequest) -> HttpRequest:
        """Behind the CDN, API Gateway sees CloudFront's address: the player's is in the
        CloudFront-Viewer-Address header ("ip:port"), trusted only once the origin check passed."""
        viewer = request.header("cloudfront-viewer-address") if self.origin_check is not None else None
        if not viewer:
            return request
        return replace(request, source_ip=viewer.rsplit(":", 1)[0].strip("[]"))

    def _ingest(self, request: HttpRequest, deadline: Deadline, origin: str | None) -> dict[str, Any]:
        body = decoded_body(request, self.config.max_body_bytes)
        server_time = int(time.time() * 1000)
        context = ingest_context(request)
        cmcd = request.path.rstrip("/").endswith(CMCD_PATH)
        if cmcd:
            # CMCD reports (hls.js, dash.js, Shaka): mapped to contract events, then checked as any
            events = split_cmcd(
                body,
                self.config.max_events_per_request,
                received_ms=server_time,
                query=request.query,
                network=context["client_ip_prefix"],
                user_agent=request.user_agent,
            )
        else:
            events = split_events(body, request.header("content-type"), self.config.max_events_per_request)
        accepted: list[Accepted] = []
        rejected: list[dict[str, Any]] = []
        dropped: list[str] = []
        for index, body_event in enumerate(events):
            try:
                if not cmcd:
                    refuse_reader_event_type(body_event.value)
                accepted.append(self._accept(index, body_event, server_time, context))
            except PoisonRecordError as exc:
                rejected.append(_rejection(index, body_event, exc))
            else:
                dropped += body_event.dropped
        self.metrics.add("EventsRejected", len(rejected))
        self._log_dropped(dropped)
        summary: dict[str, Any] = {"request_id": request.request_id, "accepted": 0, "rejected": rejected}
        if cmcd:
            summary["unreadable"] = self._log_unreadable(events)
        if not accepted:
            if cmcd:
                # A player resends a refused report (dash.js 5.2 up to 8 times on a 400, raising a
                # player ERROR each time): what was read is answered 200, what was not in the body.
                return json_response(200, summary, origin)
            return json_response(400, {**summary, "error": "no event in the request is valid"}, origin)
        not_accepted, refused = self._write(accepted, deadline)
        for index in refused:
            rejected.append(_refused_by_stream(index, events[index]))
        rejected.sort(key=lambda r: r["index"])
        summary["accepted"] = len(accepted) - len(not_accepted) - len(refused)
        self.metrics.add("EventsAccepted", summary["accepted"])
        if not_accepted:
            self.metrics.add("EventsNotAccepted", len(not_accepted))
            summary["not_accepted"] = not_accepted
            summary["error"] = "the stream did not take every event in time; resend the events listed in not_accepted"
            retry_after = {"retry-after": str(self.config.retry_after_s)}
            return json_response(503, summary, origin, retry_after)
        return json_response(200, summary, origin)

    def _accept(self, index: int, body_event: BodyEvent, server_time: int, context: dict[str, Any]) -> Accepted:
        if body_event.error is not None:
            raise body_event.error
        record = self.intake.from_value(body_event.value, body_event.size, server_time=server_time)
        record["ingest"] = context
        return Accepted(index, record["session_id"], self.codec.encode(record))

    def _log_dropped(self, dropped: list[str]) -> None:
        """CMCD keys dropped from reports that were kept. Each stored report names its own in
        ``cmcd_invalid_keys``; the metric counts them all, for the alarm on dropped keys per
        accepted event, and the log shows a few with why."""
        if dropped:
            self.metrics.add("CmcdKeysDropped", len(dropped))
            log.warning("CMCD keys dropped from stored reports", extra={"dropped": sorted(set(dropped))[:5]})

    def _log_unreadable(self, events: list[BodyEvent]) -> int:
        """CMCD report lines that could not be read at all: answered 200 (listed in ``rejected``),
        so the operator sees them here: counted in ``CmcdReportsUnreadable`` and a few logged."""
        unreadable = [(index, e) for index, e in enumerate(events) if e.unreadable is not None]
        if unreadable:
            self.metrics.add("CmcdReportsUnreadable", len(unreadable))
            sample = [
                {"index": index, "reason": str(e.error), "line": (e.unreadable or "")[:UNREADABLE_SAMPLE_CHARS]}
                for index, e in unreadable[:UNREADABLE_SAMPLES]
            ]
            log.warning("CMCD report lines could not be read", extra={"unreadable": len(unreadable), "sample": sample})
        return len(unreadable)

    def _write(self, accepted: list[Accepted], deadline: Deadline) -> tuple[list[int], list[int]]:
        """Writes to the raw stream; returns the request indexes of events not stored for now
        (the player resends them) and of events the stream refused for good."""
        if self.aggregator is None:
            records = [StreamRecord(a.data, a.partition_key) for a in accepted]
            owners = [[a.index] for a in accepted]
        else:
            aggregates = self.aggregator.aggregate((a.partition_key, a.data) for a in accepted)
            records, owners, start = [], [], 0
            for aggregate in aggregates:
                records.append(StreamRecord(aggregate.data, aggregate.partition_key))
                owners.append([a.index for a in accepted[start : start + aggregate.count]])
                start += aggregate.count
        delivery = self.producer.put(records, deadline)
        self._log_delivery(delivery)
        not_stored = sorted(index for position in delivery.retryable for index in owners[position])
        refused = sorted(index for position in delivery.rejected for index in owners[position])
        return not_stored, refused

    def _log_delivery(self, delivery: Delivery) -> None:
        self.metrics.add("PutRecordsRetries", delivery.retried_entries)
        if delivery.configuration_error is not None:
            configuration_error(self.metrics, "raw stream", delivery.configuration_error)
        if delivery.failed:
            log.warning(
                "raw stream did not accept every record",
                extra={"failed_records": len(delivery.failed), "errors": sorted(set(delivery.failed.values()))[:5]},
            )


def _refused_by_stream(index: int, body_event: BodyEvent) -> dict[str, Any]:
    # Every key is validated above, so this is a limit Sluice does not know of yet: say so.
    return _rejection(index, body_event, SinkRejectedError("the raw stream refused this event"))


def _rejection(index: int, body_event: BodyEvent, error: PoisonRecordError) -> dict[str, Any]:
    value = body_event.value
    event_id = value.get("event_id") if isinstance(value, dict) and isinstance(value.get("event_id"), str) else None
    reasons = [str(e) for e in getattr(error, "errors", [])] or [str(error)]
    return {"index": index, "event_id": event_id, "error_type": type(error).__name__, "errors": reasons}
