"""A processor pays at construction (a Lambda cold start) only for the inputs it is given: the
CDN input's mapper, the contract's whole schema compiled, only with SLUICE_CDN_LOG_STREAM set."""

from __future__ import annotations

from typing import Any

import pytest

from sluice.events import json_mapping
from sluice.processor.config import ProcessorConfig
from sluice.processor.service import Processor


class _Accepting:
    def put_records(self, StreamName: str, Records: list[Any]) -> dict[str, Any]:
        return {"FailedRecordCount": 0, "Records": [{"SequenceNumber": "1", "ShardId": "shardId-0"}] * len(Records)}

    def put_record_batch(self, DeliveryStreamName: str, Records: list[Any]) -> dict[str, Any]:
        return {"FailedPutCount": 0, "RequestResponses": [{"RecordId": "1"}] * len(Records)}


def _processor(config: ProcessorConfig) -> Processor:
    from sluice.producers.firehose import FirehoseProducer
    from sluice.producers.kinesis import KinesisProducer

    client = _Accepting()
    return Processor(
        config, FirehoseProducer(client, "lake"), KinesisProducer(client, "clean"), FirehoseProducer(client, "failed")
    )


@pytest.fixture
def mappers_built(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    built: list[int] = []
    original = json_mapping.EventMapper.__init__

    def counting(self: json_mapping.EventMapper, *args: Any, **kwargs: Any) -> None:
        built.append(1)
        original(self, *args, **kwargs)

    monkeypatch.setattr(json_mapping.EventMapper, "__init__", counting)
    return built


def test_a_processor_without_the_cdn_input_compiles_no_event_mapper(mappers_built):
    # GIVEN no CDN log stream configured; WHEN the processor is built
    processor = _processor(ProcessorConfig("lake", "clean", "failed"))
    # THEN it has no CDN input, and built no mapper for one
    assert processor.cdn is None
    assert mappers_built == []


def test_a_processor_with_the_cdn_input_builds_its_mapper_once(mappers_built):
    config = ProcessorConfig("lake", "clean", "failed", cdn_log_stream="cdn-logs", cdn_log_fields=("timestamp",))
    processor = _processor(config)
    assert processor.cdn is not None and processor.cdn.stream == "cdn-logs"
    assert mappers_built == [1]
