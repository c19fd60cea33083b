"""The one table of refused ranges (hotline/capture/ranges.py), read by the guard and by the proxy config.

Checked by calling it directly: no packet goes to any of these addresses.
"""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from hotline.capture.ranges import REFUSED_RANGES, lookup, refused_networks
from hotline.capture.ssrf import check_address, parse_networks

EMBEDDING = [r.network for r in REFUSED_RANGES if r.embeds]
ipv4 = st.integers(min_value=0, max_value=2**32 - 1).map(ipaddress.IPv4Address)
ipv6 = st.integers(min_value=0, max_value=2**128 - 1).map(ipaddress.IPv6Address)
# Random addresses seldom land in a small block: draw some inside each block of the table, and inside
# each block Python's own tables call private, reserved or multicast (whatever this Python's version says).
PYTHON_BLOCKS = [*ipaddress._IPv4Constants._private_networks, *ipaddress._IPv6Constants._private_networks,
                 *ipaddress._IPv6Constants._reserved_networks, ipaddress.ip_network("100.64.0.0/10"),
                 ipaddress.ip_network("224.0.0.0/4"), ipaddress.ip_network("ff00::/8")]
in_blocks = st.sampled_from([r.network for r in REFUSED_RANGES] + PYTHON_BLOCKS).flatmap(
    lambda net: st.integers(min_value=0, max_value=net.num_addresses - 1).map(lambda n: net[n]))


def _python_says_not_public(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    return not address.is_global or address.is_multicast or address.is_reserved


@given(st.one_of(ipv4, ipv6, in_blocks))
def test_every_address_python_calls_non_global_is_in_the_table(
        address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    if any(address.version == net.version and address in net for net in EMBEDDING):
        return  # judged by the IPv4 address inside (test_ssrf.py)
    if _python_says_not_public(address):
        assert lookup(address) is not None, address
        assert check_address(address) is not None, address


@given(st.one_of(ipv4, ipv6, in_blocks))
def test_the_proxy_denies_exactly_what_the_guard_refuses_plus_the_embedding_blocks(
        address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> None:
    allow = parse_networks(["127.0.0.1/32", "10.20.0.0/16", "fd00:1::/32"])
    denied = refused_networks(allow)
    in_denied = any(address.version == net.version and address in net for net in denied)
    embedding = any(address.version == net.version and address in net for net in EMBEDDING)
    allowed_explicitly = any(address.version == net.version and address in net for net in allow)

    if embedding and not allowed_explicitly:
        assert in_denied, address  # the proxy cannot look inside: it refuses the whole block
    else:
        assert in_denied == (check_address(address, allow) is not None), address


def test_allowing_one_address_splits_its_block_around_it() -> None:
    denied = refused_networks(parse_networks(["127.0.0.1/32"]))
    loopback_pieces = [net for net in denied if net.version == 4 and net.subnet_of(ipaddress.ip_network("127.0.0.0/8"))]

    assert not any(ipaddress.ip_address("127.0.0.1") in net for net in loopback_pieces)
    assert any(ipaddress.ip_address("127.0.0.2") in net for net in loopback_pieces)
    assert sum(net.num_addresses for net in loopback_pieces) == 2**24 - 1


def test_allowing_a_whole_block_removes_it() -> None:
    denied = refused_networks(parse_networks(["10.0.0.0/8"]))

    assert not any(ipaddress.ip_address("10.1.2.3") in net for net in denied if net.version == 4)
    assert any(ipaddress.ip_address("192.168.1.1") in net for net in denied if net.version == 4)


def test_the_narrowest_block_gives_the_reason() -> None:
    assert lookup(ipaddress.ip_address("::1")).reason == "loopback address"  # type: ignore[union-attr]
    assert lookup(ipaddress.ip_address("2001:0:4136:e378::1")).embeds == "Teredo"  # type: ignore[union-attr]
    assert lookup(ipaddress.ip_address("2001:20::1")).embeds is None  # type: ignore[union-attr]
    assert lookup(ipaddress.ip_address("8.8.8.8")) is None
