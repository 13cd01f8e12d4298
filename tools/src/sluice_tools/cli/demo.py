"""``sluice demo``: the whole pipeline locally, simulated players, and the accounting."""

from __future__ import annotations

import argparse
import os
from pathlib import Path

from sluice_tools.cli.options import fraction, non_negative_int, positive_int

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "demo",
        help="run the whole pipeline locally with simulated players and account for every event",
        description="Start the AWS API emulator, an embedded PostgreSQL and the stages; drive simulated player traffic (with bad events and a CDN incident) through the HTTP endpoint; wait until the pipeline drains; print the accounting, the alerts, the latencies and where the health report is; stop everything.",
    )
    parser.add_argument(
        "--events", type=positive_int, default=16000, help="about how many events to send (default: 16000)"
    )
    parser.add_argument(
        "--runtime",
        choices=("inprocess", "docker"),
        default="inprocess",
        help="run the stages in this process, or inside their images (needs `make build-images`)",
    )
    parser.add_argument("--seed", type=non_negative_int, default=7)
    parser.add_argument("--bad-rate", type=fraction, default=0.03, help="fraction of spoilt events (default: 0.03)")
    parser.add_argument("--report", default="out/player-health.html", help="where to write the health report")
    parser.add_argument(
        "--provisioning",
        choices=("auto", "terraform", "direct"),
        default="auto",
        help="auto: terraform/envs/local when Terraform and the provider are here",
    )
    parser.set_defaults(run=_demo)


def _demo(args: argparse.Namespace) -> int:
    from sluice_tools.local.demo import run_demo

    return run_demo(
        args.events,
        args.runtime,
        seed=args.seed,
        bad_rate=args.bad_rate,
        report_path=Path(args.report),
        provisioning=args.provisioning,
        opensearch_url=os.environ.get("SLUICE_OPENSEARCH_URL"),
    )
