"""Downloader middlewares of the capture crawl.

``TargetGuardMiddleware`` (first on the way out) judges every request's host before anything is sent:
for a direct connection the resolver enforces the same verdict again at connect time; through a proxy
it is the only check on our side, and the proxy (which resolves names itself) enforces egress policy.
A browser page's first request passes here too; what the page asks for afterwards goes from Chromium
to the proxy directly, which is why browser capture needs a proxy.
``PeerGuardMiddleware`` (first on the way back) checks the address the response actually came from.
``CaptureLimitsMiddleware`` gives every request what is left of its capture's time and byte budget.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import urlsplit

from scrapy import Request
from scrapy.exceptions import IgnoreRequest
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet import threads

from hotline.capture.guard import AddressGuard, Verdict
from hotline.capture.resolver import guard_from_settings
from hotline.capture.ssrf import check_address, within


class Refused(IgnoreRequest):
    """The address policy refused this request; the message is the recorded reason."""


class LimitExceeded(IgnoreRequest):
    """A capture limit (time, bytes) stopped this request; the message is the recorded reason."""


class LookupFailed(IgnoreRequest):
    """The host could not be resolved."""


async def _judge(guard: AddressGuard, host: str) -> Verdict:
    if guard.cached(host):
        return guard.judge_target(host)
    from twisted.internet import reactor  # imported late: Scrapy chooses and installs the reactor

    pool = reactor.getThreadPool()
    d = threads.deferToThreadPool(reactor, pool, guard.judge_target, host)
    return await maybe_deferred_to_future(d)


def _pinned(request: Request, netloc: str, address: str, port: int | None) -> Request:
    """The same request with the checked address in the request line and the site in Host.

    Through a proxy this stops a second, different resolution (DNS rebinding between our check and
    the proxy's connection): a proxy that honours the request line connects to the checked address.
    """
    literal = f"[{address}]" if ":" in address else address
    url = urlsplit(request.url)._replace(netloc=literal + (f":{port}" if port else "")).geturl()
    headers = request.headers.copy()
    headers["Host"] = netloc.rpartition("@")[2]
    return request.replace(url=url, headers=headers)


class TargetGuardMiddleware:
    def __init__(self, guard: AddressGuard, pin_through_proxy: bool = True) -> None:
        self.guard = guard
        self.pin_through_proxy = pin_through_proxy

    @classmethod
    def from_crawler(cls, crawler: Any) -> TargetGuardMiddleware:
        return cls(guard_from_settings(crawler.settings), crawler.settings.getbool("HOTLINE_PIN_THROUGH_PROXY"))

    async def process_request(self, request: Request) -> Request | None:
        parts = urlsplit(request.url)
        host = parts.hostname or ""
        verdict = await _judge(self.guard, host)
        if verdict.refused:
            raise Refused(verdict.reason)
        if not verdict.allowed:
            raise LookupFailed(verdict.reason or f"no address for {host}")
        address = verdict.addresses[0]
        request.meta["hl_target_ip"] = address
        pinnable = self.pin_through_proxy and not request.meta.get("playwright")  # the browser asks by name
        if request.meta.get("proxy") and pinnable and parts.scheme == "http" and host != address:
            return _pinned(request, parts.netloc, address, parts.port)
        return None


class PeerGuardMiddleware:
    def __init__(self, guard: AddressGuard) -> None:
        self.guard = guard

    @classmethod
    def from_crawler(cls, crawler: Any) -> PeerGuardMiddleware:
        return cls(guard_from_settings(crawler.settings))

    def process_response(self, request: Request, response: Response) -> Response:
        peer = response.ip_address
        if peer is None:
            raise Refused("no peer address recorded for the response")
        proxy = request.meta.get("proxy")
        if proxy:
            expected = self.guard.judge_connection(urlsplit(proxy).hostname or "")
            if str(peer) not in expected.addresses:
                raise Refused(f"response came from {peer}, not from the egress proxy")
            return response
        reason = check_address(peer, self.guard.allow)
        if reason is None and self.guard.direct_only and not within(peer, self.guard.direct_only):
            reason = f"{peer} is outside direct_connect_only"
        if reason:
            raise Refused(f"peer address refused: {reason}")
        return response


class CaptureLimitsMiddleware:
    """Requests carry their capture's budget object in meta["hl_budget"] (see spider.Budget)."""

    def process_request(self, request: Request) -> None:
        budget = request.meta.get("hl_budget")
        if budget is None:
            return
        now = time.monotonic()
        reason = budget.refuse_reason(now)
        if reason:
            raise LimitExceeded(reason)
        request.meta["download_timeout"] = budget.seconds_left(now)
        request.meta["download_maxsize"] = budget.bytes_left
        request.meta["hl_sent_at"] = now
