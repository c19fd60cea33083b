"""What a capture may not reach: one explicit table of address ranges, read by the capture's guard
(``ssrf.check_address``) and by the egress proxy's configuration (``hotline egress squid-config``).

Each entry is a CIDR block with the reason a capture gives when it refuses it. The table follows the
IANA special-purpose address registries (IPv4 and IPv6) and adds multicast, the reserved blocks and
everything outside IPv6 global unicast (2000::/3), so nothing depends on which Python's ``ipaddress``
tables run the capture. A test checks that every address Python calls non-global is in it.

Three IPv6 transition blocks carry an IPv4 address inside (6to4, Teredo, NAT64). The guard, which sees
each address, judges the IPv4 address inside against this same table; a proxy's ACL cannot look inside,
so the proxy configuration refuses those blocks whole (stricter, as it may be).
``HOTLINE_ALLOW_PRIVATE`` opens listed networks in both: the guard skips the table for them, and the
proxy's deny list is this table minus those networks (``refused_networks``).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Embedding = Literal["6to4", "Teredo", "NAT64"]


@dataclass(frozen=True)
class Range:
    network: IPNetwork
    reason: str
    embeds: Embedding | None = None  # the guard judges the IPv4 address inside instead


def _r(cidr: str, reason: str, embeds: Embedding | None = None) -> Range:
    return Range(ipaddress.ip_network(cidr), reason, embeds)


NOT_ROUTABLE = "address is not globally routable"
SPECIAL = "special-purpose address (IANA registry)"
DOCUMENTATION = f"{NOT_ROUTABLE} (documentation range)"

REFUSED_RANGES: tuple[Range, ...] = (
    # IPv4
    _r("0.0.0.0/32", "unspecified address"),
    _r("0.0.0.0/8", f"{NOT_ROUTABLE} ('this network')"),
    _r("10.0.0.0/8", "private address (RFC 1918)"),
    _r("100.64.0.0/10", "carrier-grade NAT address (100.64.0.0/10)"),
    _r("127.0.0.0/8", "loopback address"),
    _r("169.254.0.0/16", "link-local address (169.254.0.0/16, cloud metadata)"),
    _r("172.16.0.0/12", "private address (RFC 1918)"),
    _r("192.0.0.0/24", SPECIAL),
    _r("192.0.2.0/24", DOCUMENTATION),
    _r("192.88.99.0/24", SPECIAL),
    _r("192.168.0.0/16", "private address (RFC 1918)"),
    _r("198.18.0.0/15", f"{NOT_ROUTABLE} (benchmarking)"),
    _r("198.51.100.0/24", DOCUMENTATION),
    _r("203.0.113.0/24", DOCUMENTATION),
    _r("224.0.0.0/4", "multicast address"),
    _r("240.0.0.0/4", "reserved address"),
    # IPv6
    _r("::/128", "unspecified address"),
    _r("::1/128", "loopback address"),
    _r("::ffff:0:0/96", "IPv4-mapped IPv6 address"),
    _r("::/96", "IPv4-compatible IPv6 address"),
    _r("64:ff9b::/96", "NAT64 address", "NAT64"),
    _r("64:ff9b:1::/48", "local-use NAT64 address"),
    _r("100::/64", f"{NOT_ROUTABLE} (discard-only)"),
    _r("2001::/32", "Teredo address", "Teredo"),
    _r("2001::/23", SPECIAL),
    _r("2001:db8::/32", DOCUMENTATION),
    _r("2002::/16", "6to4 address", "6to4"),
    _r("3fff::/20", SPECIAL),
    _r("5f00::/16", SPECIAL),
    _r("fc00::/7", "unique-local address"),
    _r("fe80::/10", "link-local address"),
    _r("fec0::/10", "site-local address"),
    _r("ff00::/8", "multicast address"),
    # Outside IPv6 global unicast (2000::/3): not allocated for use on the internet.
    _r("::/3", "reserved address"),
    _r("4000::/2", "reserved address"),
    _r("8000::/1", "reserved address"),
)

# Most specific first, so a lookup's first hit is the narrowest block (its reason says the most).
_BY_SPECIFICITY = sorted(REFUSED_RANGES, key=lambda r: r.network.prefixlen, reverse=True)


def lookup(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> Range | None:
    """The narrowest refused range holding ``address``, or None when it is a public address."""
    for entry in _BY_SPECIFICITY:
        if entry.network.version == address.version and address in entry.network:
            return entry
    return None


def refused_networks(allow: Iterable[IPNetwork] = ()) -> list[IPNetwork]:
    """Every refused block, embedding ones whole, minus the ``allow`` networks: what a proxy denies.

    Collapsed per IP version; a block partly allowed is split around the allowed part, so an address
    is denied exactly when the guard would refuse it (or it sits in an embedding block).
    """
    return subtract([r.network for r in REFUSED_RANGES], allow)


def subtract(networks: Iterable[IPNetwork], removed: Iterable[IPNetwork]) -> list[IPNetwork]:
    """``networks`` without the addresses in ``removed``, collapsed, IPv4 first."""
    gone = list(removed)
    result: list[IPNetwork] = []
    for version in (4, 6):
        nets = [n for n in networks if n.version == version]
        for hole in (g for g in gone if g.version == version):
            nets = [piece for net in nets for piece in _without(net, hole)]
        result.extend(ipaddress.collapse_addresses(nets))  # type: ignore[type-var]
    return result


def _without(net: IPNetwork, hole: IPNetwork) -> list[IPNetwork]:
    if net.subnet_of(hole):  # type: ignore[arg-type]
        return []
    if hole.subnet_of(net):  # type: ignore[arg-type]
        return list(net.address_exclude(hole))  # type: ignore[arg-type]
    return [net]  # CIDR blocks either nest or do not meet
