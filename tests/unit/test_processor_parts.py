"""Pure parts of the processor: user-agent classes, cleaning, lake lines and packing."""

from __future__ import annotations

import json
import re

import pytest
from sluice_tools.traffic import catalogue
from support.factories import avro_record

from sluice.events.bounds import max_bytes
from sluice.processor.cleaning import flag_traffic
from sluice.processor.config import DEFAULT_BOT_PATTERN, ProcessorConfig
from sluice.processor.enrichment import classify_user_agent, enrich
from sluice.processor.lake import lake_line, pack


@pytest.mark.parametrize("device", catalogue.DEVICES, ids=lambda d: f"{d.type}-{d.model}")
def test_every_generator_device_gets_its_class(device):
    assert classify_user_agent(device.user_agent)[0] == device.type


def _enriched(user_agent: str, player: str = "sluice-web") -> dict:
    record = avro_record(player={"name": player, "version": "1"})
    record["ingest"] = {"request_id": "r", "user_agent": user_agent, "country": None, "client_ip_prefix": None}
    enrich(record, now_ms=record["server_time"])
    return record


DEFAULT = re.compile(DEFAULT_BOT_PATTERN, re.I)


@pytest.mark.parametrize(
    ("user_agent", "pattern", "test_players", "flag"),
    [
        ("HeadlessChrome/120", DEFAULT, frozenset(), ("bot", "pattern:Headless")),
        ("HeadlessChrome/120", None, frozenset(), None),  # SLUICE_BOT_PATTERN=none
        (catalogue.BOT_USER_AGENT, DEFAULT, frozenset(), ("bot", "parser:Spider")),
        ("Python-urllib/3.11", None, frozenset(), ("bot", "parser:Spider")),  # the parser flags whatever the pattern
        (catalogue.DEVICES[0].user_agent, DEFAULT, frozenset({"sluice-web"}), ("test", "test_player:sluice-web")),
        (catalogue.DEVICES[0].user_agent, DEFAULT, frozenset(), None),
    ],
)
def test_traffic_that_is_not_viewing_is_flagged_with_its_reason(user_agent, pattern, test_players, flag):
    record = _enriched(user_agent)
    assert flag_traffic(record, pattern, test_players) == (flag[0] if flag else None)
    enrichment = record["enrichment"]
    assert (enrichment["traffic_class"], enrichment["traffic_reason"]) == (flag or (None, None))


def test_the_traffic_reason_is_clipped_to_its_bound():
    record = _enriched("x" * 500 + " HeadlessChrome")
    flag_traffic(record, re.compile(r".*"), frozenset())
    reason = record["enrichment"]["traffic_reason"]
    assert reason.startswith("pattern:xxx") and len(reason.encode()) == max_bytes("enrichment.traffic_reason") == 128


def test_enrichment_derives_lags_and_rebuffer_ratio():
    record = avro_record(
        payload={
            "playhead_ms": 1,
            "bitrate_kbps": 1,
            "buffer_length_ms": 1,
            "dropped_frames": 0,
            "watch_time_ms": 7500,
            "rebuffer_time_ms": 2500,
            "interval_ms": 10000,
        }
    )
    record["ingest"] = {
        "request_id": "r",
        "user_agent": catalogue.DEVICES[3].user_agent,
        "country": "US",
        "client_ip_prefix": None,
    }
    enrich(record, now_ms=record["server_time"] + 800)
    assert record["enrichment"]["rebuffer_ratio"] == 0.25
    assert record["enrichment"]["process_lag_ms"] == 800
    assert record["enrichment"]["ingest_lag_ms"] == 1750
    assert (record["enrichment"]["os_family"], record["enrichment"]["browser_family"]) == ("iOS", "Mobile Safari")


def test_lake_lines_leave_out_nulls_and_carry_partition_fields():
    partition, line = lake_line(avro_record("pause"))
    row = json.loads(line)
    assert partition == ("pause", "2026-11-26", "07")
    assert None not in row.values()
    assert row["playhead_ms"] == 61_000 and "bitrate_kbps" not in row


def test_packing_keeps_one_partition_per_record_and_the_size_target():
    lines = [(("heartbeat", "2026-11-26", "08"), b"x" * 100 + b"\n", str(i)) for i in range(25)]
    lines += [(("pause", "2026-11-26", "08"), b"y" * 100 + b"\n", "99")]
    packed = pack(lines, target_bytes=1010)
    assert [p.lines for p in packed] == [10, 10, 5, 1]
    assert all(len(p.data) <= 1010 for p in packed)
    assert packed[-1].owners == {"99"}


def test_processor_configuration_from_the_environment():
    env = {
        "SLUICE_LAKE_FIREHOSE": "lake",
        "SLUICE_CLEAN_STREAM": "clean",
        "SLUICE_FAILED_FIREHOSE": "failed",
        "SLUICE_CLEAN_EVENT_TYPES": "heartbeat,error",
        "SLUICE_MAX_LATENESS_HOURS": "2",
    }
    config = ProcessorConfig.from_env(env)
    assert config.clean_event_types == frozenset({"heartbeat", "error"})
    assert config.lake_event_types is None
    assert config.max_lateness_ms == 7_200_000
