"""X-Forwarded-For is read right to left through trusted proxies only."""

from __future__ import annotations

from segshared.clientip import client_address, parse_networks

PROXIES = parse_networks("10.0.0.0/8")


def test_untrusted_peer_is_the_client_whatever_it_claims() -> None:
    assert client_address("198.51.100.9", ["1.2.3.4"], PROXIES) == "198.51.100.9"
    assert client_address("10.0.0.5", ["1.2.3.4"], parse_networks("")) == "10.0.0.5"


def test_trusted_proxy_hands_over_the_first_untrusted_hop_from_the_right() -> None:
    # The client spoofed "6.6.6.6"; the proxy appended the address it really saw.
    assert client_address("10.0.0.5", ["6.6.6.6, 203.0.113.7"], PROXIES) == "203.0.113.7"
    assert client_address("10.0.0.5", ["6.6.6.6", "203.0.113.7, 10.1.1.1"], PROXIES) == (
        "203.0.113.7"
    )


def test_garbage_or_missing_hops_stop_at_the_last_trusted_address() -> None:
    assert client_address("10.0.0.5", ["203.0.113.7, junk"], PROXIES) == "10.0.0.5"
    assert client_address("10.0.0.5", [], PROXIES) == "10.0.0.5"
    assert client_address(None, ["1.2.3.4"], PROXIES) == "unknown"
