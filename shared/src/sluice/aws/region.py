"""The AWS region, decided once for the stages' clients, the CLI and ``sluice cost`` alike.

botocore reads only ``AWS_DEFAULT_REGION`` (then the profile's ``region``); the AWS CLI v2 and the
other AWS SDKs read ``AWS_REGION`` first, and Lambda sets both. A shell with only
``AWS_REGION=eu-west-1`` would otherwise send Sluice's calls to botocore's choice (or to none)
while ``aws`` and the SDKs beside it go to eu-west-1. The order here is the AWS CLI v2's:
``--region`` (which the CLI writes into both variables), ``AWS_REGION``, ``AWS_DEFAULT_REGION``,
then the profile's ``region``.
"""

from __future__ import annotations

import os
from collections.abc import Mapping

__all__ = ["REGION_VARIABLES", "region"]

# First set, non-blank wins.
REGION_VARIABLES = ("AWS_REGION", "AWS_DEFAULT_REGION")


def region(environ: Mapping[str, str] | None = None) -> str | None:
    """The region to call, or None when neither variable nor the profile names one (a call then
    fails with botocore's NoRegionError, which the CLI turns into one line)."""
    env = os.environ if environ is None else environ
    for name in REGION_VARIABLES:
        value = env.get(name, "").strip()
        if value:
            return value
    return _profile_region()


def _profile_region() -> str | None:
    # Only without either variable (never in Lambda, which sets them): the profile named by
    # AWS_PROFILE in AWS_CONFIG_FILE, read as botocore reads it.
    import botocore.session

    found = botocore.session.Session().get_config_variable("region")
    return str(found) if found else None
