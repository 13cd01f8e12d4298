"""`sluice opensearch bootstrap --terraform-outputs`: the indexer's and the monitor's IAM roles
mapped to the least role that writes Sluice's indices, through the security plugin's REST API
(an HTTP double of it here), idempotently."""

from __future__ import annotations

import json
import subprocess
import sys

from sluice_tools.opensearch.security import WRITER_ROLE
from support.opensearch_double import bulk_double

INDEXER = "arn:aws:iam::123456789012:role/sluice-indexer"
MONITOR = "arn:aws:iam::123456789012:role/sluice-monitor"


def _bootstrap(url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "sluice_tools", "opensearch", "bootstrap", "--url", url, *args],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )


def test_the_stages_roles_are_mapped_to_the_writer_role_once(tmp_path):
    outputs = tmp_path / "outputs.json"
    # as `terraform output -json` writes it
    outputs.write_text(
        json.dumps(
            {
                "indexer_role_arn": {"sensitive": False, "type": "string", "value": INDEXER},
                "monitor_role_arn": {"sensitive": False, "type": "string", "value": MONITOR},
                "streams": {"sensitive": False, "type": ["object", {}], "value": {"raw": "sluice-raw"}},
            }
        )
    )
    with bulk_double() as cluster:
        first = _bootstrap(cluster.url, "--terraform-outputs", str(outputs))
        assert first.returncode == 0, first.stderr
        assert f"role {WRITER_ROLE}: created; mapped to {INDEXER}, {MONITOR}: created" in first.stdout
        role = cluster.security["roles"][WRITER_ROLE]
        (permissions,) = role["index_permissions"]
        assert permissions["index_patterns"] == ["player-health-*", "sluice-events-*"]
        assert not any("delete" in action or action == "*" for action in permissions["allowed_actions"])
        assert cluster.security["rolesmapping"][WRITER_ROLE]["backend_roles"] == [INDEXER, MONITOR]
        writes = cluster.security_writes
        again = _bootstrap(cluster.url, "--terraform-outputs", str(outputs))
        assert again.returncode == 0, again.stderr
        assert f"role {WRITER_ROLE}: unchanged; mapped to {INDEXER}, {MONITOR}: unchanged" in again.stdout
        assert cluster.security_writes == writes  # nothing written twice


def test_outputs_that_are_not_terraform_json_are_a_users_mistake(tmp_path):
    bad = tmp_path / "outputs.json"
    bad.write_text("indexer_role_arn = arn:...")
    with bulk_double() as cluster:
        result = _bootstrap(cluster.url, "--terraform-outputs", str(bad))
    assert result.returncode == 2 and "is not JSON" in result.stderr and "Traceback" not in result.stderr
