"""``sluice warehouse migrate``: create the warehouse tables, add the columns new schema versions
bring. ``sluice opensearch bootstrap``: the index template and retention policy, and the
template's fields added to the existing indices."""

from __future__ import annotations

import argparse
import os
import sys

from sluice_tools.cli.errors import UsageError
from sluice_tools.cli.options import non_negative_int, positive_int

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    warehouse = commands.add_parser(
        "warehouse", help="the warehouse tables", description="Manage the warehouse tables generated from the schemas."
    )
    sub = warehouse.add_subparsers(dest="action", required=True, metavar="ACTION")
    migrate = sub.add_parser(
        "migrate",
        help="create missing tables and add missing columns (idempotent)",
        description="Create the fact and ledger tables when missing; add the columns a newer schema version brings. Never drops or changes a column.",
    )
    migrate.add_argument(
        "--url", help="the admin's SQLAlchemy URL (postgresql://... works; default: $SLUICE_WAREHOUSE_URL)"
    )
    migrate.add_argument(
        "--admin-secret-arn", help="or the admin's secret (the Redshift managed master password) with --host"
    )
    migrate.add_argument("--host", help="the warehouse host, with --admin-secret-arn")
    migrate.add_argument(
        "--loader-secret-arn",
        help="also create the loader's own user with the least grants and store it in this (empty) secret "
        "(the stack's warehouse_loader_secret_arn output)",
    )
    migrate.set_defaults(run=_migrate)

    search = commands.add_parser(
        "opensearch", help="the search cluster", description="Prepare an OpenSearch cluster for the event indices."
    )
    sub = search.add_subparsers(dest="action", required=True, metavar="ACTION")
    bootstrap = sub.add_parser(
        "bootstrap",
        help="install the index template and the retention policy, bring existing indices up to it (idempotent)",
        description="Install the index template generated from the schemas and an ISM retention policy, and add the template's fields to the existing indices of the prefix (an index keeps the mapping it was created with, and refuses a newer schema's fields). Auth and TLS settings come from the SLUICE_OPENSEARCH_* variables (see images/indexer/README.md).",
    )
    bootstrap.add_argument("--url", help="cluster URL (default: $SLUICE_OPENSEARCH_URL)")
    bootstrap.add_argument("--prefix", default="sluice-events", help="index prefix (default: sluice-events)")
    bootstrap.add_argument(
        "--retention-days",
        type=positive_int,
        default=30,
        help="delete indices this many days after creation (default: 30)",
    )
    bootstrap.add_argument(
        "--warm-after-days",
        type=positive_int,
        metavar="DAYS",
        help="move indices to UltraWarm this many days after creation, before --retention-days deletes them "
        "(the domain needs warm nodes: Terraform's search_warm_enabled; its index_lifecycle output gives hot_days)",
    )
    bootstrap.add_argument("--shards", type=positive_int, default=1)
    bootstrap.add_argument("--replicas", type=non_negative_int, default=1)
    bootstrap.add_argument(
        "--terraform-outputs",
        metavar="FILE",
        help="`terraform output -json` of terraform/envs/aws: map the indexer's and the monitor's IAM roles to the "
        "least role that writes Sluice's indices (fine-grained access control; run with the master user)",
    )
    bootstrap.add_argument(
        "--map-role", action="append", default=[], metavar="ARN", help="an IAM role ARN to map as well (repeatable)"
    )
    bootstrap.add_argument(
        "--health-prefix", default="player-health", help="the monitor's rollup index prefix (default: player-health)"
    )
    bootstrap.set_defaults(run=_bootstrap)


def _migrate(args: argparse.Namespace) -> int:
    from sqlalchemy.exc import SQLAlchemyError

    from sluice_tools.warehouse.engine import create_engine_for
    from sluice_tools.warehouse.migrate import migrate

    url = args.url or os.environ.get("SLUICE_WAREHOUSE_URL")
    if not url and args.admin_secret_arn:
        from sluice.warehouse.connection import WarehouseConfig, resolve_url

        if not args.host:
            raise UsageError("--admin-secret-arn needs --host")
        url = resolve_url(WarehouseConfig(secret_arn=args.admin_secret_arn, host=args.host))
    if not url:
        raise UsageError("give --url (or --admin-secret-arn with --host), or set SLUICE_WAREHOUSE_URL")
    engine = create_engine_for(url)
    try:
        report = migrate(engine)
        user = None
        if args.loader_secret_arn:
            from sluice.aws.clients import client
            from sluice_tools.warehouse.users import ensure_loader_user

            user = ensure_loader_user(engine, client("secretsmanager"), args.loader_secret_arn)
    except SQLAlchemyError as exc:
        raise UsageError(f"warehouse: {str(exc).splitlines()[0]}") from None
    for name in report.created_tables:
        print(f"created table {name}")
    for name in report.added_columns:
        print(f"added column {name}")
    for name in report.widened_columns:
        print(f"widened column {name} to the schema's bound")
    if not report.changed:
        print("warehouse is up to date")
    if user is not None:
        print(f"loader user {user.user}: {user.action}; grants: {'; '.join(user.grants)}")
        if user.action != "unchanged":
            print(f"  its connection is stored in {args.loader_secret_arn}")
    return 0


def _bootstrap(args: argparse.Namespace) -> int:
    from opensearchpy.exceptions import OpenSearchException

    from sluice.runtime.config import ConfigError
    from sluice.sinks.opensearch.client import ClusterConfig
    from sluice_tools.opensearch.bootstrap import bootstrap
    from sluice_tools.opensearch.client import build_client
    from sluice_tools.opensearch.security import WRITER_ROLE, map_writer_role, role_arns_from_outputs

    environ = dict(os.environ)
    if args.url:
        environ["SLUICE_OPENSEARCH_URL"] = args.url
    try:
        client = build_client(ClusterConfig.from_env(environ))
        result = bootstrap(
            client,
            args.prefix,
            retention_days=args.retention_days,
            warm_after_days=args.warm_after_days,
            shards=args.shards,
            replicas=args.replicas,
        )
        arns = list(args.map_role)
        if args.terraform_outputs:
            arns += role_arns_from_outputs(_read_json(args.terraform_outputs))
        security = map_writer_role(client, arns, [args.prefix, args.health_prefix]) if arns else None
    except ConfigError as exc:
        raise UsageError(str(exc)) from None
    except OpenSearchException as exc:
        raise UsageError(f"OpenSearch: {exc}") from None
    print(f"index template {args.prefix}: {result.template}")
    warm = f", UltraWarm after {args.warm_after_days}" if args.warm_after_days else ""
    print(f"retention policy {args.prefix}-retention ({args.retention_days} days{warm}): {result.policy}")
    if security is not None:
        print(f"role {WRITER_ROLE}: {security.role}; mapped to {', '.join(security.backend_roles)}: {security.mapping}")
    if result.mapping_conflict is not None:
        print(
            f"sluice: error: the {result.indices_updated} existing {args.prefix}-* indices behind the template "
            f"cannot take its mapping: {result.mapping_conflict}. A field's type cannot change in an existing "
            "index: new daily indices have the new type; reindex an old one into a new index to change it.",
            file=sys.stderr,
        )
        return 1
    print(
        f"existing indices {args.prefix}-*: {result.indices_updated} of {result.indices} gained the template's fields"
    )
    return 0


def _read_json(path: str) -> dict:  # type: ignore[type-arg]
    import json

    try:
        with open(path, encoding="utf-8") as handle:
            value = json.load(handle)
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except json.JSONDecodeError as exc:
        raise UsageError(f"{path} is not JSON (`terraform output -json > {path}`): {exc}") from None
    if not isinstance(value, dict):
        raise UsageError(f"{path} is not the output of `terraform output -json`")
    return value
