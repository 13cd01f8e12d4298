"""The levers that lower the bill, each a :class:`~sluice_tools.cost.model.Deployment` option
priced by the model, and the goals the issue sets at 100M events a day with every feature on.

A lever is priced against the deployment without it (everything else as `sluice plan` sizes it),
so its saving is what turning it on changes in this model. The goals are per million events:
the pipeline (everything but the two clusters) and all-in; a goal missed says what it would take
(a number solved from the model, not a guess).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace

from sluice_tools.cost.cdn_path import CdnPath, measure, with_cdn_path
from sluice_tools.cost.model import Assumptions, Deployment, Estimate, monthly
from sluice_tools.cost.plan import plan, shards_for
from sluice_tools.cost.prices import PriceBook
from sluice_tools.cost.stage_cpu import StageCpu
from sluice_tools.cost.traffic import Profile

__all__ = [
    "CLUSTERS",
    "GOALS",
    "LEVERS",
    "Goal",
    "GoalResult",
    "Lever",
    "cdn_estimate",
    "goals",
    "lever_savings",
    "pipeline",
]

CLUSTERS = ("OpenSearch", "Redshift")
# USD per million events: (pipeline, all-in), per source (the goals at 100M a day).
GOALS = {"sdk": (0.60, 1.00), "cdn-logs": (0.10, 0.50)}


@dataclass(frozen=True)
class Lever:
    name: str
    option: str  # how to turn it on: the Terraform variable or client setting
    trade_off: str
    apply: Callable[[Deployment, float], Deployment]  # (deployment, heartbeats events/request)
    off: Callable[[Deployment], Deployment]  # the deployment without it (the other options as they are)


_BASE = Deployment()

LEVERS = (
    Lever(
        "SDK delivery policy: heartbeats",
        "deliveryPolicy: 'heartbeats' in the web SDK (sluice cost --delivery-policy heartbeats)",
        "events reach Sluice up to one monitor window (60 s) late unless ingest asks for a retry; "
        "the alert delay is measured by sluice health simulate --arrival-delay heartbeats, not bounded",
        lambda d, epr: replace(d, events_per_request=epr),
        lambda d: replace(d, events_per_request=None),
    ),
    Lever(
        "clean stream KPL-aggregated",
        "clean_kpl_aggregation = true (the default)",
        "the indexer and the monitor de-aggregate; a poison event retries its whole aggregate's record",
        lambda d, _: replace(d, clean_kpl_aggregation=True),
        lambda d: replace(d, clean_kpl_aggregation=False),
    ),
    Lever(
        "ingest through a Function URL behind CloudFront",
        'ingest_endpoint = "function_url" (needs create_edge)',
        "no API Gateway throttling or access logs: the WAF rate limit bounds what comes through CloudFront; "
        "a request straight to the URL skips the WAF and, refused by the origin check, still invokes ingest",
        lambda d, _: replace(d, ingest="function-url"),
        lambda d: replace(d, ingest="http-api"),
    ),
    Lever(
        "Redshift Serverless",
        'warehouse_kind = "serverless" (sluice plan picks it when it is cheaper)',
        "billed while loads and queries run, at least 60 s a spell: a short lake buffer keeps it busy",
        lambda d, _: replace(d, warehouse="serverless"),
        lambda d: replace(d, warehouse="provisioned"),
    ),
    Lever(
        "OpenSearch: 7 days hot, the lake as history",
        "search_hot_retention_days = 7 (sluice plan --search-hot-days 7)",
        "searches beyond 7 days go to Athena or the warehouse, not the index",
        lambda d, _: replace(d, search_hot_days=7, search_instances=None, search_volume_gb=None),
        lambda d: replace(
            d, search_hot_days=_BASE.search_hot_days, search_warm_days=0, search_instances=None, search_volume_gb=None
        ),
    ),
    Lever(
        "OpenSearch: 7 days hot, 23 in UltraWarm",
        "search_warm_enabled, search_warm_retention_days = 23 (sluice plan --search-hot-days 7 --search-warm-days 23)",
        "warm indices are read-only and slower to query; UltraWarm nodes are a floor of two",
        lambda d, _: replace(d, search_hot_days=7, search_warm_days=23, search_instances=None, search_volume_gb=None),
        lambda d: replace(
            d, search_hot_days=_BASE.search_hot_days, search_warm_days=0, search_instances=None, search_volume_gb=None
        ),
    ),
    Lever(
        "streams kept 24 h",
        "stream_retention_hours = 24 (the pipeline module)",
        "`sluice failed recover` can refetch a failed batch's records only within a day of their arrival",
        lambda d, _: replace(d, retention_hours=24),
        lambda d: replace(d, retention_hours=_BASE.retention_hours),
    ),
    Lever(
        "X-Ray tracing off",
        "enable_tracing = false (the default; the pipeline module and envs/aws)",
        "no traces of slow or failed invocations (the logs and metrics remain)",
        lambda d, _: replace(d, tracing=False),
        lambda d: replace(d, tracing=True),
    ),
    Lever(
        "Lambda's platform lines dropped",
        'system_log_level = "WARN" (the default; the pipeline module and envs/aws)',
        "no START/END/REPORT line per invocation: init duration and max memory used are not in the logs "
        "(Duration, Errors, Throttles remain CloudWatch metrics)",
        lambda d, _: replace(d, system_log_level="WARN"),
        lambda d: replace(d, system_log_level="INFO"),  # Lambda's own default
    ),
)


def pipeline(estimate: Estimate) -> float:
    """The month's bill without the two clusters."""
    return sum(v for s, v in estimate.by_service().items() if s not in CLUSTERS)


def lever_savings(
    events_per_day: float,
    profile: Profile,
    heartbeats: Profile,
    cpu: StageCpu,
    prices: PriceBook,
    *,
    base: Deployment,
    assumptions: Assumptions,
) -> list[tuple[Lever, float, float]]:
    """Each lever's (lever, monthly USD without it, with it), everything else as ``base``."""
    out = []
    for lever in LEVERS:
        off = lever.off(base)
        on = lever.apply(off, heartbeats.events_per_request)
        without = monthly(events_per_day, profile, cpu, prices, deployment=off, assumptions=assumptions)
        with_ = monthly(events_per_day, profile, cpu, prices, deployment=on, assumptions=assumptions)
        out.append((lever, without.total, with_.total))
    return out


def cdn_estimate(
    events_per_day: float,
    profile: Profile,
    cpu: StageCpu,
    prices: PriceBook,
    *,
    deployment: Deployment,
    assumptions: Assumptions,
) -> Estimate:
    """CDN-log traffic: every event a CloudFront log line, read by the processor off the log
    stream (its shards as the streams' mode: provisioned for the peak, or on-demand)."""
    d = replace(deployment, ingest="none")
    estimate = monthly(events_per_day, profile, cpu, prices, deployment=d, assumptions=assumptions)
    sample = measure()
    if d.streams == "provisioned":
        peak = events_per_day / 86_400 * assumptions.peak_factor
        cdn = CdnPath(events_per_day, sample, "provisioned", shards_for(peak, peak * sample.mean_bytes))
    else:
        cdn = CdnPath(events_per_day, sample)
    return with_cdn_path(estimate, cdn, cpu, prices, assumptions=assumptions)


@dataclass(frozen=True)
class Goal:
    source: str
    pipeline: float
    all_in: float


@dataclass(frozen=True)
class GoalResult:
    source: str
    design: str  # "naive", "as deployed", "every lever the numbers choose"
    estimate: Estimate
    pipeline_per_million: float
    all_in_per_million: float
    goal: tuple[float, float]
    what_it_would_take: list[str]

    @property
    def met(self) -> tuple[bool, bool]:
        return self.pipeline_per_million <= self.goal[0], self.all_in_per_million <= self.goal[1]


def goals(
    events_per_day: float,
    profiles: dict[str, Profile],
    cpu: StageCpu,
    prices: PriceBook,
    *,
    assumptions: Assumptions | None = None,
    target_latency_s: float = 120,
) -> list[GoalResult]:
    """Per source (``profiles``: "sdk" measured with the default delivery, "sdk-heartbeats"
    with the heartbeats policy, "cdn-logs"), the naive design, the deployment as it ships
    (clusters sized by `sluice plan`) and with every lever the numbers choose."""
    a = assumptions or Assumptions()
    sdk, heartbeats = profiles["sdk"], profiles["sdk-heartbeats"]
    sized = plan(
        events_per_day, sdk, cpu, prices, peak_factor=a.peak_factor, target_latency_s=target_latency_s, assumptions=a
    )
    deployed = replace(sized.deployment, streams="on-demand", warehouse="provisioned")
    levers = replace(
        sized.deployment,
        events_per_request=heartbeats.events_per_request,
        ingest="function-url",
        clean_kpl_aggregation=True,
        search_hot_days=7,
        search_instances=None,
        search_volume_gb=None,
    )
    results = []
    for design, d in (("naive", deployed.naive()), ("as deployed", deployed), ("with the levers", levers)):
        e = monthly(events_per_day, sdk, cpu, prices, deployment=d, assumptions=a)
        results.append(_result("sdk", design, e, []))
    best = results[-1]
    best.what_it_would_take.extend(_sdk_would_take(events_per_day, sdk, cpu, prices, d=levers, a=a, best=best))
    cdn = profiles["cdn-logs"]
    for design, d in (("naive", deployed.naive()), ("as deployed", deployed), ("with the levers", levers)):
        e = cdn_estimate(events_per_day, cdn, cpu, prices, deployment=d, assumptions=a)
        results.append(_result("cdn-logs", design, e, []))
    results[-1].what_it_would_take.extend(_largest(results[-1]))
    results[-1].what_it_would_take.extend(_lake_floor(results[-1]))
    return results


def _lake_floor(result: GoalResult) -> list[str]:
    """When the lake alone (Firehose and S3) is over the pipeline goal, no stream setting meets it."""
    e = result.estimate
    by = e.by_service()
    lake = e.per_million(by.get("Firehose", 0.0) + by.get("S3", 0.0))
    if result.met[0] or lake <= result.goal[0]:
        return []
    return [
        f"the lake alone (Firehose ${e.per_million(by.get('Firehose', 0.0)):.3f}/M, S3 ${e.per_million(by.get('S3', 0.0)):.3f}/M) "
        f"is over the ${result.goal[0]:.2f}/M goal: it would take the lake written without Firehose's per-GB ingestion "
        "and dynamic partitioning (the processor putting S3 objects itself) and a shorter Standard-IA history"
    ]


def _result(source: str, design: str, e: Estimate, take: list[str]) -> GoalResult:
    return GoalResult(source, design, e, e.per_million(pipeline(e)), e.per_million(e.total), GOALS[source], take)


def _sdk_would_take(
    events_per_day: float,
    profile: Profile,
    cpu: StageCpu,
    prices: PriceBook,
    *,
    d: Deployment,
    a: Assumptions,
    best: GoalResult,
) -> list[str]:
    """The events a request the SDK would need for the pipeline goal: the request-bound part of
    the bill falls as 1/events-per-request, the rest stays (two points of the model solve it)."""
    lines: list[str] = []
    if best.met[0] and best.met[1]:
        return lines
    e1 = best.estimate
    e2 = monthly(
        events_per_day,
        profile,
        cpu,
        prices,
        deployment=replace(d, events_per_request=(d.events_per_request or 1) * 2),
        assumptions=a,
    )
    x1 = 1 / (d.events_per_request or profile.events_per_request)
    p1, p2 = e1.per_million(pipeline(e1)), e2.per_million(pipeline(e2))
    slope = (p1 - p2) / (x1 - x1 / 2)
    floor = p1 - slope * x1
    goal = best.goal[0]
    if not best.met[0]:
        if floor < goal:
            lines.append(
                f"pipeline ${p1:.2f}/M over ${goal:.2f}: {slope / (goal - floor):.0f} events a request would meet it "
                f"(now {1 / x1:.1f}); what does not scale with requests is ${floor:.2f}/M"
            )
        else:
            lines.append(f"pipeline: even with one request per session the rest is ${floor:.2f}/M, over ${goal:.2f}")
        lines.extend(_largest(best))
        extra = replace(d, retention_hours=24, tracing=False, system_log_level="WARN")
        e3 = monthly(events_per_day, profile, cpu, prices, deployment=extra, assumptions=a)
        also = ["the streams kept 24 h"] + (["X-Ray off"] if d.tracing else [])
        also += ["Lambda's platform lines dropped"] if d.system_log_level != "WARN" else []
        lines.append(
            f"or, at {1 / x1:.1f} events a request, {', '.join(also)} as well: "
            f"pipeline ${e3.per_million(pipeline(e3)):.2f}/M"
        )
    if not best.met[1]:
        clusters = best.all_in_per_million - best.pipeline_per_million
        lines.append(
            f"all-in ${best.all_in_per_million:.2f}/M over ${best.goal[1]:.2f}: the clusters are ${clusters:.2f}/M of it"
        )
        lines.extend(_cluster_options(events_per_day, profile, cpu, prices, d=d, a=a, best=best))
    return lines


def _cluster_options(
    events_per_day: float,
    profile: Profile,
    cpu: StageCpu,
    prices: PriceBook,
    *,
    d: Deployment,
    a: Assumptions,
    best: GoalResult,
) -> list[str]:
    """The longest hot retention and the shortest warehouse latency that meet the all-in goal."""
    budget = best.goal[1] - best.pipeline_per_million
    cheapest = (float("inf"), "")
    for latency in (120, 300, 900):
        for hot in (7, 5, 3, 2, 1):
            sized = plan(
                events_per_day,
                profile,
                cpu,
                prices,
                peak_factor=a.peak_factor,
                target_latency_s=latency,
                base=replace(d, search_hot_days=hot, search_instances=None, search_volume_gb=None),
                assumptions=a,
            )
            e = sized.estimate
            clusters = e.per_million(e.total - pipeline(e))
            cheapest = min(
                cheapest, (clusters, f"{hot} day{'s' if hot > 1 else ''} hot, {latency} s warehouse latency")
            )
            if clusters <= budget:
                return [
                    f"the clusters fit ${budget:.2f}/M at {hot} day{'s' if hot > 1 else ''} hot in OpenSearch and a "
                    f"{latency} s warehouse latency (${clusters:.2f}/M: {sized.search.instances} x "
                    f"{sized.search.instance_type}, warehouse {sized.deployment.warehouse})"
                ]
    return [
        f"no hot retention of a day or more with a warehouse latency up to 900 s fits ${budget:.2f}/M of clusters: "
        f"the least is ${cheapest[0]:.2f}/M ({cheapest[1]}; three dedicated masters and two data nodes are its floor), "
        "so the all-in goal needs reserved nodes or the pipeline further under its own"
    ]


def _largest(result: GoalResult, n: int = 4) -> list[str]:
    if all(result.met):
        return []
    e = result.estimate
    items = sorted((line for line in e.lines if line.service not in CLUSTERS), key=lambda line: -line.usd)[:n]
    gap = result.pipeline_per_million - result.goal[0]
    head = f"the pipeline's largest items ({'$' + format(gap, '.2f') + '/M over the goal' if gap > 0 else 'goal met'}):"
    return [head + " " + "; ".join(f"{line.service} {line.item} ${e.per_million(line.usd):.3f}/M" for line in items)]
