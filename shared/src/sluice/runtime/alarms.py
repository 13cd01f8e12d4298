"""Faults an operator must fix, raised the moment they are seen.

A destination that is missing or refuses the stage (AccessDenied, a 401/403 from OpenSearch, a
disabled KMS key) will not heal by retrying, and retrying it as a transient fault would hide it
until the retries run out. It is logged at ERROR and counted as ``ConfigurationErrors``, which the
stage's alarm watches (threshold 0, one period); the records themselves stay retryable, so they
reach the on-failure destination and can be recovered once the access is fixed.
"""

from __future__ import annotations

import logging

from sluice.runtime.metrics import Metrics

__all__ = ["CONFIGURATION_ERRORS", "configuration_error"]

log = logging.getLogger("sluice.alarms")
CONFIGURATION_ERRORS = "ConfigurationErrors"


def configuration_error(metrics: Metrics, destination: str, error: str) -> None:
    metrics.add(CONFIGURATION_ERRORS, 1)
    log.error(
        "configuration error: the stage cannot write to its destination; fix the access, then recover the records",
        extra={"alarm": CONFIGURATION_ERRORS, "destination": destination, "error": error[:500]},
    )
