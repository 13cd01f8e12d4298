"""The opensearch-py client, for administering a cluster from the tools (templates, policies,
roles: ``sluice opensearch bootstrap``, the security plugin). The stages write through their own
bulk client (``sluice.sinks.opensearch.http``) and never load opensearch-py."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlparse

from opensearchpy import OpenSearch, Urllib3AWSV4SignerAuth

from sluice.runtime.config import ConfigError
from sluice.sinks.opensearch.client import ClusterConfig, basic_credentials

__all__ = ["build_client"]


def build_client(config: ClusterConfig) -> Any:
    """The opensearch-py client (administration: ``sluice search bootstrap``, the security plugin)."""
    parsed = urlparse(config.url)
    host = {
        "host": parsed.hostname,
        "port": parsed.port or (443 if parsed.scheme == "https" else 80),
        "scheme": parsed.scheme,
    }
    if parsed.path not in ("", "/"):
        host["url_prefix"] = parsed.path
    auth: Any = None
    if config.auth == "basic":
        auth = basic_credentials(config)
    elif config.auth == "sigv4":
        from sluice.aws.clients import session

        if not config.region:
            raise ConfigError("SigV4 needs AWS_REGION")
        auth = Urllib3AWSV4SignerAuth(session().get_credentials(), config.region, config.service)
    return OpenSearch(
        hosts=[host],
        http_auth=auth,
        use_ssl=parsed.scheme == "https",
        verify_certs=config.verify_tls,
        ca_certs=config.ca_bundle,
        ssl_show_warn=config.verify_tls,
        timeout=config.timeout_s,
        # Sluice retries by itself, per item and inside the invocation's remaining time.
        max_retries=0,
        retry_on_timeout=False,
        http_compress=True,
    )
