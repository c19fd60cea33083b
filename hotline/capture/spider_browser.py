"""The browser half of the capture spider: pages built by scripts, captured in Chromium.

A job reaches the browser two ways: asked for (``engine="browser"``), or chosen after the static fetch
found a script and fewer media than ``browser_below_images`` (``engine="auto"``); then the static page
stays in the WARC beside the browser's exchanges, and is kept as the capture if the browser fails. The
browser's page goes through the same downloader middlewares (the host is judged first), its time limit
starts when its page opens, and everything it received becomes evidence: the exchanges as
request/response records, the screenshot and the rendered DOM as resource records, every image or
video it loaded as a media item. Media that only the rendered DOM names, but the browser never loaded,
are fetched by Scrapy like any embedded media.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import uuid
from collections.abc import AsyncIterator, Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from scrapy import Request

from hotline.capture.browser import browser_problem, context_options
from hotline.capture.browser_page import PageLimits, PageRecorder, Seen, render
from hotline.capture.content import kind_of, media_type
from hotline.capture.models import Hop, Resource
from hotline.capture.proxy_answers import proxy_answer
from hotline.capture.record import Budget, Fetch, JobState, monotonic, select_headers, utcnow
from hotline.evidence.warc import Document, dom_uri, screenshot_uri

if TYPE_CHECKING:
    from hotline.capture.guard import AddressGuard
    from hotline.capture.models import CaptureOptions

BROWSER_GRACE_SECONDS = 15.0  # past its deadline, a browser page still gets this long to close
_SCRIPT = re.compile(rb"<script\b", re.IGNORECASE)
_MEDIA_KINDS = ("image", "video")


def has_script(payload: bytes) -> bool:
    return _SCRIPT.search(payload) is not None


class BrowserPass:
    """Mixed into CaptureSpider, which provides the rest (options, _request, _maybe_finish ...)."""

    options: CaptureOptions
    guard: AddressGuard
    browser_proxy: str | None

    # -- when --------------------------------------------------------------------------------------
    def browser_refusal(self, state: JobState) -> str | None:
        """Why this job cannot use the browser in this batch, or None."""
        problem = browser_problem(self.options, state.proxy)
        if problem is None and state.proxy != self.browser_proxy:
            problem = "a batch's browser captures all go through one egress proxy; capture this URL on its own"
        return problem

    def wants_browser(self, state: JobState, status: int, payload: bytes, media_found: int) -> bool:
        """The automatic choice, after the static fetch of an HTML page (an error page stays static)."""
        threshold = self.options.browser_below_images
        if state.job.engine != "auto" or threshold <= 0 or media_found >= threshold or not 200 <= status < 300:
            return False
        if not has_script(payload):
            return False
        problem = self.browser_refusal(state)
        if problem:
            state.notes.append(f"the page has a script and {media_found} media; no browser capture: {problem}")
            return False
        state.notes.append(f"the static capture found a script and {media_found} media "
                           f"(fewer than {threshold}): captured in a browser")
        return True

    # -- the request -------------------------------------------------------------------------------
    def browser_request(self, state: JobState) -> Request:
        job, options = state.job, self.options
        fetch = Fetch(job.url, "page", job.referer)
        if state.page is not None and state.page.done:
            state.static_page = state.page  # kept in the WARC; the capture again if the browser fails
        state.page, state.engine = fetch, "browser"
        recorder = PageRecorder(PageLimits(deadline=float("inf"), max_bytes=options.max_bytes,
                                           max_resources=options.max_resources))

        async def page_opened(page: Any, _request: Any) -> None:
            # The time limit starts now, not while the page waited for a free browser context.
            state.budget = Budget(options.max_seconds, options.max_bytes)
            state.budget.refuse_reason(monotonic())
            state.grace_seconds = BROWSER_GRACE_SECONDS
            recorder.limits.deadline = asyncio.get_running_loop().time() + options.max_seconds
            recorder.attach(page)

        goto: dict[str, Any] = {"wait_until": "commit", "timeout": options.max_seconds * 1000}
        if job.referer:
            goto["referer"] = job.referer
        state.budget = Budget(options.max_seconds, options.max_bytes)  # not started: the watchdog waits
        state.pending += 1
        meta = {
            "playwright": True, "playwright_include_page": True,
            "playwright_context": f"capture-{job.job_id}-{uuid.uuid4().hex[:8]}",
            "playwright_context_kwargs": context_options(job, options),
            "playwright_page_goto_kwargs": goto,
            "playwright_page_event_handlers": recorder.handlers(),
            "playwright_page_init_callback": page_opened,
            "hl_state": state, "hl_fetch": fetch, "hl_recorder": recorder, "hl_url": job.url,
            "hl_started_at": utcnow(), "proxy": state.proxy, "handle_httpstatus_all": True,
        }  # fmt: skip
        language = job.accept_language or options.accept_language  # the browser sends it (request_headers)
        return Request(job.url, meta=meta, headers={"Accept-Language": language}, callback=self.on_browser_page,
                       errback=self.on_browser_error, dont_filter=True, priority=0)

    # -- the page ----------------------------------------------------------------------------------
    async def on_browser_page(self, response: Any) -> AsyncIterator[Request]:
        state: JobState = response.meta["hl_state"]
        recorder: PageRecorder = response.meta["hl_recorder"]
        page = response.meta["playwright_page"]
        state.pending -= 1
        try:
            if state.finished:  # ended by the watchdog meanwhile
                return
            rendered = await render(page, recorder, self.options.max_seconds)
        finally:
            recorder.detach()
            await _close(page)
        if state.finished:
            return
        self._take_page(state, response.meta["hl_fetch"], recorder, response.meta)
        state.notes.extend(rendered.notes)
        final_url = rendered.final_url or state.job.url
        if rendered.screenshot:
            state.screenshot = rendered.screenshot
            state.documents.append(Document(screenshot_uri(state.job.url), "image/png", rendered.screenshot, utcnow()))
        if rendered.dom is not None:
            dom = rendered.dom.encode("utf-8")
            state.documents.append(Document(dom_uri(state.job.url), "text/html; charset=utf-8", dom, utcnow()))
            for request in self._dom_media(state, rendered.dom, final_url, recorder):
                yield request
        self._maybe_finish(state)  # type: ignore[attr-defined]

    def _take_page(self, state: JobState, fetch: Fetch, recorder: PageRecorder, meta: dict[str, Any]) -> None:
        navigation = [seen for seen in recorder.seen if seen.navigation]
        fetch.hops = [Hop(url=s.url, status=s.status, headers=select_headers(_headers(s)), via_proxy=True,
                          ip=self._checked_address(s.url), started_at=s.exchange.date) for s in navigation]
        state.exchanges.extend(seen.exchange for seen in recorder.seen)
        state.skipped += recorder.skipped
        state.tls = state.tls or _tls(meta.get("playwright_security_details"))
        if not navigation:
            fetch.fail("failed", "the browser received no page")
            return
        document = navigation[-1]
        refused = proxy_answer(document.status, _header(document, "x-squid-error"))
        if refused:
            fetch.fail(*refused)
            return
        body = document.body or b""
        fetch.settle(Resource(url=fetch.url, kind="page", final_url=document.url, status=document.status,
                              content_type=media_type(document.content_type, body), size=len(body)),
                     document.body)
        media_urls: set[str] = set()
        for seen in recorder.seen:
            kind = _media_kind(seen)
            if seen in navigation or kind is None or seen.url in media_urls:
                continue
            media_urls.add(seen.url)
            if len(state.resources) >= self.options.max_resources:
                state.skipped += 1
                continue
            item = Fetch(seen.url, "resource", fetch.url)
            item.hops = [Hop(url=seen.url, status=seen.status, headers=select_headers(_headers(seen)),
                             via_proxy=True, started_at=seen.exchange.date)]
            resource = Resource(url=seen.url, kind=kind, final_url=seen.url, status=seen.status,
                                content_type=seen.content_type.split(";")[0].strip().lower() or None,
                                size=len(seen.body) if seen.body is not None else None)
            if seen.body is None:
                resource.outcome, resource.reason = "failed", seen.note or "no body"
            item.settle(resource, seen.body)
            state.resources.append(item)

    def _checked_address(self, url: str) -> str | None:
        """What the guard's own DNS said for the host (as static captures through a proxy record), if it
        was asked; the proxy may have connected elsewhere, and says so only in its log."""
        from urllib.parse import urlsplit

        host = urlsplit(url).hostname or ""
        if not self.guard.cached(host):
            return None  # asking now would block the crawl on DNS
        verdict = self.guard.judge_target(host)
        return verdict.addresses[0] if verdict.allowed else None

    def _dom_media(self, state: JobState, dom: str, base_url: str, recorder: PageRecorder) -> Iterator[Request]:
        """Media the rendered page names but the browser never loaded (lazy attributes, posters ...)."""
        from hotline.capture.extract import media_urls

        loaded = {seen.url for seen in recorder.seen} | {f.url for f in state.resources}
        wanted = [u for u in media_urls(dom, base_url) if u not in loaded and u.split(":", 1)[0] in ("http", "https")]
        yield from self._fetch_embedded(state, wanted, base_url)  # type: ignore[attr-defined]

    # -- failures ----------------------------------------------------------------------------------
    def on_browser_error(self, failure: Any) -> Iterator[Request]:
        request = failure.request
        state: JobState = request.meta["hl_state"]
        fetch: Fetch = request.meta["hl_fetch"]
        recorder: PageRecorder = request.meta["hl_recorder"]
        recorder.detach()
        page = request.meta.get("playwright_page")
        if page is not None:
            asyncio.ensure_future(_close(page))
        state.pending -= 1
        if state.finished:
            return
        outcome, reason = self._explain_browser(failure.value, request)
        state.exchanges.extend(seen.exchange for seen in recorder.seen)
        if state.static_page is not None:  # an automatic choice: the static capture stands
            state.page, state.static_page, state.engine = state.static_page, None, "scrapy"
            state.notes.append(f"the browser capture failed ({reason}); the static capture is kept")
            yield from self._static_embedded(state)  # type: ignore[attr-defined]
        else:
            fetch.hops.append(Hop(url=state.job.url, started_at=request.meta["hl_started_at"], via_proxy=True))
            fetch.fail(outcome, reason)
        self._maybe_finish(state)  # type: ignore[attr-defined]

    def _explain_browser(self, exc: BaseException, request: Request) -> tuple[Any, str]:
        from playwright.async_api import Error as PlaywrightError
        from playwright.async_api import TimeoutError as PlaywrightTimeout

        first = (str(exc).splitlines() or [type(exc).__name__])[0]
        if isinstance(exc, PlaywrightTimeout):
            return "failed", f"time limit of {self.options.max_seconds:g} s reached before the page answered"
        if "download" in first.lower():  # Playwright's "Download is starting", scrapy-playwright's "Failed to download"
            return "refused", "the address is a download; a browser capture takes no downloads"
        if isinstance(exc, PlaywrightError):
            return "failed", f"the browser could not load the page: {first}"
        return self._explain(exc, request)  # type: ignore[attr-defined,no-any-return]


def _headers(seen: Seen) -> dict[bytes, list[bytes]]:
    """The response's headers in the shape Scrapy's Headers.items() gives (for select_headers)."""
    raw: dict[bytes, list[bytes]] = {}
    for name, value in seen.exchange.response_headers:
        raw.setdefault(name.encode("latin-1"), []).append(value.encode("latin-1"))
    return raw


def _header(seen: Seen, name: str) -> str | None:
    return next((v for k, v in seen.exchange.response_headers if k.lower() == name), None)


def _media_kind(seen: Seen) -> Any:
    kind = kind_of(seen.content_type.split(";")[0].strip().lower())
    if kind in _MEDIA_KINDS:
        return kind
    return {"image": "image", "media": "video"}.get(seen.resource_type)


def _tls(details: Any) -> dict[str, str] | None:
    """Playwright's security details of the page's response, in the capture's TLS record."""
    if not isinstance(details, dict) or not details:
        return None
    out = {"protocol": str(details.get("protocol", "")), "subject": f"CN={details.get('subjectName', '')}",
           "issuer": f"CN={details.get('issuer', '')}"}
    for key, name in (("validFrom", "not_before"), ("validTo", "not_after")):
        if isinstance(details.get(key), int | float):
            out[name] = datetime.fromtimestamp(details[key], UTC).isoformat()
    return out


async def _close(page: Any) -> None:
    """Close the page's context (its cookies and storage go with it), bounded: a hung page is killed."""
    with contextlib.suppress(Exception):
        await asyncio.wait_for(page.context.close(), timeout=10)
