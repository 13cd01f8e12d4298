"""The least role that can write Sluice's indices, mapped to the indexer's and the monitor's IAM
roles, through the security plugin's REST API (fine-grained access control).

Amazon OpenSearch Service maps an IAM role to an OpenSearch role by its ARN as a backend role;
requests signed with SigV4 by that role then get exactly the role's permissions. Only the
hashicorp/aws provider is available to Sluice's Terraform, so this is done by
``sluice opensearch bootstrap --terraform-outputs``, run with the master user's access from inside
the domain's VPC (or through a tunnel: terraform/README.md). Safe to run again: it changes only
what differs.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

__all__ = ["API", "WRITER_ROLE", "SecurityResult", "map_writer_role", "role_arns_from_outputs", "writer_role"]

WRITER_ROLE = "sluice_writer"
API = "/_plugins/_security/api"


def writer_role(index_prefixes: Iterable[str]) -> dict[str, Any]:
    return {
        "description": "Sluice stages: write documents to their own indices, nothing else",
        # Bulk is a cluster-level action that fans out to the index-level writes below.
        "cluster_permissions": ["indices:data/write/bulk"],
        "index_permissions": [
            {
                "index_patterns": sorted(f"{prefix}-*" for prefix in index_prefixes),
                # Index documents (and create the daily index on its first one); no delete or admin.
                "allowed_actions": ["indices:data/write/index", "indices:data/write/bulk*", "indices:admin/create"],
            }
        ],
    }


@dataclass(frozen=True)
class SecurityResult:
    role: str  # created, updated or unchanged
    mapping: str
    backend_roles: tuple[str, ...]


def _get(client: Any, path: str) -> dict[str, Any] | None:
    from opensearchpy.exceptions import NotFoundError

    try:
        found: dict[str, Any] = client.transport.perform_request("GET", path)
    except NotFoundError:
        return None
    return found


def _put_if_different(client: Any, path: str, name: str, wanted: dict[str, Any]) -> str:
    current = _get(client, path)
    installed = (current or {}).get(name)
    if installed is not None and all(_same_value(installed.get(k), v) for k, v in wanted.items()):
        return "unchanged"
    client.transport.perform_request("PUT", path, body=wanted)
    return "created" if installed is None else "updated"


def _same_value(installed: Any, wanted: Any) -> bool:
    if isinstance(wanted, list) and isinstance(installed, list):
        return sorted(map(repr, installed)) == sorted(map(repr, wanted))
    return bool(installed == wanted)


def map_writer_role(client: Any, role_arns: Iterable[str], index_prefixes: Iterable[str]) -> SecurityResult:
    arns = tuple(sorted({arn for arn in role_arns if arn}))
    if not arns:
        raise ValueError("no IAM role ARN to map (the indexer's and the monitor's execution roles)")
    role = _put_if_different(client, f"{API}/roles/{WRITER_ROLE}", WRITER_ROLE, writer_role(index_prefixes))
    mapping = _put_if_different(
        client,
        f"{API}/rolesmapping/{WRITER_ROLE}",
        WRITER_ROLE,
        {"backend_roles": list(arns), "users": [], "hosts": []},
    )
    return SecurityResult(role, mapping, arns)


def role_arns_from_outputs(outputs: dict[str, Any]) -> list[str]:
    """The stages' role ARNs from ``terraform output -json`` of terraform/envs/aws."""
    arns = []
    for name in ("indexer_role_arn", "monitor_role_arn"):
        entry = outputs.get(name)
        value = entry.get("value") if isinstance(entry, dict) else entry
        if value:
            arns.append(str(value))
    return arns
