"""The Twisted name resolver Scrapy installs (TWISTED_DNS_RESOLVER): the first line of the SSRF guard.

Twisted asks it for every outgoing TCP connection, even for IP literals, and connects only to the
addresses it reports. It reports only addresses the guard allows, resolved once per batch by
dnspython against the configured servers, so the connection goes to the address that was checked.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from twisted.internet import threads
from twisted.internet.address import IPv4Address, IPv6Address
from twisted.internet.interfaces import IAddress, IHostnameResolver, IHostResolution
from twisted.internet.task import deferLater
from zope.interface import implementer

from hotline.capture.guard import AddressGuard, Verdict

# One guard per crawl, found by the name in the HOTLINE_GUARD setting. Scrapy deep-copies settings
# per crawler, which would split the cache: the middlewares and the resolver must share one object.
GUARDS: dict[str, AddressGuard] = {}


def guard_from_settings(settings: Any) -> AddressGuard:
    return GUARDS[settings.get("HOTLINE_GUARD")]


@implementer(IHostResolution)
class _Resolution:
    def __init__(self, name: str) -> None:
        self.name = name

    def cancel(self) -> None:  # the lookup is bounded by the DNS timeout; nothing to cancel
        pass


@implementer(IHostnameResolver)
class GuardedResolver:
    def __init__(self, reactor: Any, guard: AddressGuard) -> None:
        self.reactor = reactor
        self.guard = guard

    @classmethod
    def from_crawler(cls, crawler: Any, reactor: Any) -> GuardedResolver:
        return cls(reactor, guard_from_settings(crawler.settings))

    def install_on_reactor(self) -> None:
        self.reactor.installNameResolver(self)

    def resolveHostName(
        self,
        resolutionReceiver: Any,  # IResolutionReceiver; zope interfaces confuse the type checker
        hostName: str,
        portNumber: int = 0,
        addressTypes: Sequence[type[IAddress]] | None = None,
        transportSemantics: str = "TCP",
    ) -> Any:  # IHostResolution
        resolution = _Resolution(hostName)
        resolutionReceiver.resolutionBegan(resolution)

        def deliver(verdict: Verdict) -> None:
            if verdict.allowed:
                for address in verdict.addresses:
                    kind = IPv6Address if ":" in address else IPv4Address
                    if addressTypes is None or kind in addressTypes:
                        resolutionReceiver.addressResolved(kind("TCP", address, portNumber))
            else:
                self.guard.refusals[hostName] = verdict.reason or "refused"
            resolutionReceiver.resolutionComplete()

        def failed(failure: Any) -> None:
            self.guard.refusals[hostName] = f"resolver error: {failure.getErrorMessage()}"
            resolutionReceiver.resolutionComplete()

        if self.guard.cached(hostName):
            # Deliver on the next reactor turn: Twisted expects results after resolveHostName returns.
            d = deferLater(self.reactor, 0, self.guard.judge_connection, hostName)
        else:
            d = threads.deferToThreadPool(
                self.reactor, self.reactor.getThreadPool(), self.guard.judge_connection, hostName
            )
        d.addCallbacks(deliver, failed)
        return resolution
