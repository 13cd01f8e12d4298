"""boto3 clients with the settings a Lambda stage needs.

Endpoints come only from boto3's standard configuration (``AWS_ENDPOINT_URL``,
``AWS_ENDPOINT_URL_KINESIS``, ...), so the same code talks to AWS or to a local emulator without
knowing which.
"""

from __future__ import annotations

from functools import cache
from typing import Any

# Our producers retry failed entries themselves, inside the invocation's remaining time; botocore's
# own retries would hide per-entry failures and could sleep past the deadline.
_CONFIG = {
    "connect_timeout": 2,
    "read_timeout": 10,
    "retries": {"mode": "standard", "max_attempts": 2},
    "tcp_keepalive": True,
}


@cache
def client(service: str) -> Any:
    """One client per service and process: building a client costs tens of milliseconds."""
    import boto3
    from botocore.config import Config

    return boto3.session.Session().client(service, config=Config(**_CONFIG))
