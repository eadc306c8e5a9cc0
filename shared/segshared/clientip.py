"""The client's address: `X-Forwarded-For` is believed only through trusted proxies.

The header is read right to left: starting from the peer, each hop is trusted only while
the address that handed it to us is a configured proxy (`TRUSTED_PROXIES`, CIDRs). The
first untrusted hop is the client. A peer outside the list is the client itself, so a
spoofed header from anyone else changes nothing.
"""

from __future__ import annotations

from collections.abc import Iterable
from functools import lru_cache
from ipaddress import IPv4Network, IPv6Network, ip_address, ip_network

Networks = tuple[IPv4Network | IPv6Network, ...]


@lru_cache(maxsize=16)
def parse_networks(value: str) -> Networks:
    """Comma-separated IPs or CIDRs; ValueError on a malformed entry."""
    return tuple(
        ip_network(part.strip(), strict=False) for part in value.split(",") if part.strip()
    )


def in_networks(address: str, networks: Networks) -> bool:
    """Whether `address` is an IP inside one of `networks`."""
    try:
        ip = ip_address(address)
    except ValueError:
        return False
    return any(ip in network for network in networks)


def client_address(peer: str | None, forwarded_for: Iterable[str], networks: Networks) -> str:
    """The client's address given the TCP peer and every `X-Forwarded-For` header value."""
    if peer is None:
        return "unknown"
    if not networks or not in_networks(peer, networks):
        return peer
    hops = [hop.strip() for value in forwarded_for for hop in value.split(",") if hop.strip()]
    client = peer
    for hop in reversed(hops):
        try:
            ip_address(hop)
        except ValueError:
            return client  # a garbled hop: the last proxy we trust is all we know
        client = hop
        if not in_networks(hop, networks):
            return hop
    return client
