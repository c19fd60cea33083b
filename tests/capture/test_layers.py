"""The guard's Scrapy/Twisted hooks on their own: the resolver and the response-side peer check.

These run without a reactor or a network: the resolver is driven by a fake clock, the middleware by
response objects carrying the address a connection came from.
"""

from __future__ import annotations

import ipaddress

import pytest
from scrapy import Request
from scrapy.http import Response
from twisted.internet.address import IPv4Address
from twisted.internet.task import Clock

from hotline.capture.guard import AddressGuard
from hotline.capture.middleware import PeerGuardMiddleware, Refused
from hotline.capture.resolver import GuardedResolver
from hotline.capture.ssrf import parse_networks

NO_DNS = ["127.0.0.1:9"]  # literals never reach DNS; nothing listens there anyway


class Receiver:
    def __init__(self) -> None:
        self.addresses: list[IPv4Address] = []
        self.complete = False

    def resolutionBegan(self, resolution: object) -> None:
        pass

    def addressResolved(self, address: IPv4Address) -> None:
        self.addresses.append(address)

    def resolutionComplete(self) -> None:
        self.complete = True


def _resolve(guard: AddressGuard, host: str) -> Receiver:
    clock, receiver = Clock(), Receiver()
    GuardedResolver(clock, guard).resolveHostName(receiver, host, 8080)
    clock.advance(0)
    return receiver


def test_the_resolver_hands_twisted_nothing_for_a_refused_address() -> None:
    guard = AddressGuard(NO_DNS, direct_only=parse_networks(["127.0.0.0/8"]))
    receiver = _resolve(guard, "0x7f.2")
    assert receiver.complete and receiver.addresses == []
    assert "loopback" in guard.refusals["0x7f.2"]


def test_the_resolver_hands_twisted_the_checked_address_with_the_port() -> None:
    guard = AddressGuard(NO_DNS, allow=parse_networks(["127.0.0.1/32"]), direct_only=parse_networks(["127.0.0.0/8"]))
    receiver = _resolve(guard, "2130706433")
    assert [(a.host, a.port) for a in receiver.addresses] == [("127.0.0.1", 8080)]


def _response(peer: str, proxy: str | None = None) -> tuple[Request, Response]:
    request = Request("http://site.example/", meta={"proxy": proxy} if proxy else {})
    return request, Response("http://site.example/", request=request, ip_address=ipaddress.ip_address(peer))


@pytest.fixture
def peer_guard() -> PeerGuardMiddleware:
    guard = AddressGuard(NO_DNS, direct_only=parse_networks(["127.0.0.0/8", "5.0.0.0/8"]), proxy_hosts=frozenset({"127.0.0.1"}))
    return PeerGuardMiddleware(guard)


def test_a_direct_response_from_a_private_peer_is_refused(peer_guard: PeerGuardMiddleware) -> None:
    with pytest.raises(Refused, match="private"):
        peer_guard.process_response(*_response("10.1.2.3"))


def test_a_direct_response_from_a_global_peer_passes(peer_guard: PeerGuardMiddleware) -> None:
    request, response = _response("5.2.130.10")
    assert peer_guard.process_response(request, response) is response


def test_a_proxied_response_must_come_from_the_proxy(peer_guard: PeerGuardMiddleware) -> None:
    request, response = _response("127.0.0.1", proxy="http://127.0.0.1:3128")
    assert peer_guard.process_response(request, response) is response
    with pytest.raises(Refused, match="not from the egress proxy"):
        peer_guard.process_response(*_response("127.0.0.5", proxy="http://127.0.0.1:3128"))
