"""botocore clients whose every call ends before the invocation's deadline.

Endpoints come only from botocore's standard configuration (``AWS_ENDPOINT_URL``,
``AWS_ENDPOINT_URL_KINESIS``, ...), so the same code talks to AWS or to a local emulator without
knowing which. The region is :func:`sluice.aws.region.region`'s: ``AWS_REGION`` before
``AWS_DEFAULT_REGION``, as the AWS CLI v2 reads them (botocore alone reads only the second).

A dependency that accepts the connection and never answers holds a call for its whole read
timeout, on every attempt. So each call goes through a client whose worst case (attempts x
(connect + read timeout)) fits in the time the current invocation has left: a handler binds its
deadline (``sluice.runtime.deadline.bind_deadline``), and :class:`BoundedClient` picks, call by call, the client with
the longest timeouts that still fit. When not even the shortest fits, the call is not made and
:class:`DeadlineReachedError` (retryable) says so, leaving the handler its margin to report.
"""

from __future__ import annotations

from functools import cache
from typing import Any

from sluice.aws.region import region
from sluice.runtime.deadline import Deadline, current_deadline
from sluice.runtime.errors import RetryableError

__all__ = [
    "BUDGETS",
    "MAX_CONNECT_TIMEOUT_S",
    "BoundedClient",
    "DeadlineReachedError",
    "client",
    "session",
    "worst_case_s",
]

# (attempts, read timeout in seconds) to choose from, most patient first. Our producers retry
# failed entries themselves, inside the remaining time; botocore's own retries are kept to one
# more attempt when there is time for it, so that they cannot hide per-entry failures or run past
# the deadline. Near the deadline a call gets one short attempt.
BUDGETS = ((2, 10.0), (2, 5.0), (2, 2.0), (1, 2.0), (1, 1.0), (1, 0.5), (1, 0.2))
MAX_CONNECT_TIMEOUT_S = 2.0


class DeadlineReachedError(RetryableError):
    """Too little time is left for one more call to a dependency."""


def worst_case_s(attempts: int, read_timeout_s: float) -> float:
    """The longest one call can take (connect and read, on every attempt)."""
    return attempts * (min(MAX_CONNECT_TIMEOUT_S, read_timeout_s) + read_timeout_s)


@cache
def session() -> Any:
    """botocore's session directly: importing boto3 (and s3transfer with it) costs ~150 ms of
    cold start, and the stages use nothing boto3 adds."""
    import botocore.session

    return botocore.session.get_session()


class BoundedClient:
    """A botocore client of one service, each call bounded by the bound deadline (if any)."""

    def __init__(self, service: str, endpoint_url: str | None = None, region: str | None = None) -> None:
        self.service = service
        self.endpoint_url = endpoint_url
        self.region = region
        self._clients: dict[tuple[int, float], Any] = {}

    def _client(self, budget: tuple[int, float]) -> Any:
        found = self._clients.get(budget)
        if found is None:
            from botocore.config import Config

            attempts, read_timeout = budget
            config = Config(
                connect_timeout=min(MAX_CONNECT_TIMEOUT_S, read_timeout),
                read_timeout=read_timeout,
                retries={"mode": "standard", "total_max_attempts": attempts},
                tcp_keepalive=True,
            )
            found = session().create_client(
                self.service, endpoint_url=self.endpoint_url, region_name=self.region or region(), config=config
            )
            self._clients[budget] = found
        return found

    def within(self, deadline: Deadline | None) -> Any:
        """The client with the most patient timeouts whose worst case fits before ``deadline``."""
        if deadline is None:
            return self._client(BUDGETS[0])
        remaining = deadline.remaining()
        for budget in BUDGETS:
            if worst_case_s(*budget) <= remaining:
                return self._client(budget)
        raise DeadlineReachedError(
            f"{self.service}: {remaining:.2f} s left, too little for one more call "
            f"(the shortest takes up to {worst_case_s(*BUDGETS[-1]):.1f} s)"
        )

    def __getattr__(self, name: str) -> Any:
        # Operations, paginators, waiters and ``exceptions``: from the client the deadline allows.
        if name.startswith("_"):
            raise AttributeError(name)
        return getattr(self.within(current_deadline()), name)


@cache
def client(service: str) -> BoundedClient:
    """One client per service and process: building a client costs tens of milliseconds."""
    return BoundedClient(service)
