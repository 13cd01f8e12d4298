"""A client's address as the contract keeps it: its network, never the address itself
(``ingest.client_ip_prefix``). One rule for every way in: ingest's requests, CMCD reports and the
CDN's log lines, so a viewer is the same network whichever way Sluice heard of it."""

from __future__ import annotations

import ipaddress

__all__ = ["truncate_ip"]


def truncate_ip(address: str | None) -> str | None:
    """The client's network, never the full address: /24 for IPv4, /48 for IPv6."""
    if not address:
        return None
    try:
        # A proxy may write the address as a one-host network (192.168.0.1/32).
        ip = ipaddress.ip_network(address.strip(), strict=False).network_address
    except ValueError:
        return None
    prefix = 24 if ip.version == 4 else 48
    return str(ipaddress.ip_network(f"{ip}/{prefix}", strict=False))
