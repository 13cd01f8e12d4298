"""What a finished window produces: EMF lines for CloudWatch and rollup documents for the
``player-health-*`` index (per shard), and incident messages for SNS (the evaluator)."""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime
from typing import IO, TYPE_CHECKING, Any

from sluice.monitor.aggregate import COUNTERS, Aggregate
from sluice.monitor.keys import bounded
from sluice.monitor.qoe import metrics
from sluice.sinks.opensearch.bulk import Document

__all__ = [
    "EMF_DIMENSIONS",
    "EMF_METRICS",
    "OPENSEARCH_ID_BYTES",
    "SNS_SUBJECT_CHARACTERS",
    "emf_documents",
    "rollup_documents",
    "sns_publisher",
    "sns_subject",
    "write_emf",
]

if TYPE_CHECKING:
    from sluice.monitor.incidents import AlertMessage
    from sluice.monitor.store import WindowPart

# OpenSearch refuses a document whose _id is over 512 bytes (UTF-8), and a bulk request holding
# one fails whole: a rollup _id made of a content id at its bound would fail its window for ever.
OPENSEARCH_ID_BYTES = 512
# SNS Publish: a Subject is text "with no line breaks or control characters, and less than 100
# characters long" (SNS API Reference); kept to printable ASCII, which every mail client shows.
SNS_SUBJECT_CHARACTERS = 99

# Headline metrics, as CloudWatch metric names and units. Counters are published as they are so
# that CloudWatch's Sum over shards is exact; ratios of one shard are a sample of all sessions
# (the stream is partitioned by session), and the rollups give the exact combined ratios.
EMF_METRICS = (
    ("attempts", "Attempts", "Count"),
    ("video_start_failures", "VideoStartFailures", "Count"),
    ("exits_before_video_start", "ExitsBeforeVideoStart", "Count"),
    ("fatal_errors", "FatalErrors", "Count"),
    ("ad_start_failures", "AdStartFailures", "Count"),
    ("watch_ms", "WatchTime", "Milliseconds"),
    ("video_start_failure_rate", "VideoStartFailureRate", "None"),
    ("rebuffer_ratio", "RebufferRatio", "None"),
    ("startup_time_p50_ms", "StartupTimeP50", "Milliseconds"),
    ("startup_time_p95_ms", "StartupTimeP95", "Milliseconds"),
    ("average_bitrate_kbps", "AverageBitrate", "Kilobits/Second"),
    # From the CDN's requests (counts scaled to every request when the logs are sampled)
    ("media_requests", "MediaRequests", "Count"),
    ("media_request_errors", "MediaRequestErrors", "Count"),
    ("media_request_error_rate", "MediaRequestErrorRate", "None"),
    ("sessions_first_requests_failed", "SessionsFirstRequestsFailed", "Count"),
    ("time_to_first_byte_p95_ms", "TimeToFirstByteP95", "Milliseconds"),
    ("origin_first_byte_p95_ms", "OriginFirstByteP95", "Milliseconds"),
)
EMF_DIMENSIONS = ("all", "cdn", "player_version", "device_class")


def _epoch_ms(iso: str) -> int:
    return int(datetime.fromisoformat(iso.replace("Z", "+00:00")).timestamp() * 1000)


def emf_documents(
    window_start: str, rows: list[tuple[str, str, Aggregate]], namespace: str = "Sluice/PlayerHealth"
) -> list[dict[str, Any]]:
    documents = []
    for dimension, value, aggregate in rows:
        if dimension not in EMF_DIMENSIONS:
            continue
        values = metrics(aggregate)
        present = [(key, name, unit) for key, name, unit in EMF_METRICS if values.get(key) is not None]
        documents.append(
            {
                "_aws": {
                    "Timestamp": _epoch_ms(window_start),
                    "CloudWatchMetrics": [
                        {
                            "Namespace": namespace,
                            "Dimensions": [["Dimension", "Value"]],
                            "Metrics": [{"Name": name, "Unit": unit} for _, name, unit in present],
                        }
                    ],
                },
                "Dimension": dimension,
                "Value": value,
                **{name: values[key] for key, name, _ in present},
            }
        )
    return documents


def write_emf(documents: list[dict[str, Any]], stream: IO[str]) -> None:
    for document in documents:
        stream.write(json.dumps(document) + "\n")
    stream.flush()


def rollup_documents(prefix: str, where: WindowPart, rows: list[tuple[str, str, Aggregate]]) -> list[Document]:
    """One document per shard, window part and dimension value; the _id makes a retried part
    overwrite itself. Readers sum the counters of a window over shards and parts before taking
    ratios."""
    window_start = where.start
    index = f"{prefix}-{window_start[:4]}.{window_start[5:7]}.{window_start[8:10]}"
    documents = []
    for dimension, value, aggregate in rows:
        source: dict[str, Any] = {
            "window_start": window_start,
            "window_end": where.end,
            "shard": where.shard,
            "part": where.part,
            "dimension": dimension,
            "value": value,
            **{f"count_{n}": aggregate.counts[n] for n in COUNTERS},
            "startup_sketch": json.dumps(aggregate.startup.to_state()),
            "first_byte_sketch": json.dumps(aggregate.first_byte.to_state()),
            "origin_first_byte_sketch": json.dumps(aggregate.origin_first_byte.to_state()),
            **{k: v for k, v in metrics(aggregate).items() if isinstance(v, float)},
        }
        doc_id = bounded(f"{window_start}|{where.shard}|{where.part}|{dimension}|{value}", OPENSEARCH_ID_BYTES)
        documents.append(Document(index, doc_id, source))
    return documents


def sns_subject(text: str) -> str:
    """``text`` as SNS takes a Subject: line breaks and tabs as spaces, any other control or
    non-ASCII character as ``?``, cut to the length SNS allows."""
    cleaned = "".join(c if " " <= c <= "~" else (" " if c in "\t\n\r\v\f\x85\u2028\u2029" else "?") for c in text)
    return " ".join(cleaned.split())[:SNS_SUBJECT_CHARACTERS] or "Sluice player health"


def sns_publisher(sns: Any, topic_arn: str) -> Callable[[AlertMessage], None]:
    """Publishes an incident message: the JSON body, and attributes subscribers can filter on."""

    def publish(message: AlertMessage) -> None:
        sns.publish(
            TopicArn=topic_arn,
            Subject=sns_subject(message.subject()),
            Message=json.dumps(message.to_dict(), indent=2),
            MessageAttributes={
                "status": {"DataType": "String", "StringValue": message.status},
                "rule": {"DataType": "String", "StringValue": message.rule},
                "incident_id": {"DataType": "String", "StringValue": message.incident_id},
            },
        )

    return publish
