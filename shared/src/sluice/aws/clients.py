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
def session() -> Any:
    """botocore's session directly: importing boto3 (and s3transfer with it) costs ~150 ms of
    cold start, and the stages use nothing boto3 adds."""
    import botocore.session

    return botocore.session.get_session()


@cache
def client(service: str) -> Any:
    """One client per service and process: building a client costs tens of milliseconds."""
    from botocore.config import Config

    return session().create_client(service, config=Config(**_CONFIG))
