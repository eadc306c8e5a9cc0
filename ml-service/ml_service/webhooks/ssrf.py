"""SSRF guard: a webhook URL may only reach public addresses, checked on every resolution.

The host is resolved at subscription and again at each delivery; any resolved address
that is private, loopback, link-local (incl. cloud metadata), shared, reserved or
unspecified is refused unless `allow_private`. The delivery then connects to the
address that was checked (the Host header and TLS SNI keep the name), so a DNS answer
that changes between the check and the connection can't redirect it.
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
# Cloud metadata endpoints outside the link-local range (always refused unless allowed).
METADATA = {ipaddress.ip_address("100.100.100.200"), ipaddress.ip_address("fd00:ec2::254")}


class UnsafeUrl(ValueError):
    """The URL is malformed, does not resolve, or reaches a refused address."""


@dataclass(frozen=True)
class Target:
    """Where to connect (`url` with the checked address) and the names to present."""

    url: str
    host_header: str
    server_name: str
    address: IPAddress


def check_shape(url: str, require_https: bool) -> None:
    """Refuse URLs that are not plain http(s)://host[:port]/path (no credentials)."""
    parts = urlsplit(url)
    allowed = ("https",) if require_https else ("http", "https")
    if parts.scheme not in allowed:
        raise UnsafeUrl(f"The URL must start with {' or '.join(s + '://' for s in allowed)}")
    if not parts.hostname:
        raise UnsafeUrl("The URL has no host")
    if parts.username or parts.password:
        raise UnsafeUrl("The URL must not carry credentials")
    try:
        parts.port  # noqa: B018 - raises on a malformed port
    except ValueError as exc:
        raise UnsafeUrl("The URL's port is invalid") from exc


def refused(address: IPAddress) -> bool:
    """True for anything but a public unicast address."""
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return not address.is_global or address.is_multicast or address in METADATA


async def resolve(url: str, allow_private: bool, require_https: bool) -> Target:
    """Check `url` and its resolved addresses now; the target to connect to."""
    check_shape(url, require_https)
    parts = urlsplit(url)
    host = parts.hostname or ""
    port = parts.port or (443 if parts.scheme == "https" else 80)
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (OSError, UnicodeError) as exc:
        raise UnsafeUrl(f"The URL's host {host!r} does not resolve") from exc
    # IPv6 hosts may carry a zone ("fe80::1%eth0"); the address is what precedes it.
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise UnsafeUrl(f"The URL's host {host!r} does not resolve")
    for address in addresses:
        if address.is_unspecified or address.is_multicast:
            raise UnsafeUrl(f"The URL's host resolves to {address}, which can't be reached")
        if not allow_private and refused(address):
            raise UnsafeUrl(
                f"The URL's host resolves to {address}: private, loopback, link-local and "
                "metadata addresses are refused"
            )
    address = addresses[0]
    literal = f"[{address}]" if address.version == 6 else str(address)
    netloc = f"{literal}:{parts.port}" if parts.port else literal
    host_header = f"{host}:{parts.port}" if parts.port else host
    return Target(urlunsplit(parts._replace(netloc=netloc)), host_header, host, address)
