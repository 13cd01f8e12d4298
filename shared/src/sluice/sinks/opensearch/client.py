"""A cluster given by URL: Amazon OpenSearch Service with SigV4, or a self-managed cluster with
basic auth; TLS verified unless told otherwise. The stages index through
``sluice.sinks.opensearch.http.BulkClient``; the CLI administers the cluster (templates, policies,
roles) through the opensearch-py client built here."""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import unquote, urlparse

from sluice.aws.region import region as aws_region
from sluice.runtime.config import ConfigError, Env

__all__ = ["ClusterConfig", "basic_credentials"]


@dataclass(frozen=True)
class ClusterConfig:
    url: str
    auth: str = "none"  # none, basic or sigv4
    region: str | None = None
    service: str = "es"  # es (managed domains) or aoss (serverless)
    username: str | None = None
    password_secret_arn: str | None = None
    verify_tls: bool = True
    ca_bundle: str | None = None
    timeout_s: int = 30

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None) -> ClusterConfig:
        env = Env(os.environ if environ is None else environ)
        url = env.required("SLUICE_OPENSEARCH_URL")
        if urlparse(url).scheme not in ("http", "https"):
            raise ConfigError(f"SLUICE_OPENSEARCH_URL={url!r} must be an http(s) URL")
        return cls(
            url=url,
            auth=env.choice("SLUICE_OPENSEARCH_AUTH", ("none", "basic", "sigv4"), "none"),
            region=aws_region(env.environ),
            service=env.choice("SLUICE_OPENSEARCH_SERVICE", ("es", "aoss"), "es"),
            username=env.text("SLUICE_OPENSEARCH_USERNAME"),
            password_secret_arn=env.text("SLUICE_OPENSEARCH_PASSWORD_SECRET_ARN"),
            verify_tls=env.choice("SLUICE_OPENSEARCH_VERIFY_TLS", ("true", "false"), "true") == "true",
            ca_bundle=env.text("SLUICE_OPENSEARCH_CA_BUNDLE"),
            timeout_s=env.integer("SLUICE_OPENSEARCH_TIMEOUT_SECONDS", 30, minimum=1),
        )


def basic_credentials(config: ClusterConfig) -> tuple[str, str]:
    """User and password: from the URL (local clusters) or a Secrets Manager secret, never from a
    plain environment variable."""
    parsed = urlparse(config.url)
    if parsed.username:
        return unquote(parsed.username), unquote(parsed.password or "")
    if not (config.username and config.password_secret_arn):
        raise ConfigError("basic auth needs SLUICE_OPENSEARCH_USERNAME and SLUICE_OPENSEARCH_PASSWORD_SECRET_ARN")
    from sluice.aws.clients import client

    secret = client("secretsmanager").get_secret_value(SecretId=config.password_secret_arn)["SecretString"]
    try:
        password = json.loads(secret).get("password", secret)
    except json.JSONDecodeError:
        password = secret
    return config.username, str(password)
