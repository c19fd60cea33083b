"""Run one batch of captures as a Scrapy crawl in this process (the capture worker calls this)."""

from __future__ import annotations

import logging
import uuid
from typing import Any
from urllib.parse import urlsplit

from scrapy.crawler import CrawlerProcess

from hotline.capture.browser import browser_problem, playwright_settings
from hotline.capture.guard import AddressGuard
from hotline.capture.models import CaptureJob, CaptureOptions, CaptureResult
from hotline.capture.record import JobState, to_record
from hotline.capture.recorder import Recorder
from hotline.capture.resolver import GUARDS
from hotline.capture.spider import CaptureSpider
from hotline.capture.ssrf import parse_host, parse_networks
from hotline.capture.worker import JobFeed

log = logging.getLogger(__name__)
_MW = "scrapy.downloadermiddlewares"
_SMW = "scrapy.spidermiddlewares"


def build_guard(jobs: list[CaptureJob] | JobFeed, options: CaptureOptions) -> AddressGuard:
    # A feed's jobs are not known up front: they go through the product's proxy only.
    proxies = {options.egress_proxy} | ({job.egress_proxy for job in jobs} if isinstance(jobs, list) else set())
    proxy_hosts = frozenset(parse_host(urlsplit(p).hostname or "") for p in proxies if p)
    return AddressGuard(
        nameservers=options.dns_nameservers,
        allow=parse_networks(options.allow_private),
        direct_only=parse_networks(options.direct_connect_only),
        proxy_hosts=proxy_hosts,
        dns_timeout=min(options.dns_timeout, options.max_seconds),  # a silent DNS server is a slow server
    )


def scrapy_settings(options: CaptureOptions, guard_name: str) -> dict[str, Any]:
    """Scrapy configured for untrusted URLs: only http(s), no cookies/robots/telnet, our guard first."""
    return {
        "HOTLINE_GUARD": guard_name,
        "HOTLINE_PIN_THROUGH_PROXY": options.pin_through_proxy,
        "TWISTED_DNS_RESOLVER": "hotline.capture.resolver.GuardedResolver",
        "DNSCACHE_ENABLED": False,
        "DOWNLOAD_HANDLERS": {"file": None, "data": None, "ftp": None, "s3": None},
        "TELNETCONSOLE_ENABLED": False,
        "REMOTE_CONTROL_ENABLED": False,  # Scrapy 2.19 runs a code-executing HTTP API on localhost
        "COOKIES_ENABLED": False,
        "ROBOTSTXT_OBEY": False,
        "COMPRESSION_ENABLED": False,  # keep wire bytes for the WARC; decoded with a cap in content.py
        "REDIRECT_ENABLED": False,  # followed by the spider, one checked and recorded hop at a time
        "METAREFRESH_ENABLED": False,
        "RETRY_ENABLED": False,
        "REFERER_ENABLED": False,
        "HTTPPROXY_ENABLED": False,  # never pick up *_proxy from the environment; meta["proxy"] only
        "HTTPCACHE_ENABLED": False,
        "DOWNLOAD_MAXSIZE": options.max_bytes,
        "DOWNLOAD_WARNSIZE": 0,
        "DOWNLOAD_TIMEOUT": options.max_seconds,
        "DOWNLOAD_FAIL_ON_DATALOSS": True,
        "CONCURRENT_ITEMS": 8,
        "CONCURRENT_REQUESTS": options.concurrent_requests,
        "CONCURRENT_REQUESTS_PER_DOMAIN": options.concurrent_per_host or options.concurrent_requests,
        "DOWNLOAD_DELAY": options.download_delay,
        "DOWNLOAD_DELAY_JITTER": 0,  # the delay is a promise to the host: never shorter
        "USER_AGENT": options.user_agent,
        "URLLENGTH_LIMIT": 8192,
        "DOWNLOADER_MIDDLEWARES": {
            "hotline.capture.middleware.TargetGuardMiddleware": 1,
            "hotline.capture.middleware.CaptureLimitsMiddleware": 2,
            "hotline.capture.middleware.PeerGuardMiddleware": 1000,
            f"{_MW}.offsite.OffsiteMiddleware": None,
            f"{_MW}.robotstxt.RobotsTxtMiddleware": None,
            f"{_MW}.httpauth.HttpAuthMiddleware": None,
            f"{_MW}.retry.RetryMiddleware": None,
            f"{_MW}.redirect.MetaRefreshMiddleware": None,
            f"{_MW}.httpcompression.HttpCompressionMiddleware": None,
            f"{_MW}.redirect.RedirectMiddleware": None,
            f"{_MW}.cookies.CookiesMiddleware": None,
            f"{_MW}.httpproxy.HttpProxyMiddleware": None,
            # The spider sets timeout, size limit and every header per request itself.
            f"{_MW}.downloadtimeout.DownloadTimeoutMiddleware": None,
            f"{_MW}.defaultheaders.DefaultHeadersMiddleware": None,
            f"{_MW}.useragent.UserAgentMiddleware": None,
            f"{_MW}.stats.DownloaderStats": None,
        },
        "SPIDER_MIDDLEWARES": {
            f"{_SMW}.referer.RefererMiddleware": None,
            f"{_SMW}.httperror.HttpErrorMiddleware": None,  # every status is recorded, none dropped
            f"{_SMW}.depth.DepthMiddleware": None,
            f"{_SMW}.metacopy.MetaCopyDetectionMiddleware": None,
        },
        "EXTENSIONS": {
            "scrapy.extensions.telnet.TelnetConsole": None,
            "scrapy.extensions.remote_control.RemoteControl": None,
            "scrapy.extensions.memdebug.MemoryDebugger": None,
            "scrapy.extensions.feedexport.FeedExporter": None,
            "scrapy.extensions.spiderstate.SpiderState": None,
            "scrapy.extensions.throttle.AutoThrottle": None,
        },
        "LOG_LEVEL": "WARNING",
        "LOG_INSTALL_ROOT_HANDLER": False,  # the worker's own handler (hotline.logs) writes the lines
        "LOGSTATS_INTERVAL": 0,
        "REACTOR_THREADPOOL_MAXSIZE": 16,
    }


def browser_proxy(jobs: list[CaptureJob] | JobFeed, options: CaptureOptions) -> str | None:
    """The egress proxy the batch's browser goes through, or None when no job may need a browser.

    The proxy is a launch flag of Chromium: one per batch (the product's, or the one proxy that the jobs
    which may use the browser all name). A feed's jobs use the product's proxy and take the browser only
    as the options allow it (SharedWorker sends no job of its own proxy or engine)."""
    if not isinstance(jobs, list):
        return options.egress_proxy if options.browser_below_images > 0 else None
    may_use = [job for job in jobs
               if job.engine == "browser" or (job.engine == "auto" and options.browser_below_images > 0)]
    proxies = {job.egress_proxy or options.egress_proxy for job in may_use} - {None}
    if not proxies:
        return None
    return options.egress_proxy if options.egress_proxy in proxies else min(p for p in proxies if p)


def run_crawl(jobs: list[CaptureJob] | JobFeed, options: CaptureOptions) -> int:
    """Capture every job (a list, or a feed the jobs arrive by); result lines go to stdout (fd 1) from
    the recorder. Returns how many.

    Blocking; starts and stops the Twisted reactor, so it runs once per process. A feed's jobs are not
    known up front: they use the product's proxy only, and the browser when the options allow it.
    """
    guard = build_guard(jobs, options)
    guard_name = uuid.uuid4().hex
    GUARDS[guard_name] = guard
    recorder = Recorder(options.evidence_dir, options.master_key)

    def finish(state: JobState, result: CaptureResult) -> None:
        recorder.submit(to_record(state, result))

    settings = scrapy_settings(options, guard_name)
    proxy = browser_proxy(jobs, options)
    if proxy is not None and browser_problem(options, proxy) is None:
        browser = playwright_settings(options, proxy)
        settings["DOWNLOAD_HANDLERS"] = {**settings["DOWNLOAD_HANDLERS"], **browser.pop("DOWNLOAD_HANDLERS")}
        settings.update(browser)
    try:
        process = CrawlerProcess(settings)
        process.crawl(
            CaptureSpider, jobs=jobs, options=options, guard=guard, finish=finish,
            backlog_bytes=recorder.backlog_bytes, browser_proxy=proxy,
        )  # fmt: skip
        process.start()
    finally:
        code = recorder.close()
    if code:
        log.error("evidence recorder exited with status %s", code)
    return recorder.submitted
