"""Who a request comes from, as every per-address count sees it (rate limits, sign-in delays).

An IPv6 address counts by its /64 network, which one subscriber (a home, a phone) is given whole:
counted address by address, a single machine could step through 2^64 of them and never be
limited. An IPv4-mapped IPv6 address is its IPv4 address.
"""

from __future__ import annotations

import ipaddress

IPV6_NETWORK_PREFIX = 64


def client_key(address: str) -> str:
    """An IPv4 address, an IPv6 /64 network, or (not an address at all) the text itself."""
    try:
        parsed = ipaddress.ip_address(address)
    except ValueError:
        return address
    if isinstance(parsed, ipaddress.IPv6Address):
        if parsed.ipv4_mapped is not None:
            return str(parsed.ipv4_mapped)
        return str(ipaddress.ip_network(f"{parsed}/{IPV6_NETWORK_PREFIX}", strict=False))
    return str(parsed)
