"""`sluice plan`: the capacity settings for a traffic's peak and a target end-to-end latency,
from the same measured profile as the cost model, written as a tfvars file envs/aws reads.

The rules, each a limit AWS documents or a figure measured here:
- shards: a shard takes 1 MB/s or 1,000 records/s of writes; the peak is kept under 80% of both;
- the processor's parallelization factor (1-10 per shard) gives it the CPU the peak needs at
  70% busy, from the measured CPU time per event and Lambda's share of a vCPU at its memory;
- batching windows and the lake Firehose buffer share the target latency. The lake, and the
  warehouse behind it, cannot be fresher than the Firehose buffer interval: with dynamic
  partitioning its floor is 60 s, so a lower target is refused with that reason;
- streams: provisioned shards or on-demand, whichever the model prices lower for the volume;
- OpenSearch: data nodes, type and gp3 volume per node for the hot retention x daily index bytes x
  (1 + replicas) by AWS's storage rule and the indexing CPU at the peak (cheapest type), UltraWarm
  nodes for the warm days when asked (:func:`sluice_tools.cost.model.size_search`);
- the warehouse: two provisioned ra3.xlplus nodes or Redshift Serverless at its base RPUs,
  whichever the model prices lower: Serverless bills each load at least 60 s, so loads as often
  as a short lake buffer makes them keep it busy all month.
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from sluice.runtime.errors import SluiceError
from sluice_tools.cost.model import (
    FULL_VCPU_MB,
    KINESIS_SHARD_WRITE_BYTES,
    KINESIS_SHARD_WRITE_RECORDS,
    Assumptions,
    Deployment,
    Estimate,
    SearchSize,
    Trigger,
    monthly,
    size_search,
)
from sluice_tools.cost.prices import PriceBook
from sluice_tools.cost.stage_cpu import StageCpu
from sluice_tools.cost.traffic import Profile

__all__ = [
    "BUSY",
    "FIREHOSE_MAX_BUFFER_S",
    "FIREHOSE_MIN_BUFFER_S",
    "HEADROOM",
    "LOADER_S",
    "MEMORY_STEPS",
    "Plan",
    "PlanError",
    "plan",
    "shards_for",
]

HEADROOM = 0.8  # of a shard's write limits at the peak
BUSY = 0.7  # of a processor's CPU at the peak
FIREHOSE_MIN_BUFFER_S = 60  # with dynamic partitioning
FIREHOSE_MAX_BUFFER_S = 900
LOADER_S = 10  # S3 notification, the loader's 5 s batching window, one COPY + MERGE
MEMORY_STEPS = (512, 1024, 1769, 3008)


class PlanError(SluiceError, ValueError):
    pass


@dataclass(frozen=True)
class Plan:
    deployment: Deployment
    peak_events_per_s: float
    target_latency_s: float
    warehouse_latency_s: float
    estimate: Estimate
    slowest_estimate: Estimate  # the same plan with the longest lake buffer: what latency costs
    search: SearchSize
    # What the choices cost a month: streams (on-demand, provisioned), warehouse (provisioned, serverless)
    alternatives: dict[str, float]

    def tfvars(self) -> dict[str, Any]:
        """What terraform/envs/aws reads (its variables of these names)."""
        d, s = self.deployment, self.search
        return {
            "search_instance_type": s.instance_type,
            "search_instance_count": s.instances,
            "search_volume_gb": s.volume_gb,
            "search_hot_retention_days": d.search_hot_days,
            "search_warm_enabled": s.warm_instances > 0,
            "search_warm_type": s.warm_type,
            "search_warm_count": max(2, s.warm_instances),
            "search_warm_retention_days": d.search_warm_days,
            "warehouse_kind": d.warehouse,
            "warehouse_node_type": d.warehouse_node_type,
            "warehouse_nodes": d.warehouse_nodes,
            "warehouse_base_rpus": d.warehouse_base_rpu,
            "capacity": {
                "on_demand_streams": d.streams == "on-demand",
                "raw_shards": d.raw_shards,
                "clean_shards": d.clean_shards,
                "processor": _trigger(d.processor),
                "indexer": _trigger(d.indexer),
                "monitor": _trigger(d.monitor),
                "memory_mb": {k: v for k, v in d.memory_mb.items() if k != "evaluator"},
                "lake_buffering_seconds": d.lake_buffer_seconds,
                "lake_buffering_mb": d.lake_buffer_mb,
            },
        }

    def write(self, path: Path) -> None:
        path.write_text(json.dumps(self.tfvars(), indent=2) + "\n")


def _trigger(t: Trigger) -> dict[str, int]:
    return {
        "batch_size": t.batch_size,
        "batching_window_seconds": int(t.batching_window_seconds),
        "parallelization_factor": t.parallelization_factor,
    }


def shards_for(records_per_s: float, bytes_per_s: float) -> int:
    return max(
        1,
        math.ceil(records_per_s / (KINESIS_SHARD_WRITE_RECORDS * HEADROOM)),
        math.ceil(bytes_per_s / (KINESIS_SHARD_WRITE_BYTES * HEADROOM)),
    )


def plan(
    events_per_day: float,
    profile: Profile,
    cpu: StageCpu,
    prices: PriceBook,
    *,
    peak_factor: float,
    target_latency_s: float,
    base: Deployment | None = None,
    assumptions: Assumptions | None = None,
) -> Plan:
    base = base or Deployment()
    # One peak factor sizes the shards and OpenSearch's CPU (the assumptions'): never two.
    a = assumptions or Assumptions(peak_factor=peak_factor)
    if a.peak_factor != peak_factor:
        raise PlanError(f"peak_factor={peak_factor:g} but the assumptions' peak_factor={a.peak_factor:g}: give one")
    p = profile
    peak = events_per_day / 86_400 * peak_factor
    raw_records = peak / (p.events / p.raw_records_kpl)
    raw_shards = shards_for(raw_records, peak * p.raw_bytes_kpl / p.events)
    clean_shards = shards_for(peak * p.clean_events / p.events, peak * p.clean_bytes / p.events)
    # The processor: CPU for the peak per shard, at the smallest memory that needs <= 10 slots.
    per_shard_cpu_s = peak / raw_shards * cpu.us("processor") / 1e6
    for memory in MEMORY_STEPS:
        vcpu = min(1.0, memory / FULL_VCPU_MB)
        factor = math.ceil(per_shard_cpu_s / (vcpu * BUSY))
        if factor <= 10:
            break
    else:
        raise PlanError(
            f"the processor cannot keep up with {peak:,.0f} events/s on {raw_shards} shards even at 10 x {memory} MB: add shards"
        )
    lake_floor = FIREHOSE_MIN_BUFFER_S + 1 + LOADER_S
    if target_latency_s < lake_floor:
        raise PlanError(
            f"a target of {target_latency_s:.0f} s is under the lake's floor of {lake_floor} s: Firehose with dynamic "
            f"partitioning buffers at least {FIREHOSE_MIN_BUFFER_S} s, then the loader needs about {LOADER_S} s "
            "(OpenSearch and the health monitor see events within seconds either way)"
        )
    buffer_s = int(min(FIREHOSE_MAX_BUFFER_S, target_latency_s - 1 - LOADER_S))
    deployment = replace(
        base,
        streams="provisioned",
        raw_shards=raw_shards,
        clean_shards=clean_shards,
        processor=Trigger(base.processor.batch_size, 1, max(1, factor)),
        memory_mb={**base.memory_mb, "processor": memory},
        lake_buffer_seconds=buffer_s,
    )
    search = size_search(
        events_per_day * p.per_event(p.bulk_bytes), peak * p.clean_events / p.events, deployment, a, prices
    )
    deployment = replace(
        deployment,
        search_instance_type=search.instance_type,
        search_instances=search.instances,
        search_volume_gb=search.volume_gb,
    )
    alternatives: dict[str, float] = {}
    priced: dict[tuple[str, str], Estimate] = {}
    for streams in ("provisioned", "on-demand"):
        for warehouse in ("provisioned", "serverless"):
            option = replace(deployment, streams=streams, warehouse=warehouse)
            priced[streams, warehouse] = monthly(events_per_day, p, cpu, prices, deployment=option, assumptions=a)
    for streams in ("provisioned", "on-demand"):
        alternatives[f"streams {streams}"] = _services(priced[streams, "provisioned"], "Kinesis")
    for warehouse in ("provisioned", "serverless"):
        alternatives[f"warehouse {warehouse}"] = _services(priced["provisioned", warehouse], "Redshift")
    streams = min(("provisioned", "on-demand"), key=lambda m: alternatives[f"streams {m}"])
    warehouse = min(("provisioned", "serverless"), key=lambda w: alternatives[f"warehouse {w}"])
    deployment = replace(deployment, streams=streams, warehouse=warehouse)
    estimate = priced[streams, warehouse]
    slowest = monthly(
        events_per_day,
        p,
        cpu,
        prices,
        deployment=replace(deployment, lake_buffer_seconds=FIREHOSE_MAX_BUFFER_S),
        assumptions=a,
    )
    return Plan(deployment, peak, target_latency_s, buffer_s + 1 + LOADER_S, estimate, slowest, search, alternatives)


def _services(estimate: Estimate, service: str) -> float:
    return estimate.by_service().get(service, 0.0)
