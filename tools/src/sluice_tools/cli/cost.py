"""``sluice cost`` and ``sluice plan``: what a traffic costs a month on AWS, per service, and the
capacity settings for it; both from traffic measured with the stages' own code."""

from __future__ import annotations

import argparse
import json
import math
import re
from importlib import resources
from pathlib import Path
from typing import Any

from sluice_tools.cli.errors import UsageError
from sluice_tools.cli.options import add_format, print_json

__all__ = [
    "BUDGET_EVENTS_PER_DAY",
    "BUDGET_FILE",
    "BUDGET_SOURCES",
    "BUDGET_TOLERANCE",
    "DEFAULT_REGION",
    "baseline_path",
    "budget_figures",
    "check_budget",
    "events_per_day",
    "register",
]

DEFAULT_REGION = "eu-west-1"
BUDGET_FILE = "data/budget.json"
BUDGET_EVENTS_PER_DAY = 100e6
BUDGET_TOLERANCE = 0.05
# The budget is kept per source: each sends its events in its own requests (cost.sources).
BUDGET_SOURCES = ("sdk", "cmcd", "cdn-logs")


def events_per_day(text: str) -> float:
    """100M, 2.5B, 500k or a plain number."""
    match = re.fullmatch(r"\s*([0-9]+(?:\.[0-9]+)?(?:e[0-9]+)?)\s*([kKmMbB]?)\s*", text)
    if not match:
        raise argparse.ArgumentTypeError(f"{text!r} is not a number of events (e.g. 100M, 2.5B, 500k)")
    value = float(match.group(1)) * {"": 1, "k": 1e3, "m": 1e6, "b": 1e9}[match.group(2).lower()]
    if value <= 0:
        raise argparse.ArgumentTypeError("the number of events must be above 0")
    return value


def _positive_float(text: str) -> float:
    # float() also reads "nan", "inf" and any script's digits: a number here is finite and ASCII.
    try:
        value = float(text) if text.isascii() else math.nan
    except ValueError:
        value = math.nan
    if not math.isfinite(value):
        raise argparse.ArgumentTypeError(f"{text!r} is not a finite number")
    if value <= 0:
        raise argparse.ArgumentTypeError(f"{text} is not above 0")
    return value


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    cost = commands.add_parser(
        "cost",
        help="the monthly AWS bill for a traffic, per service and per million events",
        description="Price a month of Sluice on AWS: every service the stack deploys, from bytes measured by sending "
        "traffic through the stages' own code, CPU time per record from `make bench`, and the region's dated price file.",
    )
    _common(cost)
    cost.add_argument(
        "--streams",
        choices=("on-demand", "provisioned"),
        default="on-demand",
        help="Kinesis capacity mode (default: on-demand, as deployed; provisioned sizes shards for the peak)",
    )
    cost.add_argument("--naive", action="store_true", help="also price the one-event-per-record design beside it")
    cost.add_argument(
        "--system-log-level",
        choices=("DEBUG", "INFO", "WARN"),
        default="WARN",
        help="the stages' system_log_level (default: WARN, as deployed: no START/END/REPORT lines; INFO or DEBUG "
        "add platform_log_bytes_per_invocation to every invocation's logs)",
    )
    cost.add_argument(
        "--tracing",
        action="store_true",
        help="price X-Ray active tracing on every stage (enable_tracing = true; off as deployed)",
    )
    cost.add_argument(
        "--cdn-log-lines",
        type=events_per_day,
        metavar="N",
        help="also price the CDN path for N CloudFront real-time log lines a day (requests x the sampling rate), "
        "e.g. 100M: the lines, their Kinesis stream and key, and the processor reading them",
    )
    cost.add_argument(
        "--check-budget",
        action="store_true",
        help="fail when the cost per million events at 100M/day is over 5%% above the committed baseline",
    )
    cost.add_argument(
        "--write-baseline",
        action="store_true",
        help="record the cost per million events at 100M/day as the new budget baseline",
    )
    cost.add_argument(
        "--goals",
        action="store_true",
        help="price the levers and the goals at 100M events a day with every feature on, per source "
        "(sdk, cdn-logs): the naive design, as deployed and with the levers, what a missed goal would take",
    )
    cost.set_defaults(run=_cost)

    plan = commands.add_parser(
        "plan",
        help="shards, batching, memory and Firehose buffering for a peak and a target latency, as tfvars",
        description="Size Sluice for a traffic: Kinesis shards for the peak, the event source mappings' batch size, "
        "window and parallelization, Lambda memory and the lake Firehose buffer for a target end-to-end latency "
        "(accepted -> warehouse row). Writes a tfvars file that terraform/envs/aws reads.",
    )
    _common(plan)
    plan.add_argument(
        "--target-latency",
        type=_positive_float,
        default=120,
        metavar="SECONDS",
        help="accepted -> warehouse row, seconds (default: 120; the floor is 71)",
    )
    plan.add_argument(
        "-o",
        "--output",
        default="terraform/envs/aws/capacity.auto.tfvars.json",
        help="tfvars file to write (default: %(default)s)",
    )
    plan.add_argument(
        "--search-hot-days",
        type=int,
        default=30,
        metavar="DAYS",
        help="days the event indices stay on the data nodes (default: 30; the lake keeps every event)",
    )
    plan.add_argument(
        "--search-warm-days",
        type=int,
        default=0,
        metavar="DAYS",
        help="days more in UltraWarm after the hot days (default: 0, no UltraWarm)",
    )
    plan.set_defaults(run=_plan)


def _common(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--events-per-day",
        type=events_per_day,
        default=BUDGET_EVENTS_PER_DAY,
        metavar="N",
        help="events a day, e.g. 100M (default: 100M)",
    )
    parser.add_argument(
        "--peak-factor", type=_positive_float, default=4.0, help="peak rate over the day's average (default: 4)"
    )
    parser.add_argument(
        "--traffic",
        help="measure your own events (JSON lines, as `sluice generate` writes) instead of generated traffic",
    )
    parser.add_argument(
        "--source",
        choices=("sdk", "cmcd", "cdn-logs", "file"),
        help="what sends the events, and so how many a request carries (sluice_tools.cost.sources): sdk, the web "
        "SDK's delivery rule over generated sessions (default); cmcd, the players' CMCD reports as the README "
        "configures them (one a request); cdn-logs, CloudFront real-time log lines (one per media request, "
        "none through ingest); file, the events of --traffic through the SDK's rule (the default with --traffic)",
    )
    parser.add_argument(
        "--delivery-policy",
        choices=("interval", "heartbeats"),
        default="interval",
        help="the SDK's deliveryPolicy for sdk and file (default: interval, a flush every 2 s; heartbeats: "
        "batched across heartbeats, at most one monitor window late)",
    )
    parser.add_argument("--prices", help="a price file of the same shape as sluice/cost/data/prices/<region>.json")
    parser.add_argument(
        "--assume",
        action="append",
        default=[],
        metavar="KEY=VALUE",
        help="change one of the model's assumptions (sluice_tools.cost.model.Assumptions), e.g. vpc_egress=yours, "
        "health_player_versions=50, platform_log_bytes_per_invocation=600; repeatable",
    )
    add_format(parser)


def _assumptions(args: argparse.Namespace) -> Any:
    """The model's assumptions with --peak-factor and each --assume applied (a bad one: a usage
    error); from here on the peak factor is read from them alone."""
    from dataclasses import replace

    from sluice_tools.cost.model import AssumptionError, Assumptions, assume

    try:
        return assume(args.assume, replace(Assumptions(), peak_factor=args.peak_factor))
    except AssumptionError as exc:
        raise UsageError(str(exc)) from None


def _inputs(args: argparse.Namespace) -> tuple[Any, Any, Any]:
    from sluice.aws.region import region as aws_region
    from sluice_tools.cost import prices, stage_cpu, traffic

    region = aws_region() or DEFAULT_REGION
    try:
        book = prices.load(region, Path(args.prices) if args.prices else None)
    except (ValueError, FileNotFoundError) as exc:
        raise UsageError(str(exc)) from None
    from sluice_tools.sdk.delivery import policy

    source, delivery = _source(args), policy(args.delivery_policy)
    if args.traffic:
        try:
            with open(args.traffic, encoding="utf-8") as lines:
                events = traffic.read_traffic(lines)
            profile = traffic.measure(events, source, delivery)
        except (OSError, ValueError) as exc:
            raise UsageError(f"--traffic {args.traffic}: {exc}") from None
    else:
        profile = traffic.measure(traffic.generated_events(), source, delivery)
    return profile, stage_cpu.load(), book


def _source(args: argparse.Namespace) -> str:
    """--source, by default sdk (file with --traffic); file needs --traffic."""
    source = getattr(args, "source", None) or ("file" if args.traffic else "sdk")
    if source == "file" and not args.traffic:
        raise UsageError("--source file measures the events of --traffic FILE: give it")
    return str(source)


def _deployment(args: argparse.Namespace, profile: Any, assumptions: Any) -> Any:
    from dataclasses import replace

    from sluice_tools.cost.model import Deployment
    from sluice_tools.cost.plan import shards_for

    deployment = Deployment(
        system_log_level=getattr(args, "system_log_level", "WARN"), tracing=getattr(args, "tracing", False)
    )
    if getattr(args, "streams", "on-demand") == "provisioned":
        peak = args.events_per_day / 86_400 * assumptions.peak_factor
        p = profile
        deployment = replace(
            deployment,
            streams="provisioned",
            raw_shards=shards_for(peak * p.raw_records_kpl / p.events, peak * p.raw_bytes_kpl / p.events),
            clean_shards=shards_for(peak * p.clean_events / p.events, peak * p.clean_bytes / p.events),
        )
    return deployment


def _cost(args: argparse.Namespace) -> int:
    from sluice_tools.cost.model import monthly

    if args.check_budget or args.write_baseline:
        return _budget(args)
    if args.goals:
        return _goals(args)
    from dataclasses import replace

    from sluice_tools.cost import sources

    assumptions = _assumptions(args)
    profile, cpu, book = _inputs(args)
    deployment = _deployment(args, profile, assumptions)
    if sources.skips_ingest(_source(args)):
        # Every event a CloudFront log line: the CDN path in place of the edge, the API, ingest and
        # the raw stream (the processor's reading of the lines is the CDN path's).
        args.cdn_log_lines = args.cdn_log_lines or args.events_per_day
        deployment = replace(deployment, ingest="none")
    estimate = monthly(args.events_per_day, profile, cpu, book, deployment=deployment, assumptions=assumptions)
    naive = (
        monthly(args.events_per_day, profile, cpu, book, deployment=deployment.naive(), assumptions=assumptions)
        if args.naive
        else None
    )
    cdn = _cdn_path(args, assumptions) if args.cdn_log_lines else None
    if cdn is not None:
        from sluice_tools.cost.cdn_path import with_cdn_path

        estimate = with_cdn_path(estimate, cdn, cpu, book, assumptions=assumptions)
        naive = with_cdn_path(naive, cdn, cpu, book, assumptions=assumptions) if naive else None
    if args.format == "json":
        out = {**estimate.to_dict(), "inputs": _inputs_dict(profile, cpu, book)}
        if cdn is not None:
            out["inputs"]["cdn_log_line_bytes"] = round(cdn.sample.mean_bytes, 1)
        if naive:
            out["naive"] = naive.to_dict()
        print_json(out)
        return 0
    _print_estimate(estimate, naive)
    _print_inputs(profile, cpu, book)
    return 0


def _cdn_path(args: argparse.Namespace, assumptions: Any) -> Any:
    from sluice_tools.cost import cdn_path
    from sluice_tools.cost.plan import shards_for

    sample = cdn_path.measure()
    if getattr(args, "streams", "on-demand") != "provisioned":
        return cdn_path.CdnPath(args.cdn_log_lines, sample)
    peak = args.cdn_log_lines / 86_400 * assumptions.peak_factor
    shards = shards_for(peak, peak * sample.mean_bytes)
    return cdn_path.CdnPath(args.cdn_log_lines, sample, streams="provisioned", shards=shards)


def _print_estimate(estimate: Any, naive: Any = None) -> None:
    print(
        f"Sluice on AWS, {estimate.region}: {estimate.events_per_day:,.0f} events a day ({estimate.events_per_month / 1e9:.2f} billion a month), prices of {estimate.prices_as_of}\n"
    )
    services = sorted(estimate.by_service().items(), key=lambda kv: -kv[1])
    naive_by = naive.by_service() if naive else {}
    header = f"{'service':<24}{'per month':>14}{'per million':>14}"
    if naive:
        header += f"{'naive design':>16}{'per million':>14}"
    print(header)
    for service, usd in services:
        row = f"{service:<24}{_usd(usd):>14}{_usd(estimate.per_million(usd), 4):>14}"
        if naive:
            other = naive_by.get(service, 0.0)
            row += f"{_usd(other):>16}{_usd(naive.per_million(other), 4):>14}"
        print(row)
    total = f"{'total':<24}{_usd(estimate.total):>14}{_usd(estimate.per_million(estimate.total), 4):>14}"
    if naive:
        total += f"{_usd(naive.total):>16}{_usd(naive.per_million(naive.total), 4):>14}"
    print(total)
    if estimate.cdn_items:
        print(
            f"\nof which the CDN path, {estimate.cdn_log_lines_per_day:,.0f} real-time log lines a day: "
            f"{_usd(estimate.cdn_total)} a month, {_usd(estimate.cdn_per_million_lines(estimate.cdn_total), 4)} per million lines"
        )
        for line in estimate.cdn_items:
            print(f"  {line.service:<12}{line.item:<48}{line.quantity:>18,.1f} {line.unit:<12}{_usd(line.usd):>12}")
    print()
    for note in estimate.notes:
        print(f"  - {note}")


def _usd(value: float, places: int = 2) -> str:
    return f"${value:,.{places}f}"


def _inputs_dict(profile: Any, cpu: Any, book: Any) -> dict[str, Any]:
    p = profile
    return {
        "sample_events": p.events,
        "events_per_request": round(p.events_per_request, 2),
        "bytes_per_event": {
            "wire": round(p.per_event(p.wire_bytes), 1),
            "avro_record": round(p.per_event(p.raw_bytes_plain), 1),
            "kpl_aggregate": round(p.per_event(p.raw_bytes_kpl), 1),
            "clean_record": round(p.clean_bytes / p.clean_events, 1),
            "lake_line": round(p.lake_bytes / p.lake_events, 1),
            "lake_line_gzipped": round(p.lake_gzip_bytes / p.lake_events, 1),
            "bulk_document": round(p.bulk_bytes / p.clean_events, 1),
        },
        "cpu_us_per_record": cpu.us_per_record,
        "cpu_measured_on": cpu.measured_on,
        "prices": book.path,
        "prices_as_of": book.as_of,
    }


def _print_inputs(profile: Any, cpu: Any, book: Any) -> None:
    i = _inputs_dict(profile, cpu, book)
    sizes = ", ".join(f"{k.replace('_', ' ')} {v:,.0f} B" for k, v in i["bytes_per_event"].items())
    print(f"  - measured on {i['sample_events']:,} events ({i['events_per_request']} per request): {sizes}")
    print(
        f"  - CPU per record ({cpu.measured_on}): " + ", ".join(f"{k} {v:.1f} us" for k, v in cpu.us_per_record.items())
    )
    print(f"  - prices: {book.path} ({book.as_of}); every price cites its page")


# --- the budget -------------------------------------------------------------------------------


def baseline_path() -> Path:
    return Path(str(resources.files("sluice_tools.cost").joinpath(BUDGET_FILE)))


def budget_figures(profile: Any, cpu: Any, book: Any, source: str = "sdk") -> dict[str, Any]:
    """The cost per million events at 100M a day of ``source``'s traffic (``profile`` measured in
    its requests), as deployed; cdn-logs: the CDN path in place of ingest."""
    from sluice_tools.cost.model import Deployment, monthly
    from sluice_tools.cost.sources import skips_ingest

    if skips_ingest(source):
        from sluice_tools.cost.cdn_path import CdnPath, measure, with_cdn_path

        estimate = monthly(BUDGET_EVENTS_PER_DAY, profile, cpu, book, deployment=Deployment(ingest="none"))
        estimate = with_cdn_path(estimate, CdnPath(BUDGET_EVENTS_PER_DAY, measure()), cpu, book)
    else:
        estimate = monthly(BUDGET_EVENTS_PER_DAY, profile, cpu, book)
    variable = {s: v for s, v in estimate.by_service().items() if s not in ("OpenSearch", "Redshift")}
    return {
        "events_per_day": BUDGET_EVENTS_PER_DAY,
        "region": book.region,
        "usd_per_million_events": round(estimate.per_million(estimate.total), 5),
        "services": {s: round(estimate.per_million(v), 5) for s, v in sorted(variable.items())},
        "inputs": _inputs_dict(profile, cpu, book),
    }


def check_budget(current: dict[str, Any], baseline: dict[str, Any], tolerance: float = BUDGET_TOLERANCE) -> list[str]:
    """Why the current cost per million is over the baseline by more than ``tolerance`` (empty: within)."""
    now, then = current["usd_per_million_events"], baseline["usd_per_million_events"]
    if now <= then * (1 + tolerance):
        return []
    reasons = [
        f"the modelled cost per million events rose {now / then - 1:.1%} (${then:.4f} -> ${now:.4f}; the budget allows {tolerance:.0%})"
    ]
    for service, value in sorted(
        current["services"].items(), key=lambda kv: -(kv[1] - baseline["services"].get(kv[0], 0))
    ):
        before = baseline["services"].get(service, 0.0)
        if value > before * 1.01 and value - before > 1e-5:
            reasons.append(f"{service}: ${before:.4f} -> ${value:.4f} per million")
    for name, value in current["inputs"]["bytes_per_event"].items():
        before = baseline["inputs"]["bytes_per_event"].get(name)
        if before and value > before * 1.01:
            reasons.append(f"{name.replace('_', ' ')} bytes per event: {before:,.0f} -> {value:,.0f}")
    for stage, value in current["inputs"]["cpu_us_per_record"].items():
        before = baseline["inputs"]["cpu_us_per_record"].get(stage)
        if before and value > before * 1.01:
            reasons.append(f"{stage} CPU per record: {before:.1f} -> {value:.1f} us")
    reasons.append("if the rise is meant, record it: sluice cost --write-baseline (and commit the file)")
    return reasons


def _budget(args: argparse.Namespace) -> int:
    from sluice_tools.cost import prices, stage_cpu, traffic

    if args.traffic or args.events_per_day != BUDGET_EVENTS_PER_DAY:
        raise UsageError(
            "the budget is measured on the fixed generated sample at 100M events a day: drop --traffic and --events-per-day"
        )
    # The budget is one region's: the baseline's, whatever the region of the shell.
    book, cpu = prices.load(DEFAULT_REGION), stage_cpu.load()
    events = traffic.generated_events()
    current = {source: budget_figures(traffic.measure(events, source), cpu, book, source) for source in BUDGET_SOURCES}
    path = baseline_path()
    if args.write_baseline:
        path.write_text(json.dumps({"sources": current}, indent=2, sort_keys=True) + "\n")
        summary = ", ".join(f"{s} ${f['usd_per_million_events']:.4f}" for s, f in current.items())
        print(f"wrote {path}: per million events at 100M a day, {summary}")
        return 0
    baseline = json.loads(path.read_text()).get("sources", {})
    reasons: list[str] = []
    for source, figures in current.items():
        if source not in baseline:
            reasons.append(f"{source}: no baseline; record one: sluice cost --write-baseline")
            continue
        reasons += [f"{source}: {reason}" for reason in check_budget(figures, baseline[source])]
    if args.format == "json":
        print_json({"within_budget": not reasons, "reasons": reasons, "current": current})
    elif reasons:
        print("sluice: over budget: " + "\n  ".join(reasons))
    else:
        summary = ", ".join(f"{s} ${f['usd_per_million_events']:.4f}" for s, f in current.items())
        print(f"within budget, per million events at 100M a day: {summary}")
    return 1 if reasons else 0


# --- the levers and the goals ----------------------------------------------------------------


def _goals(args: argparse.Namespace) -> int:
    from sluice_tools.cost import levers, prices, stage_cpu, traffic
    from sluice_tools.sdk.delivery import policy

    if args.traffic or args.events_per_day != BUDGET_EVENTS_PER_DAY:
        raise UsageError(
            "the goals are set at 100M events a day on generated traffic: drop --traffic and --events-per-day"
        )
    assumptions = _assumptions(args)
    book, cpu = prices.load(DEFAULT_REGION), stage_cpu.load()
    events = traffic.generated_events()
    profiles = {
        "sdk": traffic.measure(events, "sdk"),
        "sdk-heartbeats": traffic.measure(events, "sdk", policy("heartbeats")),
        "cdn-logs": traffic.measure(events, "cdn-logs"),
    }
    results = levers.goals(BUDGET_EVENTS_PER_DAY, profiles, cpu, book, assumptions=assumptions)
    sized = results[1].estimate.deployment
    saved = levers.lever_savings(
        BUDGET_EVENTS_PER_DAY,
        profiles["sdk"],
        profiles["sdk-heartbeats"],
        cpu,
        book,
        base=sized,
        assumptions=assumptions,
    )
    if args.format == "json":
        print_json(
            {
                "events_per_day": BUDGET_EVENTS_PER_DAY,
                "region": book.region,
                "results": [
                    {
                        "source": r.source,
                        "design": r.design,
                        "pipeline_monthly_usd": round(levers.pipeline(r.estimate), 2),
                        "all_in_monthly_usd": round(r.estimate.total, 2),
                        "pipeline_usd_per_million": round(r.pipeline_per_million, 4),
                        "all_in_usd_per_million": round(r.all_in_per_million, 4),
                        "goal_usd_per_million": {"pipeline": r.goal[0], "all_in": r.goal[1]},
                        "met": {"pipeline": r.met[0], "all_in": r.met[1]},
                        "what_it_would_take": r.what_it_would_take,
                    }
                    for r in results
                ],
                "levers": [
                    {
                        "lever": lever.name,
                        "option": lever.option,
                        "trade_off": lever.trade_off,
                        "monthly_saving_usd": round(off - on, 2),
                    }
                    for lever, off, on in saved
                ],
            }
        )
        return 0
    print(f"Goals at 100,000,000 events a day, {book.region}, every feature on, clusters sized by `sluice plan`\n")
    print(
        f"{'source':<10}{'design':<18}{'pipeline/month':>16}{'per million':>13}{'all-in/month':>15}{'per million':>13}  goal (met?)"
    )
    for r in results:
        met = ", ".join(f"${g:.2f} {'yes' if ok else 'MISSED'}" for g, ok in zip(r.goal, r.met, strict=True))
        print(
            f"{r.source:<10}{r.design:<18}{_usd(levers.pipeline(r.estimate)):>16}{_usd(r.pipeline_per_million, 3):>13}"
            f"{_usd(r.estimate.total):>15}{_usd(r.all_in_per_million, 3):>13}  {met}"
        )
        for line in r.what_it_would_take:
            print(f"    what it would take: {line}")
    print("\nThe levers, each against the plan's deployment without it (SDK traffic):")
    for lever, off, on in saved:
        print(f"  {lever.name:<48}{_usd(off - on):>12} a month  ({lever.option}; {lever.trade_off})")
    return 0


# --- plan -------------------------------------------------------------------------------------


def _plan(args: argparse.Namespace) -> int:
    from sluice_tools.cost.model import Deployment
    from sluice_tools.cost.plan import PlanError, plan

    assumptions = _assumptions(args)
    if args.search_hot_days < 1 or args.search_warm_days < 0:
        raise UsageError("--search-hot-days must be at least 1 and --search-warm-days at least 0")
    profile, cpu, book = _inputs(args)
    base = Deployment(search_hot_days=args.search_hot_days, search_warm_days=args.search_warm_days)
    try:
        result = plan(
            args.events_per_day,
            profile,
            cpu,
            book,
            peak_factor=assumptions.peak_factor,
            target_latency_s=args.target_latency,
            base=base,
            assumptions=assumptions,
        )
    except PlanError as exc:
        raise UsageError(str(exc)) from None
    output = Path(args.output)
    if not output.parent.is_dir():
        raise UsageError(f"--output {output}: no directory {output.parent}")
    result.write(output)
    saving = result.estimate.total - result.slowest_estimate.total
    if args.format == "json":
        print_json(
            {
                **result.tfvars(),
                "peak_events_per_s": round(result.peak_events_per_s, 1),
                "warehouse_latency_s": result.warehouse_latency_s,
                "monthly_usd": round(result.estimate.total, 2),
                "monthly_usd_at_900s_buffer": round(result.slowest_estimate.total, 2),
                "alternatives_monthly_usd": {k: round(v, 2) for k, v in result.alternatives.items()},
                "written": str(output),
            }
        )
        return 0
    d, search, other = result.deployment, result.search, result.alternatives
    print(
        f"Plan for {args.events_per_day:,.0f} events a day, peak {result.peak_events_per_s:,.0f} events/s ({assumptions.peak_factor:g}x), target {args.target_latency:g} s accepted -> warehouse row\n"
    )
    if d.streams == "provisioned":
        print(
            f"  Kinesis raw stream    {d.raw_shards} shards (provisioned; peak under 80% of 1 MB/s and 1,000 records/s per shard)"
        )
        print(f"  Kinesis clean stream  {d.clean_shards} shards")
    else:
        print("  Kinesis streams       on-demand")
    print(
        f"                        ({_usd(other['streams provisioned'])} a month provisioned, {_usd(other['streams on-demand'])} on-demand)"
    )
    print(
        f"  processor             batch {d.processor.batch_size}, window {d.processor.batching_window_seconds:g} s, parallelization {d.processor.parallelization_factor}, {d.memory_mb['processor']} MB"
    )
    print(f"  indexer, monitor      batch {d.indexer.batch_size}, window {d.indexer.batching_window_seconds:g} s")
    print(
        f"  lake Firehose         buffer {d.lake_buffer_seconds} s / {d.lake_buffer_mb} MB -> warehouse about {result.warehouse_latency_s:.0f} s behind"
    )
    warm = (
        f"; then {d.search_warm_days} days on {search.warm_instances} x {search.warm_type} (UltraWarm)"
        if search.warm_instances
        else ""
    )
    print(
        f"  OpenSearch            {search.instances} x {search.instance_type}, {search.volume_gb:,} GB gp3 each "
        f"({d.search_hot_days} days hot x {d.search_replicas + 1} copies: {search.needed_gb:,.0f} GB by AWS's rule){warm}"
    )
    if d.warehouse == "serverless":
        print(f"  warehouse             Redshift Serverless, {d.warehouse_base_rpu} RPU base", end="")
    else:
        print(f"  warehouse             {d.warehouse_nodes} x {d.warehouse_node_type} (provisioned)", end="")
    print(
        f" ({_usd(other['warehouse provisioned'])} a month provisioned, {_usd(other['warehouse serverless'])} Serverless)"
    )
    print(
        f"\n  monthly: {_usd(result.estimate.total)} ({_usd(result.estimate.per_million(result.estimate.total), 4)} per million events)"
    )
    print(f"  this latency costs {_usd(saving)} a month more than a {900} s buffer would")
    print(f"\nwrote {output} (terraform/envs/aws reads var.capacity, the search_* and the warehouse_* variables)")
    return 0
