"""Which registry's RDAP server answers for an IP address (RFC 9224 bootstrap).

The IANA bootstrap data ships as a package file and is read once; nothing is fetched at run
time. A snapshot that misses a newer allocation is harmless: the registries' RDAP servers
redirect queries for space another registry holds.
"""

from __future__ import annotations

import ipaddress
import json
from functools import lru_cache
from importlib import resources

IpNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network

# Registry short names as ipwhois spells them (its parser keys on them).
_REGISTRY_BY_HOST_PART = {
    "arin": "arin",
    "ripe": "ripencc",
    "apnic": "apnic",
    "lacnic": "lacnic",
    "afrinic": "afrinic",
}


@lru_cache(maxsize=1)
def _services() -> tuple[tuple[IpNetwork, str], ...]:
    """(network, base URL) pairs, most specific first, HTTPS preferred."""
    text = resources.files("hotline.locate.data").joinpath("rdap-bootstrap.json").read_text("utf-8")
    data = json.loads(text)
    pairs: list[tuple[IpNetwork, str]] = []
    for family in ("ipv4", "ipv6"):
        for prefixes, urls in data[family]["services"]:
            url = next((u for u in urls if u.startswith("https://")), urls[0])
            pairs.extend((ipaddress.ip_network(p), url) for p in prefixes)
    pairs.sort(key=lambda pair: pair[0].prefixlen, reverse=True)
    return tuple(pairs)


def bootstrap_base_url(ip: str) -> str | None:
    """The RDAP base URL of the registry that holds `ip`, or None for unallocated space."""
    address = ipaddress.ip_address(ip)
    for network, url in _services():
        if network.version == address.version and address in network:
            return url
    return None


def registry_of(url_or_port43: str | None) -> str | None:
    """Guess the registry ("arin", "ripencc", ...) from an RDAP URL or a port43 whois host."""
    if not url_or_port43:
        return None
    lowered = url_or_port43.lower()
    for part, registry in _REGISTRY_BY_HOST_PART.items():
        if part in lowered:
            return registry
    return None
