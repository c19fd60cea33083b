"""Browser capture's configuration: scrapy-playwright driving Debian's Chromium, only through the proxy.

The browser resolves and connects on its own, so the capture guard never sees its requests: a browser
capture is refused unless an egress proxy is configured, which is then its only guard (see
``egress.py`` for the policy the proxy enforces). What leaves the browser, and how (each flag is here
because Chromium does otherwise):

- every request goes to the proxy: ``--proxy-server``, and ``--proxy-bypass-list=<-loopback>``, since
  Chromium sends loopback destinations directly unless told;
- the browser resolves no name itself (``--host-resolver-rules=MAP * ~NOTFOUND``, except the proxy's
  own name): DNS prefetch and preconnect have nothing to ask, and no query leaves the machine;
- WebRTC sends no UDP outside the proxy, QUIC is off, no pings, no background networking;
- no downloads, no service workers, no permissions (context options), a fresh context per capture;
- Chromium's sandbox stays on; it cannot run as root, so only a process running as root (tests) may
  turn it off, by setting ``browser_sandbox`` to false.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from hotline.capture.models import CaptureJob, CaptureOptions

VIEWPORT = {"width": 1280, "height": 800}
HANDLER = "scrapy_playwright.handler.ScrapyPlaywrightDownloadHandler"
PAGE_SCHEMES = ("http", "https", "data", "blob")  # the proxy carries http(s); data: and blob: stay local


class BrowserUnavailable(RuntimeError):
    """Browser capture cannot run here; the message says what to change."""


def launch_args(proxy_url: str) -> list[str]:
    proxy_host = urlsplit(proxy_url).hostname or ""
    return [
        f"--proxy-server={proxy_url}",
        "--proxy-bypass-list=<-loopback>",
        # The rule covers address literals too: the proxy's own address must stay reachable.
        f"--host-resolver-rules=MAP * ~NOTFOUND , EXCLUDE {proxy_host}",
        "--force-webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--webrtc-ip-handling-policy=disable_non_proxied_udp",
        "--disable-quic",
        "--dns-prefetch-disable",
        "--no-pings",
        "--disable-domain-reliability",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
        "--no-first-run",
        "--disable-breakpad",
        "--disable-gpu",
        # Not --disable-features: Chromium keeps only the last one given, which would drop Playwright's own
        # list (it switches off several of Chromium's calls to Google at start-up).
    ]


def browser_problem(options: CaptureOptions, proxy: str | None) -> str | None:
    """Why a browser capture cannot run with these options, or None."""
    if not proxy:
        return ("a browser capture needs an egress proxy (HOTLINE_EGRESS_PROXY): the browser resolves and "
                "connects on its own, so the proxy is its only guard")
    if not Path(options.browser_executable).exists():
        return (f"Chromium is not installed at {options.browser_executable}: install Debian's chromium package "
                "or set HOTLINE_CAPTURE_BROWSER_EXECUTABLE")
    if options.browser_sandbox and os.geteuid() == 0:
        return ("Chromium's sandbox cannot run as root: run captures as an unprivileged user (only a test "
                "running as root may set HOTLINE_CAPTURE_BROWSER_SANDBOX=false)")
    if not options.browser_sandbox and os.geteuid() != 0:
        return "HOTLINE_CAPTURE_BROWSER_SANDBOX=false is refused: only a process running as root may turn it off"
    return None


def launch_options(options: CaptureOptions, proxy: str) -> dict[str, Any]:
    return {
        "executable_path": str(options.browser_executable),
        "headless": True,
        "args": launch_args(proxy),
        "chromium_sandbox": options.browser_sandbox,  # Playwright adds --no-sandbox unless this is True
        "timeout": 30_000,
    }


def context_options(job: CaptureJob, options: CaptureOptions) -> dict[str, Any]:
    """A fresh browser context for one capture: nothing carries over from one capture to the next."""
    language = job.accept_language or options.accept_language
    return {
        "accept_downloads": False,
        "service_workers": "block",
        "permissions": [],
        "ignore_https_errors": True,  # hostile sites have bad certificates; their details are recorded
        "java_script_enabled": True,
        "viewport": VIEWPORT,
        "user_agent": job.user_agent or options.user_agent,
        "locale": language.split(",", 1)[0].split(";", 1)[0].strip() or "en-US",  # navigator.language
    }


async def request_headers(*, browser_type_name: str, playwright_request: Any, scrapy_request_data: dict[str, Any]
                          ) -> dict[str, str]:
    """The browser's own headers, with the capture's Accept-Language: Chromium derives that header from the
    context's locale (a single tag), so the full value the job asked for is set here, on every request."""
    headers: dict[str, str] = await playwright_request.all_headers()
    wanted = scrapy_request_data["headers"].get("Accept-Language")
    if wanted:
        headers["accept-language"] = wanted.decode("latin-1") if isinstance(wanted, bytes) else str(wanted)
    return headers


def abort_request(request: Any) -> bool:
    """Only http(s) goes out (to the proxy); data: and blob: are the page's own. Limits: browser_page."""
    if request.url.split(":", 1)[0].lower() not in PAGE_SCHEMES:
        return True
    from hotline.capture.browser_page import over_limit

    return over_limit(request)


def playwright_settings(options: CaptureOptions, proxy: str) -> dict[str, Any]:
    """Scrapy settings that add the browser: only requests marked ``playwright`` use it."""
    return {
        "DOWNLOAD_HANDLERS": {"http": HANDLER, "https": HANDLER},
        "PLAYWRIGHT_BROWSER_TYPE": "chromium",
        "PLAYWRIGHT_BROWSER_PROVIDER": "hotline.capture.browser_provider.OnDemandBrowserProvider",
        "PLAYWRIGHT_LAUNCH_OPTIONS": launch_options(options, proxy),
        "PLAYWRIGHT_MAX_CONTEXTS": options.browser_concurrency,
        "PLAYWRIGHT_MAX_PAGES_PER_CONTEXT": 1,
        "PLAYWRIGHT_DEFAULT_NAVIGATION_TIMEOUT": options.max_seconds * 1000,
        "PLAYWRIGHT_PROCESS_REQUEST_HEADERS": request_headers,  # the browser's own, but our Accept-Language
        "PLAYWRIGHT_ABORT_REQUEST": abort_request,
        "PLAYWRIGHT_RESTART_DISCONNECTED_BROWSER": True,
    }
