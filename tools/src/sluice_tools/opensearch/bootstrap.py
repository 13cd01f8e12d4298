"""Installs what the event indices need before the first document: the index template generated
from the schemas and a retention (ISM) policy. Safe to run again: it changes only what differs.

An index keeps the mapping it was created with, and the event indices are ``dynamic: strict``: a
daily index made under an earlier schema refuses a document with a field a later version added
(a sink_rejection failed event, and a replay fails again). So the template's fields are also
added to the existing indices of the prefix; adding fields to a mapping is allowed, changing a
field's type is not (then this says so, and only new indices have the new type)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sluice.runtime.config import ConfigError
from sluice_tools.artifacts.opensearch import index_template

__all__ = ["WARM_MIGRATION", "BootstrapResult", "bootstrap", "retention_policy"]


@dataclass(frozen=True)
class BootstrapResult:
    template: str  # created, updated or unchanged
    policy: str
    indices: int = 0  # existing indices of the prefix
    indices_updated: int = 0  # of those, the ones that gained the template's fields
    # why the existing indices could not take the template's mapping (a field's type changed)
    mapping_conflict: str | None = None


# UltraWarm moves an index's shards to S3-backed warm nodes; a migration of a large index takes
# hours, so ISM gives the action a day and retries it before the index is left in a failed state.
WARM_MIGRATION = {"warm_migration": {}, "timeout": "24h", "retry": {"count": 5, "delay": "1h"}}


def retention_policy(prefix: str, retention_days: int, warm_after_days: int | None = None) -> dict[str, Any]:
    """Indices are deleted ``retention_days`` after creation; with ``warm_after_days`` they move to
    UltraWarm first (the domain needs warm nodes: Terraform's ``search_warm_enabled``)."""
    if warm_after_days is not None and not 0 < warm_after_days < retention_days:
        raise ConfigError(
            f"warm after {warm_after_days} days must be above 0 and below the retention ({retention_days} days)"
        )
    delete = {"state_name": "delete", "conditions": {"min_index_age": f"{retention_days}d"}}
    if warm_after_days is None:
        description = f"Sluice: delete {prefix}-* indices {retention_days} days after creation"
        states = [{"name": "hot", "actions": [], "transitions": [delete]}]
    else:
        description = (
            f"Sluice: {prefix}-* indices to UltraWarm {warm_after_days} days after creation, "
            f"deleted after {retention_days}"
        )
        warm = {"state_name": "warm", "conditions": {"min_index_age": f"{warm_after_days}d"}}
        states = [
            {"name": "hot", "actions": [], "transitions": [warm]},
            {"name": "warm", "actions": [WARM_MIGRATION], "transitions": [delete]},
        ]
    return {
        "policy": {
            "description": description,
            "default_state": "hot",
            "states": [*states, {"name": "delete", "actions": [{"delete": {}}], "transitions": []}],
            # New daily indices pick the policy up by name, with no per-index call.
            "ism_template": [{"index_patterns": [f"{prefix}-*"], "priority": 100}],
        }
    }


def _same(installed: dict[str, Any], wanted: dict[str, Any]) -> bool:
    """True when every key we set has the value we want (servers add keys of their own)."""
    for key, value in wanted.items():
        if isinstance(value, dict):
            if not isinstance(installed.get(key), dict) or not _same(installed[key], value):
                return False
        elif installed.get(key) != value:
            return False
    return True


def bootstrap(
    client: Any,
    prefix: str = "sluice-events",
    *,
    retention_days: int = 30,
    warm_after_days: int | None = None,
    shards: int = 1,
    replicas: int = 1,
) -> BootstrapResult:
    from opensearchpy.exceptions import NotFoundError

    name = prefix
    template = index_template(prefix, shards=shards, replicas=replicas)
    try:
        installed = client.indices.get_index_template(name=name)["index_templates"][0]["index_template"]
        template_state = "unchanged" if _same(installed, template) else "updated"
    except NotFoundError:
        template_state = "created"
    if template_state != "unchanged":
        client.indices.put_index_template(name=name, body=template)
    policy = _install_policy(client, prefix, retention_policy(prefix, retention_days, warm_after_days))
    return BootstrapResult(template_state, policy, *_update_existing_indices(client, prefix, template))


def _update_existing_indices(client: Any, prefix: str, template: dict[str, Any]) -> tuple[int, int, str | None]:
    """(indices of the prefix, how many were behind the template, why they could not take it).
    One PUT for the whole pattern; a field an index already has with the same definition is left
    as it is, so a run with nothing to add changes nothing."""
    from opensearchpy.exceptions import RequestError

    pattern = f"{prefix}-*"
    mappings = template["template"]["mappings"]
    wanted = {"properties": mappings["properties"], "_meta": mappings["_meta"]}
    # GET on a pattern that matches nothing answers {} (a PUT would answer 404).
    installed = client.indices.get_mapping(index=pattern)
    behind = [index for index, body in installed.items() if not _same(body.get("mappings", {}), wanted)]
    if behind:
        try:
            client.indices.put_mapping(index=pattern, body=wanted)
        except RequestError as exc:  # 400: OpenSearch refuses to change a field's type
            return len(installed), len(behind), _reason(exc)
    return len(installed), len(behind), None


def _reason(exc: Any) -> str:
    info = exc.info if isinstance(exc.info, dict) else {}
    error = info.get("error", {})
    return str(error.get("reason", exc.error)) if isinstance(error, dict) else str(exc.error)


def _install_policy(client: Any, prefix: str, policy: dict[str, Any]) -> str:
    from opensearchpy.exceptions import NotFoundError

    policy_id = f"{prefix}-retention"
    path = f"/_plugins/_ism/policies/{policy_id}"
    try:
        current = client.transport.perform_request("GET", path)
    except NotFoundError:
        client.transport.perform_request("PUT", path, body=policy)
        return "created"
    if _same(current.get("policy", {}), policy["policy"]):
        return "unchanged"
    # Updating an ISM policy needs its current sequence number and primary term.
    params = {"if_seq_no": current["_seq_no"], "if_primary_term": current["_primary_term"]}
    client.transport.perform_request("PUT", path, params=params, body=policy)
    return "updated"
