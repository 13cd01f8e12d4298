"""``sluice schemas``: list, show, fingerprint, check and render the event contract."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from sluice.events.fingerprint import crc64_avro, fingerprint_hex
from sluice.events.registry import PLAYER_EVENT, SchemaNotFoundError, default_registry, load_schema_file
from sluice_tools.cli.errors import UsageError
from sluice_tools.cli.options import add_format, print_json
from sluice_tools.schemas.compatibility import backward_transitive_problems

__all__ = ["register"]


def register(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = commands.add_parser(
        "schemas",
        help="the Avro event contract",
        description="List, show, fingerprint, check and render the shipped Avro schemas.",
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    listing = sub.add_parser("list", help="every shipped schema version with its fingerprint")
    add_format(listing)
    listing.set_defaults(run=_list)
    show = sub.add_parser(
        "show",
        help="print one schema",
        description="Print a shipped schema: by name (player_event, player_event.v1) or 16-hex-digit fingerprint.",
    )
    show.add_argument("name", metavar="NAME-OR-FINGERPRINT")
    show.set_defaults(run=_show)
    fp = sub.add_parser("fingerprint", help="CRC-64-AVRO fingerprint of a schema file or shipped schema")
    fp.add_argument(
        "schema", nargs="?", default=PLAYER_EVENT, help="an .avsc file or a shipped schema name (default: player_event)"
    )
    fp.add_argument("--canonical", action="store_true", help="also print the Parsing Canonical Form")
    fp.set_defaults(run=_fingerprint)
    check = sub.add_parser(
        "check",
        help="check a proposed schema against every shipped version",
        description="Exit non-zero, saying why, when the proposed schema cannot read data written by every shipped version of its subject (BACKWARD_TRANSITIVE).",
    )
    check.add_argument("file", help="the proposed .avsc file")
    check.add_argument("--subject", default=PLAYER_EVENT, help="subject to check against (default: player_event)")
    check.set_defaults(run=_check)
    render = sub.add_parser("render", help="print an artifact generated from the schemas")
    render.add_argument(
        "target",
        choices=("opensearch", "redshift", "postgresql", "glue", "cdn-fields", "web", "web-delivery", "fingerprints"),
        help="opensearch: index template; redshift / postgresql: warehouse DDL; glue: the lake table columns; cdn-fields: the CloudFront real-time log fields the cdn_logs module configures (terraform/generated/cdn_realtime_log_fields.json); web: the web SDK's contract module; web-delivery: the web SDK's delivery settings (clients/web/src/delivery.generated.js); fingerprints: the schemas' precomputed fingerprints (shared/src/sluice/schemas/fingerprints.json)",
    )
    render.add_argument("--prefix", default="sluice-events", help="index prefix for the OpenSearch template")
    render.set_defaults(run=_render)


def _list(args: argparse.Namespace) -> int:
    registry = default_registry()
    if args.format == "json":
        print_json(
            [
                {
                    "name": v.name,
                    "fingerprint": v.fingerprint_hex,
                    "current": v is registry.latest(v.subject),
                }
                for v in registry.versions()
            ]
        )
        return 0
    for version in registry.versions():
        current = " (current)" if version is registry.latest(version.subject) else ""
        print(f"{version.name:<20} {version.fingerprint_hex}{current}")
    return 0


def _find(name: str):  # type: ignore[no-untyped-def]
    try:
        return default_registry().find(name)
    except SchemaNotFoundError as exc:
        raise UsageError(str(exc)) from None


def _show(args: argparse.Namespace) -> int:
    print(json.dumps(_find(args.name).schema, indent=2))
    return 0


def _read_schema_file(path: str) -> dict:  # type: ignore[type-arg]
    try:
        return load_schema_file(Path(path).read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise UsageError(f"no such file: {path}") from None
    except (json.JSONDecodeError, ValueError) as exc:
        raise UsageError(f"{path} is not a valid schema: {exc}") from None


def _fingerprint(args: argparse.Namespace) -> int:
    from sluice.events.fingerprint import canonical_form

    schema = _read_schema_file(args.schema) if Path(args.schema).is_file() else _find(args.schema).schema
    try:
        print(fingerprint_hex(crc64_avro(schema)))
    except Exception as exc:  # noqa: BLE001 - fastavro's parse errors have many types
        raise UsageError(f"{args.schema} is not a valid Avro schema: {exc}") from None
    if args.canonical:
        print(canonical_form(schema))
    return 0


def _check(args: argparse.Namespace) -> int:
    from fastavro import parse_schema

    proposed = _read_schema_file(args.file)
    try:
        parse_schema(proposed)
    except Exception as exc:  # noqa: BLE001
        raise UsageError(f"{args.file} is not a valid Avro schema: {exc}") from None
    try:
        shipped = default_registry().versions(args.subject)
    except SchemaNotFoundError as exc:
        raise UsageError(str(exc)) from None
    problems = backward_transitive_problems([v.schema for v in shipped], proposed)
    if problems:
        print(f"{args.file}: not BACKWARD_TRANSITIVE compatible with {args.subject}: " + "; ".join(problems))
        return 1
    print(f"{args.file}: compatible with {', '.join(v.name for v in shipped)} (BACKWARD_TRANSITIVE)")
    return 0


def _render(args: argparse.Namespace) -> int:
    if args.target == "opensearch":
        from sluice_tools.artifacts.opensearch import index_template

        print(json.dumps(index_template(args.prefix), indent=2))
        return 0
    if args.target == "glue":
        from sluice_tools.artifacts.glue import glue_table

        print(json.dumps(glue_table(), indent=2))
        return 0
    if args.target == "cdn-fields":
        from sluice.cdn.fields import field_names

        print(json.dumps(field_names(), indent=2))
        return 0
    if args.target == "fingerprints":
        from sluice.events.registry import fingerprints_manifest

        print(json.dumps(fingerprints_manifest(), indent=2))
        return 0
    if args.target == "web-delivery":
        from sluice_tools.sdk.delivery import web_delivery_module

        print(web_delivery_module(), end="")
        return 0
    if args.target == "web":
        from sluice_tools.artifacts.web import web_contract_module

        print(web_contract_module(), end="")
        return 0
    try:
        from sluice_tools.artifacts.warehouse import create_table_ddl
    except ImportError:
        raise UsageError("rendering DDL needs the warehouse extra: pip install 'sluice[warehouse]'") from None
    print(create_table_ddl(args.target))
    return 0
