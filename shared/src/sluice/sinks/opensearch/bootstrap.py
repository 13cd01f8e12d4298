"""Installs what the event indices need before the first document: the index template generated
from the schemas and a retention (ISM) policy. Safe to run again: it changes only what differs."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sluice.artifacts.opensearch import index_template


@dataclass(frozen=True)
class BootstrapResult:
    template: str  # created, updated or unchanged
    policy: str


def retention_policy(prefix: str, retention_days: int) -> dict[str, Any]:
    return {
        "policy": {
            "description": f"Sluice: delete {prefix}-* indices {retention_days} days after creation",
            "default_state": "hot",
            "states": [
                {
                    "name": "hot",
                    "actions": [],
                    "transitions": [{"state_name": "delete", "conditions": {"min_index_age": f"{retention_days}d"}}],
                },
                {"name": "delete", "actions": [{"delete": {}}], "transitions": []},
            ],
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
    client: Any, prefix: str = "sluice-events", *, retention_days: int = 30, shards: int = 1, replicas: int = 1
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

    policy_id = f"{prefix}-retention"
    policy = retention_policy(prefix, retention_days)
    path = f"/_plugins/_ism/policies/{policy_id}"
    try:
        current = client.transport.perform_request("GET", path)
    except NotFoundError:
        client.transport.perform_request("PUT", path, body=policy)
        return BootstrapResult(template_state, "created")
    if _same(current.get("policy", {}), policy["policy"]):
        return BootstrapResult(template_state, "unchanged")
    # Updating an ISM policy needs its current sequence number and primary term.
    params = {"if_seq_no": current["_seq_no"], "if_primary_term": current["_primary_term"]}
    client.transport.perform_request("PUT", path, params=params, body=policy)
    return BootstrapResult(template_state, "updated")
