"""Public-looking networks of the synthetic internet: address pools for DNS and owners for RDAP.

The ranges are real allocated blocks (so ipwhois accepts them and offline IP databases place them in
the right country) but every organisation, handle and e-mail below is invented, except the CDN
networks, whose ranges and names stand for the real CDN so that CDN detection can be tested. These are
address strings only: nothing ever connects to them.
"""

from __future__ import annotations

import ipaddress
import threading
from dataclasses import dataclass, field

IPAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network


@dataclass(frozen=True)
class Network:
    key: str  # short name used in code: "RO", "NL", "CLOUDFLARE"...
    cidr: str
    registry: str  # arin, ripencc, apnic, lacnic, afrinic (ipwhois' names)
    country: str
    name: str  # RDAP network name
    handle: str
    asn: int
    org: str
    abuse_email: str
    ipv6: str | None = None  # a companion IPv6 block of the same owner

    @property
    def network(self) -> IPNetwork:
        return ipaddress.ip_network(self.cidr)


NETWORKS: tuple[Network, ...] = (
    Network("RO", "5.2.128.0/17", "ripencc", "RO", "SYNTH-RO-HOSTING", "5.2.128.0 - 5.2.255.255", 65501,
            "Gazduire Sintetica SRL", "abuse@gazduire-sintetica.example", "2a02:2f00::/32"),
    Network("NL", "145.97.0.0/16", "ripencc", "NL", "SYNTH-NL-DATACENTER", "145.97.0.0 - 145.97.255.255",
            65502, "Synthetisch Hosting B.V.", "abuse@synthetisch-hosting.example", "2001:67c:2e8::/48"),
    Network("DE", "85.214.0.0/15", "ripencc", "DE", "SYNTH-DE-SERVERS", "85.214.0.0 - 85.215.255.255", 65503,
            "Synthetische Server GmbH", "abuse@synthetische-server.example"),
    Network("US", "66.96.128.0/18", "arin", "US", "SYNTH-US-HOSTING", "NET-66-96-128-0-1", 65504,
            "Synthetic Hosting LLC", "abuse@synthetic-hosting.example", "2600:3c00::/32"),
    Network("JP", "210.130.0.0/16", "apnic", "JP", "SYNTH-JP-NET", "210.130.0.0 - 210.130.255.255", 65505,
            "Gosei Hosting K.K.", "abuse@gosei-hosting.example"),
    Network("BR", "200.147.0.0/16", "lacnic", "BR", "SYNTH-BR-HOSPEDAGEM", "200.147.0.0/16", 65506,
            "Hospedagem Sintetica Ltda", "abuse@hospedagem-sintetica.example"),
    Network("ZA", "196.25.0.0/16", "afrinic", "ZA", "SYNTH-ZA-HOSTING", "196.25.0.0 - 196.25.255.255", 65507,
            "Synthetic Hosting (Pty) Ltd", "abuse@synthetic-hosting-za.example"),
    # CDNs: real ranges so that the product's CDN lists recognise them.
    Network("CLOUDFLARE", "104.16.0.0/13", "arin", "US", "CLOUDFLARENET", "NET-104-16-0-0-1", 13335,
            "Cloudflare, Inc.", "abuse@cloudflare.com", "2606:4700::/32"),
    Network("FASTLY", "151.101.0.0/16", "arin", "US", "SKYCA-3", "NET-151-101-0-0-1", 54113,
            "Fastly, Inc.", "abuse@fastly.com"),
)

BY_KEY = {network.key: network for network in NETWORKS}


def find_network(address: str) -> Network | None:
    ip = ipaddress.ip_address(address)
    for network in NETWORKS:
        if ip in network.network:
            return network
        if network.ipv6 and ip in ipaddress.ip_network(network.ipv6):
            return network
    return None


@dataclass
class AddressPool:
    """Hands out distinct addresses from each network, skipping the first block (.0-.9) for readability."""

    _next: dict[str, int] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def allocate(self, key: str, version: int = 4) -> str:
        network = BY_KEY[key]
        cidr = network.cidr if version == 4 else network.ipv6
        if cidr is None:
            raise ValueError(f"network {key} has no IPv{version} block")
        block = ipaddress.ip_network(cidr)
        counter = f"{key}/{version}"
        with self._lock:
            offset = self._next.get(counter, 10)
            self._next[counter] = offset + 1
        return str(block.network_address + 256 * 2 + offset)  # e.g. 5.2.130.10, 5.2.130.11, ...


def is_public(address: str) -> bool:
    """Globally routable and not multicast; IPv4-mapped IPv6 judged by its IPv4 address."""
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast
