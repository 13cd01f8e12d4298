"""`sluice cost --cdn-log-lines`: the CDN path priced (CloudFront's real-time log lines, their
Kinesis stream and key, the processor reading them) from lines measured in the configured order."""

from __future__ import annotations

import json

import pytest
from sluice_tools.cli.main import main
from sluice_tools.cost import cdn_path, prices, stage_cpu, traffic
from sluice_tools.cost.model import HOURS_PER_MONTH, monthly

LINES_PER_DAY = 100e6
MONTH_LINES = LINES_PER_DAY * HOURS_PER_MONTH / 24

pytestmark = pytest.mark.usefixtures("priced_region")  # tests/unit/conftest.py


@pytest.fixture(scope="module")
def sample():
    return cdn_path.measure()


@pytest.fixture(scope="module")
def events_estimate():
    profile = traffic.measure(traffic.generated_events(sessions=40))
    return monthly(100e6, profile, stage_cpu.load(), prices.load("eu-west-1"))


def _items(estimate):
    return {line.item: line for line in estimate.cdn_items}


def test_the_lines_are_measured_as_cloudfront_writes_them(sample):
    # one line a Kinesis record, under 1 KB with the local order's fields: 1 KB billed each
    assert sample.lines > 1000 and sample.kept == sample.lines
    assert 500 < sample.mean_bytes < 1024 and sample.billed_kb == sample.lines == sample.put_units
    # fewer fields, smaller lines
    assert cdn_path.measure(["timestamp", "x-edge-request-id", "cs-uri-stem", "sc-status"]).mean_bytes < 150


def test_the_cdn_path_prices_lines_stream_key_and_reader(sample, events_estimate):
    book, cpu = prices.load("eu-west-1"), stage_cpu.load()
    estimate = cdn_path.with_cdn_path(events_estimate, cdn_path.CdnPath(LINES_PER_DAY, sample), cpu, book)
    items = _items(estimate)
    assert items["real-time log lines"].quantity == pytest.approx(MONTH_LINES)
    assert items["real-time log lines"].usd == pytest.approx(MONTH_LINES / 1e6 * 0.01)  # $0.01 per million
    assert items["cdn log stream data in"].quantity == pytest.approx(MONTH_LINES * 1024 / 1e9)
    assert items["cdn log stream data out (1 reader)"].quantity == items["cdn log stream data in"].quantity
    assert items["cdn log stream (on-demand)"].quantity == HOURS_PER_MONTH
    assert items["cdn log stream key"].usd == pytest.approx(book["kms.key_month"])
    compute = items["processor compute, cdn log lines (512 MB)"]
    cpu_seconds = MONTH_LINES * cpu.us("cdn_processor") / 1e6
    assert compute.quantity > cpu_seconds * 0.5  # at least the CPU, at 512 MB
    assert items["processor requests (cdn log lines)"].quantity < MONTH_LINES / 50  # lines come in batches
    # the items are in the bill, under their services, and only added
    assert estimate.total == pytest.approx(events_estimate.total + estimate.cdn_total)
    assert estimate.by_service()["CloudFront"] == pytest.approx(
        events_estimate.by_service()["CloudFront"] + items["real-time log lines"].usd
    )
    assert estimate.cdn_per_million_lines(estimate.cdn_total) == pytest.approx(estimate.cdn_total / (MONTH_LINES / 1e6))
    # twice the lines: twice the per-line items; the stream-hours and the key stay
    double = _items(cdn_path.with_cdn_path(events_estimate, cdn_path.CdnPath(2 * LINES_PER_DAY, sample), cpu, book))
    assert double["real-time log lines"].usd == pytest.approx(2 * items["real-time log lines"].usd)
    assert double["cdn log stream data in"].usd == pytest.approx(2 * items["cdn log stream data in"].usd)
    assert double["cdn log stream (on-demand)"].usd == items["cdn log stream (on-demand)"].usd


def test_a_provisioned_log_stream_pays_shards_and_put_units(sample, events_estimate):
    book, cpu = prices.load("eu-west-1"), stage_cpu.load()
    path = cdn_path.CdnPath(LINES_PER_DAY, sample, streams="provisioned", shards=6)
    items = _items(cdn_path.with_cdn_path(events_estimate, path, cpu, book))
    assert items["cdn log stream shard-hours"].quantity == 6 * HOURS_PER_MONTH
    assert items["cdn log stream PUT payload units"].quantity == pytest.approx(MONTH_LINES)
    assert "cdn log stream data in" not in items


def test_cost_command_prices_the_cdn_path_when_asked(capsys):
    assert main(["cost", "--cdn-log-lines", "100M", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    path = out["cdn_path"]
    assert path["log_lines_per_day"] == 100e6
    lines = {line["item"]: line for line in path["lines"]}
    assert lines["real-time log lines"]["usd"] == pytest.approx(30.42, abs=0.01)
    assert {"cdn log stream data in", "processor requests (cdn log lines)", "cdn log stream key"} <= set(lines)
    assert path["monthly_usd"] == pytest.approx(sum(line["usd"] for line in path["lines"]), abs=0.01)
    assert out["monthly_usd"] == pytest.approx(sum(line["usd"] for line in out["lines"]), abs=0.1)
    assert 500 < out["inputs"]["cdn_log_line_bytes"] < 1024
    assert main(["cost", "--cdn-log-lines", "100M"]) == 0
    table = capsys.readouterr().out
    assert "of which the CDN path, 100,000,000 real-time log lines a day:" in table
    assert "real-time log lines" in table and "$30.42" in table


def test_without_the_option_there_is_no_cdn_path_and_a_bad_number_is_one_line(capsys):
    assert main(["cost", "--events-per-day", "10M", "--format", "json"]) == 0
    assert "cdn_path" not in json.loads(capsys.readouterr().out)
    with pytest.raises(SystemExit) as caught:
        main(["cost", "--cdn-log-lines", "lots"])
    assert caught.value.code == 2
    assert "argument --cdn-log-lines: 'lots' is not a number" in capsys.readouterr().err
