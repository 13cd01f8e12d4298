"""`sluice cost` and `sluice plan`: the model's arithmetic, the price files, the budget check
(part of make test: bytes re-measured with the fixed seed, CPU from the committed bench output)."""

from __future__ import annotations

import argparse
import copy
import json
from dataclasses import replace
from pathlib import Path

import pytest
from sluice_tools.cli import cost as cost_cli
from sluice_tools.cli.main import main
from sluice_tools.cost import prices, stage_cpu, traffic
from sluice_tools.cost.model import Deployment, monthly
from sluice_tools.cost.plan import PlanError, plan

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.usefixtures("priced_region")  # tests/unit/conftest.py, with profile


@pytest.mark.parametrize("source", cost_cli.BUDGET_SOURCES)
def test_the_modelled_cost_per_million_events_is_within_the_committed_budget_per_source(source):
    book = prices.load(cost_cli.DEFAULT_REGION)
    measured = traffic.measure(traffic.generated_events(), source)
    current = cost_cli.budget_figures(measured, stage_cpu.load(), book, source)
    baseline = json.loads(cost_cli.baseline_path().read_text())["sources"][source]
    reasons = cost_cli.check_budget(current, baseline)
    assert reasons == [], "\n".join(reasons)


def test_a_rise_over_five_percent_fails_and_names_its_cause(profile):
    baseline = json.loads(cost_cli.baseline_path().read_text())["sources"]["sdk"]
    fatter = replace(profile, lake_bytes=int(profile.lake_bytes * 8), lake_gzip_bytes=profile.lake_gzip_bytes * 8)
    current = cost_cli.budget_figures(fatter, stage_cpu.load(), prices.load(cost_cli.DEFAULT_REGION))
    reasons = cost_cli.check_budget(current, baseline)
    assert reasons and "rose" in reasons[0]
    assert any(r.startswith("Firehose:") for r in reasons)
    assert any(r.startswith("lake line bytes per event") for r in reasons)
    # within 5%: passes
    slightly = copy.deepcopy(baseline)
    slightly["usd_per_million_events"] *= 1.04
    assert cost_cli.check_budget(slightly, baseline) == []


def test_every_price_file_prices_everything_and_cites_its_page(profile):
    keys = None
    for region in prices.regions():
        book = prices.load(region)
        assert book.as_of and book.region == region
        for key, price in book.prices.items():
            assert price["source"].startswith("https://aws.amazon.com/"), key
            assert price["usd"] > 0 and price["per"], key
        keys = keys or set(book.prices)
        assert set(book.prices) == keys, region
        estimate = monthly(100e6, profile, stage_cpu.load(), book)
        assert estimate.total > 0


def test_the_model_defaults_are_what_terraform_deploys():
    recorded = json.loads((ROOT / "terraform/generated/local-settings.json").read_text())["triggers"]
    d = Deployment()
    for stage in ("processor", "indexer", "monitor", "loader"):
        trigger = getattr(d, stage)
        assert trigger.batch_size == recorded[stage]["batch_size"], stage
        assert trigger.batching_window_seconds == recorded[stage]["batching_window_seconds"], stage
        if "parallelization_factor" in recorded[stage]:
            assert trigger.parallelization_factor == recorded[stage]["parallelization_factor"], stage
    lake = (ROOT / "terraform/modules/pipeline/variables.tf").read_text()
    assert (
        "lake_buffering_seconds = optional(number, 60)" in lake
        and "lake_buffering_mb      = optional(number, 128)" in lake
    )


def test_aggregation_and_packing_cut_the_bill_of_the_naive_design(profile):
    book, cpu = prices.load("eu-west-1"), stage_cpu.load()
    packed = monthly(100e6, profile, cpu, book)
    naive = monthly(100e6, profile, cpu, book, deployment=Deployment().naive())
    assert packed.by_service()["Firehose"] < naive.by_service()["Firehose"] / 1.5  # 5 KB rounding per line
    # KPL: one raw record per request (the SDK's requests hold few events), and clean records
    # packed per shard from each processor invocation.
    assert packed.usage.raw_records < naive.usage.raw_records
    assert packed.usage.clean_records < naive.usage.clean_records / 5
    assert packed.by_service()["Kinesis"] < naive.by_service()["Kinesis"]
    assert packed.total < naive.total
    # Twice the events, about twice the pipeline (the clusters are sized for the volume apart).
    double = monthly(200e6, profile, cpu, book)

    def pipeline(e):
        return sum(v for s, v in e.by_service().items() if s not in ("OpenSearch", "Redshift"))

    assert pipeline(double) == pytest.approx(2 * pipeline(packed), rel=0.1)


def test_plan_sizes_shards_for_the_peak_and_refuses_a_latency_under_the_floor(profile):
    book, cpu = prices.load("eu-west-1"), stage_cpu.load()
    small = plan(100e6, profile, cpu, book, peak_factor=4, target_latency_s=120)
    large = plan(1e9, profile, cpu, book, peak_factor=4, target_latency_s=120)
    assert 1 <= small.deployment.raw_shards < large.deployment.raw_shards
    peak_records = large.peak_events_per_s * profile.clean_events / profile.events
    assert large.deployment.clean_shards * 1000 * 0.8 >= peak_records
    assert small.deployment.lake_buffer_seconds == 120 - 11 and small.warehouse_latency_s == 120
    assert small.estimate.total >= small.slowest_estimate.total  # a lower latency never costs less
    with pytest.raises(PlanError, match="floor of 71 s"):
        plan(100e6, profile, cpu, book, peak_factor=4, target_latency_s=30)
    capacity = small.tfvars()["capacity"]
    assert set(capacity) == {
        "on_demand_streams",
        "raw_shards",
        "clean_shards",
        "processor",
        "indexer",
        "monitor",
        "memory_mb",
        "lake_buffering_seconds",
        "lake_buffering_mb",
    }


def test_events_per_day_reads_suffixes():
    assert cost_cli.events_per_day("100M") == 100e6
    assert cost_cli.events_per_day("2.5B") == 2.5e9
    assert cost_cli.events_per_day("500k") == 500e3
    for bad in ("lots", "-1", "0"):
        with pytest.raises(argparse.ArgumentTypeError):
            cost_cli.events_per_day(bad)


def test_cost_command_prints_json_per_service(capsys):
    assert main(["cost", "--events-per-day", "10M", "--region", "us-east-1", "--format", "json"]) == 0
    out = json.loads(capsys.readouterr().out)
    assert out["region"] == "us-east-1" and out["events_per_day"] == 10e6
    assert {"Kinesis", "Lambda", "Firehose", "API Gateway", "Redshift", "OpenSearch"} <= set(out["services"])
    assert out["inputs"]["bytes_per_event"]["avro_record"] > 100
    assert sum(s["monthly_usd"] for s in out["services"].values()) == pytest.approx(out["monthly_usd"], abs=0.1)


def test_cost_command_errors_are_one_line(tmp_path, capsys):
    bad = tmp_path / "events.jsonl"
    bad.write_text('{"event_type": "play"}\nnot json\n')
    assert main(["cost", "--traffic", str(bad)]) == 2
    assert "line 2: not JSON" in capsys.readouterr().err
    assert main(["cost", "--region", "mars-north-1"]) == 2
    assert "no price file for region 'mars-north-1'" in capsys.readouterr().err


def test_plan_command_writes_the_tfvars_file(tmp_path, capsys):
    out = tmp_path / "capacity.auto.tfvars.json"
    assert main(["plan", "--events-per-day", "100M", "--target-latency", "300", "-o", str(out)]) == 0
    capacity = json.loads(out.read_text())["capacity"]
    assert capacity["on_demand_streams"] is False and capacity["lake_buffering_seconds"] == 289
    assert "this latency costs" in capsys.readouterr().out
