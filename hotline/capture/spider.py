"""The capture spider: one Scrapy crawl fetches a batch of captures, each page with its embedded media.

Redirects are followed here, not by Scrapy's RedirectMiddleware, so that every hop is recorded and
goes back through the downloader middlewares (address guard, limits) as a new request.
"""

from __future__ import annotations

import base64
import binascii
import logging
from collections.abc import AsyncIterator, Callable, Iterator
from typing import Any
from urllib.parse import unquote_to_bytes, urljoin, urlsplit

import scrapy
from scrapy import Request, signals
from scrapy.core.downloader.handlers.http11 import TunnelError
from scrapy.exceptions import CannotResolveHostError, DownloadCancelledError, DownloadTimeoutError
from scrapy.http import Response
from scrapy.utils.defer import maybe_deferred_to_future
from twisted.internet.error import DNSLookupError
from twisted.internet.error import TimeoutError as TwistedTimeoutError
from twisted.internet.task import LoopingCall, deferLater
from w3lib.encoding import html_to_unicode

from hotline.capture.content import (
    BodyTooLarge,
    decode_body,
    kind_of,
    media_type,
    type_allowed,
)
from hotline.capture.extract import media_urls, page_links, within_domain
from hotline.capture.guard import AddressGuard
from hotline.capture.middleware import LimitExceeded, LookupFailed, Refused
from hotline.capture.models import (
    CaptureJob,
    CaptureOptions,
    CaptureResult,
    Hop,
    Outcome,
    Resource,
    ResourceKind,
)
from hotline.capture.proxy_answers import proxy_answer, tunnel_answer
from hotline.capture.record import Budget, Fetch, JobState, build_result, monotonic, select_headers, utcnow
from hotline.capture.spider_browser import BrowserPass
from hotline.capture.ssrf import UrlRefused, canonical_url
from hotline.capture.tls import certificate_details
from hotline.capture.worker import JobFeed

log = logging.getLogger(__name__)
PAGE_ACCEPT = "text/html,application/xhtml+xml,application/xml;q=0.9,image/avif,image/webp,*/*;q=0.8"
MEDIA_ACCEPT = "image/avif,image/webp,image/apng,image/*,video/*,*/*;q=0.8"
RECORDER_BACKLOG_BYTES = 256_000_000


class CaptureSpider(BrowserPass, scrapy.Spider):
    name = "hotline-capture"

    def __init__(
        self,
        jobs: list[CaptureJob] | JobFeed,
        options: CaptureOptions,
        guard: AddressGuard,
        finish: Callable[[JobState, CaptureResult], None],
        backlog_bytes: Callable[[], int] = lambda: 0,
        browser_proxy: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.jobs, self.options, self.guard, self.finish = jobs, options, guard, finish
        self.browser_proxy = browser_proxy  # the proxy the batch's browser was started with
        self.backlog_bytes = backlog_bytes
        self.open_jobs: dict[str, JobState] = {}
        self._watchdog: LoopingCall | None = None

    @classmethod
    def from_crawler(cls, crawler: Any, *args: Any, **kwargs: Any) -> CaptureSpider:
        spider = super().from_crawler(crawler, *args, **kwargs)
        crawler.signals.connect(spider._opened, signal=signals.spider_opened)
        crawler.signals.connect(spider._closed, signal=signals.spider_closed)
        return spider

    # -- lifecycle ---------------------------------------------------------------------------
    def _opened(self) -> None:
        self._watchdog = LoopingCall(self._enforce_deadlines)  # needs the reactor Scrapy installed
        self._watchdog.start(0.25, now=False)

    def _closed(self) -> None:
        if self._watchdog is not None and self._watchdog.running:
            self._watchdog.stop()
        for state in list(self.open_jobs.values()):
            state.abandon("capture worker stopped before the capture finished")
            self._finish(state)

    def _enforce_deadlines(self) -> None:
        """The crawl-level watchdog: a capture past its time limit ends now, whatever is in flight."""
        now = monotonic()
        for state in list(self.open_jobs.values()):
            if state.budget.overdue(now, state.grace_seconds):
                state.abandon(f"time limit of {state.budget.max_seconds:g} s reached")
                self._finish(state)

    async def _jobs(self) -> AsyncIterator[CaptureJob]:
        if isinstance(self.jobs, list):
            for job in self.jobs:
                yield job
            return
        from twisted.internet.threads import deferToThread

        feed = self.jobs  # a thread waits for the next line, so the crawl goes on meanwhile
        while True:
            arrived: CaptureJob | None = await maybe_deferred_to_future(deferToThread(feed.next_job))
            if arrived is None:
                return
            yield arrived

    async def start(self) -> AsyncIterator[Request]:
        async for job in self._jobs():
            await self._wait_for_recorder()
            state = JobState(
                job=job,
                budget=Budget(self.options.max_seconds, self.options.max_bytes),
                proxy=job.egress_proxy or self.options.egress_proxy,
            )
            self.open_jobs[job.job_id] = state
            state.page = Fetch(job.url, "page", job.referer)
            if job.engine == "browser":
                request = self._browser_start(state)
            else:
                request = self._request(state, state.page, job.url)
            if request is not None:
                yield request
            else:
                self._maybe_finish(state)

    def _browser_start(self, state: JobState) -> Request | None:
        assert state.page is not None
        state.engine = "browser"
        try:
            canonical_url(state.job.url)
            refusal = self.browser_refusal(state)
        except UrlRefused as exc:
            refusal = str(exc)
        if refusal is None:
            return self.browser_request(state)
        state.page.hops.append(Hop(url=state.job.url, started_at=utcnow()))
        state.page.fail("refused", refusal)
        return None

    async def _wait_for_recorder(self) -> None:
        """Backpressure: while the recorder is far behind, start no new capture (running ones go on)."""
        from twisted.internet import reactor

        while self.backlog_bytes() > RECORDER_BACKLOG_BYTES:
            await maybe_deferred_to_future(deferLater(reactor, 0.05, lambda: None))

    # -- requests ----------------------------------------------------------------------------
    def _request(self, state: JobState, fetch: Fetch, url: str) -> Request | None:
        try:
            url, host = canonical_url(url)
        except UrlRefused as exc:
            fetch.hops.append(Hop(url=url, started_at=utcnow()))
            fetch.fail("refused", str(exc))
            return None
        headers = {
            "User-Agent": state.job.user_agent or self.options.user_agent,
            "Accept-Language": state.job.accept_language or self.options.accept_language,
            "Accept": PAGE_ACCEPT if fetch.kind == "page" else MEDIA_ACCEPT,
            "Accept-Encoding": "gzip, deflate",
        }
        if fetch.referer:
            headers["Referer"] = fetch.referer
        meta: dict[str, Any] = {
            "hl_state": state, "hl_fetch": fetch, "hl_budget": state.budget, "hl_started_at": utcnow(),
            "hl_url": url,
            "download_slot": host,  # one slot per host name (a pinned request line names an address)
            "dont_redirect": True, "handle_httpstatus_all": True, "dont_retry": True,
            "dont_merge_cookies": True,
        }  # fmt: skip
        if state.proxy:
            meta["proxy"] = state.proxy
        state.pending += 1
        return Request(
            url, headers=headers, meta=meta, callback=self.on_response, errback=self.on_error,
            dont_filter=True, priority=0 if fetch.kind == "page" and not fetch.hops else 10,
        )  # fmt: skip

    # -- responses ---------------------------------------------------------------------------
    def on_response(self, response: Response) -> Iterator[Request]:
        state: JobState = response.meta["hl_state"]
        fetch: Fetch = response.meta["hl_fetch"]
        state.pending -= 1
        if state.finished:
            return
        self._record_hop(state, fetch, response)
        location = response.headers.get("Location")
        refused = proxy_answer(response.status, _header(response, b"X-Squid-Error")) if response.meta.get("proxy") else None
        if refused:
            fetch.fail(*refused)
        elif 300 <= response.status < 400 and location:
            yield from self._follow(state, fetch, urljoin(_url(response), location.decode("latin-1")))
        else:
            yield from self._settle(state, fetch, response)
        self._maybe_finish(state)

    def _record_hop(self, state: JobState, fetch: Fetch, response: Response) -> None:
        meta = response.meta
        via_proxy = bool(meta.get("proxy"))
        ip = meta.get("hl_target_ip") if via_proxy else str(response.ip_address)
        sent = meta.get("hl_sent_at")
        fetch.hops.append(
            Hop(
                url=_url(response), status=response.status, ip=ip, headers=select_headers(response.headers),
                elapsed_ms=round((monotonic() - sent) * 1000, 1) if sent else None,
                started_at=meta["hl_started_at"], via_proxy=via_proxy,
            )
        )  # fmt: skip
        state.budget.bytes_left -= len(response.body)
        state.exchanges.append(_exchange(response, ip, meta["hl_started_at"]))
        if fetch.kind == "page" and response.certificate is not None and state.tls is None:
            state.tls = certificate_details(response.certificate)

    def _follow(self, state: JobState, fetch: Fetch, target: str) -> Iterator[Request]:
        domain = state.job.links_within
        if domain and fetch.kind == "page" and not within_domain(target, domain):
            fetch.fail("refused", f"redirect leaves the crawled domain {domain}: {target}")
            return
        if fetch.redirects >= self.options.max_redirects:
            fetch.fail("failed", f"too many redirects (more than {self.options.max_redirects})")
            return
        fetch.redirects += 1
        request = self._request(state, fetch, target)
        if request is not None:
            yield request

    def _settle(self, state: JobState, fetch: Fetch, response: Response) -> Iterator[Request]:
        hop = fetch.hops[-1]
        encoding = _header(response, b"Content-Encoding")
        try:
            payload = decode_body(response.body, encoding, self.options.max_bytes)
        except BodyTooLarge as exc:
            fetch.fail("failed", str(exc))
            return
        ctype = media_type(_header(response, b"Content-Type"), payload)
        kind: ResourceKind = "page" if fetch.kind == "page" else kind_of(ctype)
        resource = Resource(
            url=fetch.url, kind=kind, final_url=_url(response), status=response.status,
            content_type=ctype, size=len(payload), ip=hop.ip,
        )  # fmt: skip
        if not type_allowed(ctype, self.options.allowed_content_types):
            resource.outcome, resource.reason = "refused", f"content type not allowed: {ctype}"
            state.exchanges[-1].body = b""  # keep the headers as evidence, not the refused body
            fetch.settle(resource)
            return
        fetch.settle(resource, payload)  # hashed by the recorder, off the crawler's event loop
        if fetch.kind == "page" and ctype in ("text/html", "application/xhtml+xml"):
            yield from self._embedded(state, response, payload)

    def _embedded(self, state: JobState, response: Response, payload: bytes) -> Iterator[Request]:
        content_type = _header(response, b"Content-Type")
        _, text = html_to_unicode(content_type, payload)
        if state.job.links_within:
            state.links = page_links(text, _url(response), state.job.links_within)
        urls = media_urls(text, _url(response))
        if self.wants_browser(state, response.status, payload, len(urls)):
            state.static_media = urls
            yield self.browser_request(state)
            return
        yield from self._fetch_embedded(state, urls, _url(response))

    def _static_embedded(self, state: JobState) -> Iterator[Request]:
        """The static page's media, when the browser that was to replace it failed."""
        assert state.page is not None
        base = state.page.hops[-1].url if state.page.hops else state.job.url
        yield from self._fetch_embedded(state, state.static_media, base)

    def _fetch_embedded(self, state: JobState, urls: list[str], referer: str) -> Iterator[Request]:
        limit = max(0, self.options.max_resources - len(state.resources))
        state.skipped += max(0, len(urls) - limit)
        for url in urls[:limit]:
            fetch = Fetch(url, "resource", referer)
            state.resources.append(fetch)
            if url.startswith("data:"):
                _settle_data_url(fetch, url, self.options.max_bytes)
                continue
            request = self._request(state, fetch, url)
            if request is not None:
                yield request

    # -- failures ----------------------------------------------------------------------------
    def on_error(self, failure: Any) -> None:
        request = failure.request
        state: JobState = request.meta["hl_state"]
        fetch: Fetch = request.meta["hl_fetch"]
        state.pending -= 1
        if state.finished or fetch.done:
            self._maybe_finish(state)
            return
        outcome, reason = self._explain(failure.value, request)
        fetch.hops.append(
            Hop(url=request.meta["hl_url"], ip=request.meta.get("hl_target_ip"), started_at=request.meta["hl_started_at"])
        )
        fetch.fail(outcome, reason)
        self._maybe_finish(state)

    def _explain(self, exc: BaseException, request: Request) -> tuple[Outcome, str]:
        if isinstance(exc, Refused):
            return "refused", str(exc)
        if isinstance(exc, LimitExceeded | LookupFailed):
            return "failed", str(exc)
        if isinstance(exc, TunnelError):
            return tunnel_answer(str(exc))
        if isinstance(exc, DownloadTimeoutError | TwistedTimeoutError):
            return "failed", f"time limit of {self.options.max_seconds:g} s reached"
        if isinstance(exc, DownloadCancelledError):
            limit = request.meta.get("download_maxsize", self.options.max_bytes)
            return "failed", f"size limit reached: body larger than {limit} bytes"
        if isinstance(exc, DNSLookupError | CannotResolveHostError):
            host = urlsplit(request.meta["hl_url"]).hostname or ""
            noted = self.guard.refusals.get(host)
            return ("refused", noted) if noted else ("failed", f"DNS lookup failed for {host}")
        return "failed", f"{type(exc).__name__}: {exc}"

    # -- completion --------------------------------------------------------------------------
    def _maybe_finish(self, state: JobState) -> None:
        if not state.finished and state.complete():
            self._finish(state)

    def _finish(self, state: JobState) -> None:
        state.finished = state.budget.closed = True
        self.open_jobs.pop(state.job.job_id, None)
        self.finish(state, build_result(state))


def _header(response: Response, name: bytes) -> str:
    return (response.headers.get(name) or b"").decode("latin-1")


def _url(response: Response) -> str:
    """The URL as the site named it (the request line may carry the pinned address instead)."""
    return str(response.meta.get("hl_url", response.url))


def _exchange(response: Response, ip: str | None, started_at: Any) -> Any:
    from hotline.evidence.warc import Exchange

    sent = response.request.headers if response.request is not None else {}
    request_headers = [(k.decode("latin-1"), v.decode("latin-1")) for k, vs in sent.items() for v in vs]
    response_headers = [
        (k.decode("latin-1"), v.decode("latin-1")) for k, vs in response.headers.items() for v in vs
    ]
    return Exchange(
        url=_url(response), status=response.status, response_headers=response_headers, body=response.body,
        request_headers=request_headers, ip=ip, date=started_at,
    )  # fmt: skip


def _settle_data_url(fetch: Fetch, url: str, limit: int) -> None:
    """Inline media (data: URLs) are evidence too; they are decoded, never fetched."""
    header, _, data = url[5:].partition(",")
    ctype = header.split(";")[0].strip().lower() or "text/plain"
    try:
        payload = base64.b64decode(data, validate=False) if header.endswith(";base64") else unquote_to_bytes(data)
    except (binascii.Error, ValueError):
        fetch.fail("failed", "malformed data: URL")
        return
    if len(payload) > limit:
        fetch.fail("failed", f"inline data larger than {limit} bytes")
        return
    fetch.url = f"data:{header},..."  # the payload is in the blob store; do not repeat it in records
    fetch.settle(Resource(url=fetch.url, kind=kind_of(ctype), content_type=ctype, size=len(payload)), payload)
