"""The address policy, by calling it directly (no packet is sent to any of these addresses)."""

from __future__ import annotations

import ipaddress

import pytest
from hypothesis import given
from hypothesis import strategies as st

from hotline.capture.guard import AddressGuard
from hotline.capture.ssrf import (
    HostError,
    UrlRefused,
    canonical_url,
    check_address,
    parse_host,
    parse_networks,
)


@pytest.mark.parametrize(
    ("spelling", "canonical"),
    [
        ("2130706433", "127.0.0.1"),
        ("0177.0.0.1", "127.0.0.1"),
        ("0x7f.1", "127.0.0.1"),
        ("0x7F000001", "127.0.0.1"),
        ("017700000001", "127.0.0.1"),
        ("127.1", "127.0.0.1"),
        ("127.0.1", "127.0.0.1"),
        ("0x7f.0x0.0x0.0x1", "127.0.0.1"),
        ("127.0.0.1.", "127.0.0.1"),
        ("%31%32%37.0.0.1", "127.0.0.1"),
        ("0", "0.0.0.0"),
        ("[::ffff:127.0.0.1]", "::ffff:7f00:1"),
        ("[0:0:0:0:0:ffff:7f00:1]", "::ffff:7f00:1"),
        ("[::1]", "::1"),
        ("Gallery.Example-Synth.RO.", "gallery.example-synth.ro"),
        ("bücher.example", "xn--bcher-kva.example"),
        ("169.254.169.254", "169.254.169.254"),
    ],
)
def test_parse_host_reads_every_spelling_the_way_a_browser_does(spelling: str, canonical: str) -> None:
    assert parse_host(spelling) == canonical


@pytest.mark.parametrize("bad", ["", ".", "256.0.0.1", "1.2.3.4.5", "0x7g.1", "a..b", "[::1%eth0]", "a b", "[zz::1]"])
def test_parse_host_rejects_malformed_hosts(bad: str) -> None:
    with pytest.raises(HostError):
        parse_host(bad)


@pytest.mark.parametrize(
    ("address", "words"),
    [
        ("10.0.0.1", "RFC 1918"),
        ("10.255.255.255", "RFC 1918"),
        ("172.16.0.1", "RFC 1918"),
        ("172.31.255.254", "RFC 1918"),
        ("192.168.1.1", "RFC 1918"),
        ("169.254.169.254", "link-local"),
        ("169.254.0.1", "link-local"),
        ("100.64.0.1", "carrier-grade NAT"),
        ("100.127.255.254", "carrier-grade NAT"),
        ("127.0.0.1", "loopback"),
        ("127.255.0.9", "loopback"),
        ("0.0.0.0", "unspecified"),
        ("224.0.0.1", "multicast"),
        ("239.255.255.250", "multicast"),
        ("240.0.0.1", "reserved"),
        ("255.255.255.255", "reserved"),
        ("192.0.2.10", "not globally routable"),
        ("198.18.0.1", "not globally routable"),
        ("::1", "loopback"),
        ("::", "unspecified"),
        ("fe80::1", "link-local"),
        ("fc00::1", "unique-local"),
        ("fd12:3456::1", "unique-local"),
        ("ff02::1", "multicast"),
        ("::ffff:127.0.0.1", "IPv4-mapped"),
        ("::ffff:8.8.8.8", "IPv4-mapped"),
        ("::127.0.0.1", "IPv4-compatible"),
        ("2002:a00:1::", "6to4 address embedding a private"),
        ("2002:7f00:1::", "6to4 address embedding a loopback"),
        ("2002:a9fe:a9fe::", "6to4 address embedding a link-local"),
        ("2001:0:4136:e378:8000:63bf:f5ff:fffe", "Teredo"),
        ("64:ff9b::a00:1", "NAT64 address embedding a private"),
        ("64:ff9b::7f00:1", "NAT64 address embedding a loopback"),
        ("64:ff9b::a9fe:a9fe", "NAT64 address embedding a link-local"),
        ("64:ff9b:1::1", "NAT64"),
        ("2001:db8::1", "not globally routable"),
        # Special-purpose blocks that Python 3.11's own tables still call global.
        ("192.0.0.8", "special-purpose"),
        ("192.0.0.170", "special-purpose"),
        ("192.88.99.1", "special-purpose"),
        ("2002:c000:8::", "6to4 address embedding a special-purpose"),
        ("64:ff9b::c000:8", "NAT64 address embedding a special-purpose"),
        ("3fff::1", "special-purpose"),
        ("5f00::1", "special-purpose"),
        ("2001:20::1", "special-purpose"),
        ("fec0::1", "site-local"),
        ("febf::1", "link-local"),
        ("198.19.255.255", "not globally routable"),
        ("0.1.2.3", "not globally routable"),
        ("ff0e::1", "multicast"),
    ],
)
def test_non_global_addresses_are_refused_with_a_reason(address: str, words: str) -> None:
    reason = check_address(address, [])
    assert reason is not None and words in reason


@pytest.mark.parametrize("address", ["5.2.130.10", "145.97.1.1", "8.8.8.8", "2a00:1450:4001::1", "2002:502:820a::", "64:ff9b::502:820a"])
def test_global_addresses_are_allowed(address: str) -> None:
    assert check_address(address, []) is None


def test_allow_private_opens_exactly_the_listed_networks() -> None:
    allow = parse_networks(["10.20.0.0/16", "fd00::/8"])
    assert check_address("10.20.3.4", allow) is None
    assert check_address("fd00::5", allow) is None
    assert check_address("10.21.0.1", allow) is not None
    assert check_address("169.254.169.254", allow) is not None


@pytest.mark.parametrize(
    ("url", "expected"),
    [
        ("http://a@127.0.0.1/x", "http://127.0.0.1/x"),
        ("http://user:pw@Example.COM.:8080/a?b=1#frag", "http://example.com:8080/a?b=1"),
        ("http://[::ffff:127.0.0.1]:81", "http://[::ffff:7f00:1]:81/"),
        ("HTTPS://0x7f.1/", "https://127.0.0.1/"),
    ],
)
def test_canonical_url_drops_userinfo_and_spells_the_host_canonically(url: str, expected: str) -> None:
    assert canonical_url(url)[0] == expected


@pytest.mark.parametrize("url", ["file:///etc/passwd", "ftp://example.com/", "data:text/html,hi", "gopher://x/", "javascript:alert(1)", "http:///nohost", "http://exa mple.com/"])
def test_canonical_url_refuses_other_schemes_and_missing_hosts(url: str) -> None:
    with pytest.raises(UrlRefused):
        canonical_url(url)


def test_guard_refuses_literal_spellings_before_any_lookup() -> None:
    guard = AddressGuard(nameservers=["127.0.0.1:9"], dns_timeout=0.5)  # discard port: never answers
    for spelling in ("2130706433", "0177.0.0.1", "0x7f.1", "127.1", "[::ffff:127.0.0.1]", "169.254.169.254"):
        verdict = guard.judge_target(spelling)
        assert verdict.refused and not verdict.allowed, spelling


def test_guard_direct_only_net_refuses_addresses_outside_it() -> None:
    guard = AddressGuard(nameservers=["127.0.0.1:9"], direct_only=parse_networks(["127.0.0.0/8"]))
    verdict = guard.judge_connection("5.2.130.10")
    assert verdict.refused and "direct_connect_only" in (verdict.reason or "")
    assert guard.judge_target("5.2.130.10").allowed


def test_guard_lets_the_configured_proxy_through_but_not_other_loopback_hosts() -> None:
    guard = AddressGuard(
        nameservers=["127.0.0.1:9"], direct_only=parse_networks(["127.0.0.0/8"]), proxy_hosts=frozenset({"127.0.0.1"})
    )
    assert guard.judge_connection("127.0.0.1").allowed
    assert guard.judge_connection("127.0.0.2").refused
    assert guard.judge_target("127.0.0.1").refused


@given(st.integers(min_value=0, max_value=2**32 - 1), st.sampled_from(["dec", "hex", "oct", "dotted-oct", "short"]))
def test_every_numeric_spelling_of_an_ipv4_address_means_that_address(number: int, form: str) -> None:
    address = ipaddress.IPv4Address(number)
    octets = address.packed
    spelling = {
        "dec": str(number),
        "hex": hex(number),
        "oct": "0" + oct(number)[2:],
        "dotted-oct": ".".join("0" + oct(o)[2:] for o in octets),
        "short": f"{octets[0]}.{int.from_bytes(octets[1:], 'big')}",
    }[form]
    assert parse_host(spelling) == str(address)
    assert (check_address(parse_host(spelling)) is None) == (check_address(str(address)) is None)
