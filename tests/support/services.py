"""Real local services for the test layers: the library's own local stand-ins (moto in server
mode, the embedded PostgreSQL), so tests and `sluice local` run the same way."""

from __future__ import annotations

from sluice_tools.local.services import (
    AWS_ENV,
    free_port,
    moto_server,
    postgres_server,
    reset_moto,
    tcp_to_unix,
    wait_for_http,
)

REGION = AWS_ENV["AWS_DEFAULT_REGION"]

__all__ = [
    "AWS_ENV",
    "REGION",
    "free_port",
    "moto_server",
    "postgres_server",
    "reset_moto",
    "tcp_to_unix",
    "wait_for_http",
]
