"""Everything the stacks deploy is priced; the assumptions are the user's to change; the clusters
are sized from the retention; the levers and the goals."""

from __future__ import annotations

import json
import re
from dataclasses import replace
from pathlib import Path

import hcl2
import pytest
from sluice_tools.cli.main import main
from sluice_tools.cost import cdn_path, levers, prices, stage_cpu, traffic
from sluice_tools.cost.model import (
    RESOURCE_PRICES,
    SEARCH_STORAGE_FACTOR,
    STAGE_METRICS,
    AssumptionError,
    Assumptions,
    Deployment,
    assume,
    metric_series,
    monthly,
)
from sluice_tools.cost.plan import plan
from sluice_tools.sdk.delivery import policy

ROOT = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.usefixtures("priced_region")  # tests/unit/conftest.py, with events and profile


def _resource_types() -> set[str]:
    types = set()
    for path in sorted((ROOT / "terraform/modules").rglob("*.tf")):
        with path.open() as handle:
            for block in hcl2.load(handle).get("resource", []):
                types.update(name.strip('"') for name in block)  # python-hcl2 keeps a label's quotes
    return types


def test_every_resource_type_the_stacks_create_is_priced_or_named_free(profile):
    # GIVEN every resource type terraform/modules creates
    types = _resource_types()
    assert {"aws_kinesis_stream", "aws_lambda_function", "aws_opensearch_domain"} <= types
    # THEN each has a price line or is named free
    unpriced = sorted(types - set(RESOURCE_PRICES))
    assert not unpriced, f"resource types with no price line and not named free in RESOURCE_PRICES: {unpriced}"
    # AND every price it names is in each region's file and is on a line of some deployment's bill
    book, cpu = prices.load("eu-west-1"), stage_cpu.load()
    estimates = [
        cdn_path.with_cdn_path(
            monthly(100e6, profile, cpu, book), cdn_path.CdnPath(10e6, cdn_path.measure()), cpu, book
        ),
        # The options off by default, on: priced when on
        monthly(
            100e6, profile, cpu, book, deployment=Deployment(warehouse="serverless", search_warm_days=10, tracing=True)
        ),
    ]
    billed = {line.price_key for e in estimates for line in e.lines}
    for kind in types:
        for key in RESOURCE_PRICES[kind]:
            for name in prices.regions():
                assert key in prices.load(name).prices, (kind, key, name)
            assert key in billed, f"{kind}: {key} is on no line of the bill"


def test_every_metric_the_stages_add_is_a_counted_series():
    # GIVEN the names the stages' code adds to its Metrics (literal names, f-string prefixes)
    added = set()
    for path in (ROOT / "shared/src/sluice").rglob("*.py"):
        text = path.read_text()
        if "Metrics" not in text and "metrics" not in text:
            continue
        added.update(re.findall(r'\b(?:m|metrics|self\.metrics)\.add\(\s*"([A-Za-z]+)"', text))
        added.update(f"{prefix}." for prefix in re.findall(r'\b(?:m|metrics)\.add\(\s*f"([A-Za-z]+)\.\{', text))
    assert {"EventsAccepted", "RecordsProcessed", "FailedEvents.", "DocumentsIndexed", "ObjectsLoaded"} <= added
    counted = {name.split("{")[0] for names in STAGE_METRICS.values() for name in names}
    # THEN the model counts each of them
    assert added - counted == set()
    # AND the series: each stage metric once per Stage, each health metric per dimension value
    series = metric_series(Assumptions())
    assert series.stage == 45
    assert series.health == 11 * (1 + 4 + 20 + 6)
    wide = metric_series(assume(["health_player_versions=1000"]))
    assert wide.health == 11 * (1 + 4 + 101 + 6)  # bounded by the monitor's 100 values and "other"


def test_assumptions_change_by_name_typed_and_refuse_bad_ones(capsys):
    a = assume(["vpc_egress=yours", "health_player_versions=50", "xray_sampling_rate=0.01"])
    assert (a.vpc_egress, a.health_player_versions, a.xray_sampling_rate) == ("yours", 50, 0.01)
    for bad, message in (
        ("nope=1", "no such assumption"),
        ("health_player_versions=many", "not an int"),
        ("vpc_egress=moon", "one of endpoints, nat, yours"),
        ("aws_call_ms=-1", "at least 0"),
        ("aws_call_ms", "expected key=value"),
    ):
        with pytest.raises(AssumptionError, match=message):
            assume([bad])
    # The command: one line, exit 2, before any traffic is measured
    assert main(["cost", "--assume", "nope=1"]) == 2
    err = capsys.readouterr().err
    assert "--assume nope: no such assumption; there are: aws_call_ms" in err and len(err.strip().splitlines()) == 1


def test_an_assumption_changes_the_bill(profile):
    book, cpu = prices.load("eu-west-1"), stage_cpu.load()
    base = monthly(100e6, profile, cpu, book)
    mine = monthly(100e6, profile, cpu, book, assumptions=assume(["vpc_egress=yours"]))
    nat = monthly(100e6, profile, cpu, book, assumptions=assume(["vpc_egress=nat"]))
    assert "VPC" in base.by_service() and "VPC" not in mine.by_service()
    assert nat.by_service()["VPC"] > base.by_service()["VPC"]
    wide = monthly(100e6, profile, cpu, book, assumptions=assume(["health_player_versions=100"]))
    assert wide.by_service()["CloudWatch"] > base.by_service()["CloudWatch"]
    traced = monthly(100e6, profile, cpu, book, deployment=Deployment(tracing=True))
    assert "X-Ray" in traced.by_service() and "X-Ray" not in base.by_service()


def _variable_defaults(path: Path) -> dict[str, object]:
    """Each variable's default, as python-hcl2 reads them (it keeps labels' and strings' quotes)."""
    with path.open() as handle:
        blocks = hcl2.load(handle)["variable"]
    defaults = {name.strip('"'): body.get("default") for block in blocks for name, body in block.items()}
    return {name: value.strip('"') if isinstance(value, str) else value for name, value in defaults.items()}


def _logs_gb(estimate, item: str = "logs ingested") -> float:
    return sum(line.quantity for line in estimate.lines if line.item.startswith(item))


def test_lambdas_own_lines_and_tracing_are_priced_as_terraform_deploys_them(events, profile):
    # GIVEN the defaults the pipeline module and the real stack deploy
    for stack in ("terraform/modules/pipeline", "terraform/envs/aws"):
        defaults = _variable_defaults(ROOT / stack / "variables.tf")
        # THEN the model prices the same: Lambda's system log level and X-Ray tracing
        assert defaults["system_log_level"] == Deployment().system_log_level == "WARN", stack
        assert defaults["enable_tracing"] is Deployment().tracing is False, stack
    book, cpu = prices.load("eu-west-1"), stage_cpu.load()
    base = monthly(100e6, profile, cpu, book)
    info = monthly(100e6, profile, cpu, book, deployment=Deployment(system_log_level="INFO"))
    invocations = sum(line.quantity for line in base.lines if line.price_key == "lambda.request")
    # AND at INFO every invocation adds Lambda's START/END/REPORT bytes (the named assumption)
    platform = Assumptions().platform_log_bytes_per_invocation
    assert _logs_gb(info) - _logs_gb(base) == pytest.approx(invocations * platform / 1e9)
    assert "START/END/REPORT" in next(line.item for line in info.lines if line.item.startswith("logs ingested"))
    assert "START/END/REPORT" not in next(line.item for line in base.lines if line.item.startswith("logs ingested"))
    # AND the assumption is the user's to change, at the level that writes those lines
    small = monthly(
        100e6,
        profile,
        cpu,
        book,
        deployment=Deployment(system_log_level="INFO"),
        assumptions=assume(["platform_log_bytes_per_invocation=100"]),
    )
    assert _logs_gb(small) - _logs_gb(base) == pytest.approx(invocations * 100 / 1e9)
    # AND the CDN path's processor logs follow the same setting
    cdn = traffic.measure(events, "cdn-logs")
    a = Assumptions()
    warn = levers.cdn_estimate(100e6, cdn, cpu, book, deployment=Deployment(), assumptions=a)
    loud = levers.cdn_estimate(100e6, cdn, cpu, book, deployment=Deployment(system_log_level="INFO"), assumptions=a)
    cdn_invocations = next(line.quantity for line in warn.cdn_items if line.item.startswith("processor requests"))
    assert _logs_gb(loud, "processor logs") - _logs_gb(warn, "processor logs") == pytest.approx(
        cdn_invocations * platform / 1e9
    )
    assert "X-Ray" not in warn.by_service()


def test_opensearch_is_sized_from_retention_daily_bytes_and_replicas(profile):
    # GIVEN 100M documents a day of the measured bulk size, 30 days, one replica
    book, cpu = prices.load("eu-west-1"), stage_cpu.load()
    estimate = monthly(100e6, profile, cpu, book)
    daily_gb = 100e6 * profile.bulk_bytes / profile.clean_events / 1e9
    assert daily_gb == pytest.approx(122, rel=0.05)
    storage = next(line for line in estimate.lines if line.price_key == "opensearch.gp3_gb_month")
    # THEN the volumes hold retention x daily bytes x 2 copies by AWS's rule (x 1.45): ~10.7 TB, not 200 GB
    needed = 30 * daily_gb * 2 * SEARCH_STORAGE_FACTOR
    assert storage.quantity >= needed * 0.99 and needed > 9_600
    # AND 7 days hot costs less; UltraWarm for the rest is priced when chosen
    week = monthly(100e6, profile, cpu, book, deployment=Deployment(search_hot_days=7))
    warm = monthly(100e6, profile, cpu, book, deployment=Deployment(search_hot_days=7, search_warm_days=23))
    assert week.by_service()["OpenSearch"] < warm.by_service()["OpenSearch"] < estimate.by_service()["OpenSearch"]
    assert any("UltraWarm" in line.item for line in warm.lines)
    # AND the warehouse's storage after 12 months is on the bill
    assert any(
        line.price_key == "redshift.managed_storage_gb_month" and line.quantity > 1000 for line in estimate.lines
    )


def test_plan_writes_the_variables_envs_aws_declares(profile, tmp_path):
    result = plan(100e6, profile, stage_cpu.load(), prices.load("eu-west-1"), peak_factor=4, target_latency_s=120)
    tfvars = result.tfvars()
    with (ROOT / "terraform/envs/aws/variables.tf").open() as handle:
        declared = {name.strip('"') for block in hcl2.load(handle)["variable"] for name in block}
    assert set(tfvars) <= declared, sorted(set(tfvars) - declared)
    assert tfvars["search_instance_count"] * tfvars["search_volume_gb"] >= result.search.needed_gb
    assert tfvars["search_instance_count"] % 2 == 0 and tfvars["search_volume_gb"] >= 10
    assert tfvars["warehouse_kind"] in ("provisioned", "serverless")
    # The choices are the cheaper of each pair as the model prices them
    other = result.alternatives
    assert tfvars["capacity"]["on_demand_streams"] == (other["streams on-demand"] < other["streams provisioned"])
    assert (tfvars["warehouse_kind"] == "serverless") == (
        other["warehouse serverless"] < other["warehouse provisioned"]
    )
    # Serverless loses to nodes when its loads never let it rest (a 60 s lake buffer at this volume)
    busy = replace(result.deployment, warehouse="serverless", lake_buffer_seconds=60)
    e = monthly(100e6, profile, stage_cpu.load(), prices.load("eu-west-1"), deployment=busy)
    assert any(line.price_key == "redshift.serverless_rpu_hour" and line.quantity == 8 * 730 for line in e.lines)
    out = tmp_path / "capacity.auto.tfvars.json"
    assert main(["plan", "--search-hot-days", "7", "--search-warm-days", "23", "-o", str(out)]) == 0
    written = json.loads(out.read_text())
    assert written["search_hot_retention_days"] == 7 and written["search_warm_enabled"] is True


def test_each_lever_saves_and_a_missed_goal_says_what_it_would_take(events, profile):
    book, cpu = prices.load("eu-west-1"), stage_cpu.load()
    heartbeats = traffic.measure(events, "sdk", policy("heartbeats"))
    assert heartbeats.events_per_request > 3 * profile.events_per_request
    sized = plan(100e6, profile, cpu, book, peak_factor=4, target_latency_s=120).deployment
    savings = {
        lever.name: (off, on)
        for lever, off, on in levers.lever_savings(
            100e6, profile, heartbeats, cpu, book, base=sized, assumptions=Assumptions()
        )
    }
    for name, (off, on) in savings.items():
        assert on < off, name
    # Each lever is priced against the deployment without it alone: keeping the streams 24 h saves
    # their retention past 24 h and nothing else (not X-Ray, now off by default)
    kept = monthly(100e6, profile, cpu, book, deployment=replace(sized, retention_hours=48))
    retention = sum(line.usd for line in kept.lines if "retention past 24 h" in line.item)
    off, on = savings["streams kept 24 h"]
    assert off - on == pytest.approx(retention)
    assert {"X-Ray tracing off", "Lambda's platform lines dropped"} <= set(savings)
    results = levers.goals(
        100e6,
        {"sdk": profile, "sdk-heartbeats": heartbeats, "cdn-logs": traffic.measure(events, "cdn-logs")},
        cpu,
        book,
    )
    by = {(r.source, r.design): r for r in results}
    naive, deployed, best = (by["sdk", d] for d in ("naive", "as deployed", "with the levers"))
    assert best.all_in_per_million < deployed.all_in_per_million < naive.all_in_per_million
    for r in results:
        if r.design == "with the levers" and not all(r.met):
            assert r.what_it_would_take, r.source


def test_the_cost_command_prices_lambdas_lines_and_tracing_when_asked(capsys):
    # GIVEN the stages as deployed, then with Lambda's platform lines and X-Ray on
    assert main(["cost", "--format", "json"]) == 0
    deployed = json.loads(capsys.readouterr().out)
    assert main(["cost", "--format", "json", "--system-log-level", "INFO", "--tracing"]) == 0
    loud = json.loads(capsys.readouterr().out)
    # THEN only the second bill has X-Ray and Lambda's START/END/REPORT in its logs, and costs more
    items = [
        [line["item"] for line in bill["lines"] if line["item"].startswith("logs ingested")]
        for bill in (deployed, loud)
    ]
    assert "START/END/REPORT" not in items[0][0] and "START/END/REPORT" in items[1][0]
    assert "X-Ray" not in deployed["services"] and loud["services"]["X-Ray"]["monthly_usd"] > 0
    assert loud["services"]["CloudWatch"]["monthly_usd"] > 1.5 * deployed["services"]["CloudWatch"]["monthly_usd"]
