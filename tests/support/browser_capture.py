"""Browser capture spike: scrapy-playwright driving Debian's Chromium, every byte through one egress proxy.

It will move into the product (issue 15); until then it proves the recipe. Run in its own process,
as the product runs Scrapy (Twisted's reactor cannot start twice in one process):

    python tests/support/browser_capture.py JOB.json
    JOB.json: {"urls": [...], "proxy": "http://127.0.0.1:3128", "out_dir": "...", "max_seconds": 20,
               "max_body_bytes": 5000000, "max_page_bytes": 20000000}
    writes out_dir/result.json: {"pages": [{"url", "status", "dom", "screenshot", "requests",
                                            "responses", "failed", "truncated"}], "errors": [...]}

What leaves the browser, and how (each flag is there because Chromium does otherwise):
- everything goes to the proxy: --proxy-server, and --proxy-bypass-list=<-loopback> since Chromium
  sends loopback destinations directly unless told;
- the browser resolves no name itself (--host-resolver-rules=MAP * ~NOTFOUND): the proxy resolves, so
  DNS prefetch and preconnect have nothing to ask and no query leaves the machine;
- WebRTC sends no UDP outside the proxy (disable_non_proxied_udp), QUIC is off;
- no downloads, no service workers, no permissions (context options);
- Chromium's sandbox stays on unless we run as root (tests): Playwright adds --no-sandbox by itself
  unless chromium_sandbox=True.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import scrapy
from playwright.async_api import Page, Request, Response
from scrapy.crawler import CrawlerProcess
from scrapy_playwright.page import PageMethod

CHROMIUM = "/usr/bin/chromium"
CONTEXT = "capture"
QUIET_SECONDS = 0.5  # no request in flight for this long: the page has settled (Playwright's networkidle)


def launch_args(proxy_url: str) -> list[str]:
    proxy_host = urlsplit(proxy_url).hostname
    args = [
        f"--proxy-server={proxy_url}",
        "--proxy-bypass-list=<-loopback>",
        # The rule covers address literals too: the proxy's own address must be excluded from it.
        f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {proxy_host}",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--disable-quic",
        "--dns-prefetch-disable",
        "--no-pings",
        "--disable-domain-reliability",
        "--disable-gpu",
        # Not --disable-features: Chromium keeps only the last one, which would drop Playwright's own list
        # (it switches off requests to Google's services at startup).
    ]
    return args


def launch_options(proxy_url: str) -> dict[str, Any]:
    root = os.geteuid() == 0
    return {
        "executable_path": CHROMIUM,
        "headless": True,
        "args": launch_args(proxy_url),
        "chromium_sandbox": not root,  # Chromium's sandbox cannot run as root; production never is root
        "timeout": 30_000,
    }


def context_options() -> dict[str, Any]:
    return {
        "accept_downloads": False,
        "service_workers": "block",
        "permissions": [],
        "ignore_https_errors": True,  # hostile sites have bad certificates; the TLS details are recorded
        "java_script_enabled": True,
        "viewport": {"width": 1280, "height": 800},
        "bypass_csp": False,
    }


def crawler_settings(job: dict[str, Any]) -> dict[str, Any]:
    handler = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
    return {
        "TWISTED_REACTOR": "twisted.internet.asyncioreactor.AsyncioSelectorReactor",
        "DOWNLOAD_HANDLERS": {"http": handler, "https": handler},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch_options(job["proxy"]),
        "PLAYWRIGHT_CONTEXTS": {CONTEXT: context_options()},
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 1,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": job.get("max_seconds", 20) * 1000,
        "PLAYWRIGHT_PROCESS_REQUEST_HEADERS": None,  # the browser's own headers, not Scrapy's
        "PLAYWRIGHT_ABORT_REQUEST": abort_request,
        "CONCURRENT_REQUESTS": 1,
        "ROBOTSTXT_OBEY": False,
        "COOKIES_ENABLED": False,
        "TELNETCONSOLE_ENABLED": False,
        "RETRY_ENABLED": False,
        "CLOSESPIDER_TIMEOUT": job.get("max_seconds", 20) * len(job["urls"]) + 30,
        "LOG_LEVEL": "WARNING",
    }


def abort_request(request: Request) -> bool:
    """Only http(s) leaves the page (a proxy carries nothing else anyway); data: and blob: are local."""
    return request.url.split(":", 1)[0].lower() not in ("http", "https", "data", "blob")


@dataclass
class PageRecord:
    url: str
    status: int = 0
    dom: str = ""
    screenshot: str = ""
    requests: list[dict[str, Any]] = field(default_factory=list)
    responses: list[dict[str, Any]] = field(default_factory=list)
    failed: list[dict[str, str]] = field(default_factory=list)
    truncated: bool = False


class PageCollector:
    """Every request and response of one page, with bodies hashed, within a byte budget."""

    def __init__(self, url: str, max_body_bytes: int, max_page_bytes: int) -> None:
        self.record = PageRecord(url)
        self.max_body_bytes = max_body_bytes
        self.max_page_bytes = max_page_bytes
        self.bytes = 0
        self.in_flight = 0
        self._reads: set[asyncio.Task[None]] = set()

    def handlers(self) -> dict[str, Any]:
        return {"request": self.on_request, "response": self.on_response,
                "requestfinished": self.on_done, "requestfailed": self.on_failed}

    def on_request(self, request: Request) -> None:
        self.in_flight += 1
        self.record.requests.append({"url": request.url, "method": request.method,
                                     "resource_type": request.resource_type})

    def on_done(self, _request: Request) -> None:
        self.in_flight -= 1

    def on_failed(self, request: Request) -> None:
        self.in_flight -= 1
        self.record.failed.append({"url": request.url, "error": request.failure or ""})

    def on_response(self, response: Response) -> None:
        task = asyncio.ensure_future(self._read(response))
        self._reads.add(task)
        task.add_done_callback(self._reads.discard)

    async def _read(self, response: Response) -> None:
        entry: dict[str, Any] = {"url": response.url, "status": response.status,
                                 "resource_type": response.request.resource_type,
                                 "content_type": response.headers.get("content-type", "")}
        self.record.responses.append(entry)
        declared = int(response.headers.get("content-length") or 0)
        if declared > self.max_body_bytes or self.bytes + declared > self.max_page_bytes:
            self.record.truncated = True
            return
        try:
            body = await response.body()
        except Exception as error:  # noqa: BLE001 - redirects and aborted responses have no body
            entry["body_error"] = str(error).splitlines()[0]
            return
        self.bytes += len(body)
        entry.update(size=len(body), sha256=hashlib.sha256(body).hexdigest())

    async def settle(self, deadline: float) -> None:
        """Wait until nothing has been in flight for QUIET_SECONDS and every body is read, or the deadline."""
        loop = asyncio.get_running_loop()
        quiet_since = loop.time()
        while loop.time() < deadline:
            if self.in_flight > 0 or self._reads:
                quiet_since = loop.time()
            elif loop.time() - quiet_since >= QUIET_SECONDS:
                return
            await asyncio.sleep(0.05)


async def settle(page: Page, collector: PageCollector, seconds: float) -> None:
    await collector.settle(asyncio.get_running_loop().time() + seconds)


async def scroll_to_bottom(page: Page, collector: PageCollector, seconds: float, max_rounds: int = 40) -> None:
    """Scroll a screen at a time, letting lazy loaders fetch, until the page stops growing."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    for _round in range(max_rounds):
        at_bottom = await page.evaluate(
            "() => { window.scrollBy(0, window.innerHeight);"
            " return window.innerHeight + window.scrollY >= document.documentElement.scrollHeight - 2; }")
        await collector.settle(deadline)
        grown = await page.evaluate(
            "() => window.innerHeight + window.scrollY < document.documentElement.scrollHeight - 2")
        if (at_bottom and not grown) or loop.time() >= deadline:
            break
    await page.evaluate("() => window.scrollTo(0, 0)")


class BrowserCaptureSpider(scrapy.Spider):
    name = "browser-capture"

    def __init__(self, job: dict[str, Any], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.job = job
        self.out_dir = Path(job["out_dir"])
        self.pages: list[PageRecord] = []
        self.errors: list[str] = []

    async def start(self) -> Any:
        seconds = float(self.job.get("max_seconds", 20))
        for number, url in enumerate(self.job["urls"]):
            collector = PageCollector(url, self.job.get("max_body_bytes", 5_000_000),
                                      self.job.get("max_page_bytes", 20_000_000))
            screenshot = self.out_dir / f"page-{number}.png"
            collector.record.screenshot = str(screenshot)
            yield scrapy.Request(url, callback=self.parse, errback=self.failed, dont_filter=True, meta={
                "playwright": True,
                "playwright_context": CONTEXT,
                "playwright_include_page": True,
                "playwright_page_goto_kwargs": {"wait_until": "load"},
                "playwright_page_event_handlers": collector.handlers(),
                "playwright_page_methods": [
                    PageMethod(settle, collector, seconds / 2),
                    PageMethod(scroll_to_bottom, collector, seconds / 2),
                    PageMethod("screenshot", path=str(screenshot), full_page=True, timeout=seconds * 1000),
                ],
                "collector": collector,
            })

    async def parse(self, response: scrapy.http.Response) -> Any:
        page: Page = response.meta["playwright_page"]
        collector: PageCollector = response.meta["collector"]
        collector.record.status = response.status
        collector.record.dom = response.text  # page.content() after the page methods: the rendered DOM
        await page.close()
        self.pages.append(collector.record)
        yield {"url": collector.record.url}

    async def failed(self, failure: Any) -> None:
        page = failure.request.meta.get("playwright_page")
        if page is not None:
            await page.close()
        self.errors.append(f"{failure.request.url}: {failure.value!r}")

    def closed(self, reason: str) -> None:
        result = {"pages": [asdict(page) for page in self.pages], "errors": self.errors, "reason": reason}
        (self.out_dir / "result.json").write_text(json.dumps(result, indent=1))


def main(job_file: str) -> None:
    job = json.loads(Path(job_file).read_text())
    process = CrawlerProcess(settings=crawler_settings(job))
    process.crawl(BrowserCaptureSpider, job=job)
    process.start()


if __name__ == "__main__":
    main(sys.argv[1])
