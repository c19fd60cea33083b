"""Isolated capture: a Scrapy worker process with an SSRF guard, limits and encrypted WARC evidence.

Use ``run_captures(jobs, options)`` from ``hotline.capture.client``; the worker entry point is
``hotline.capture.worker.main`` (`hotline capture-worker`). Importing this package does not import
Scrapy or Twisted.

Processes: the caller (pipeline) -> capture worker (Scrapy crawl; no database credentials, only the
variables in ``client.worker_env``) -> recorder child (seals and writes evidence, emits results).

How the address guard works (``ranges.py`` the table, ``ssrf.py`` policy, ``guard.py`` resolution,
``resolver.py`` and ``middleware.py`` hooks):

1. ``ssrf.canonical_url`` reads the host the way browsers do (decimal/octal/hex/short IPv4, IPv6
   literals, trailing dots, percent-escapes), drops userinfo and refuses non-http(s) schemes.
2. ``TargetGuardMiddleware`` (first downloader middleware) resolves the host once per batch with
   dnspython against the configured nameservers and refuses it if any address is in the table of
   ``ranges.py`` (``ssrf.check_address``) and not in ``allow_private``. Every redirect hop and every
   embedded resource is a new request, so it is checked the same way.
3. Direct connections: ``GuardedResolver`` (TWISTED_DNS_RESOLVER) is asked by Twisted for every TCP
   connection, even for IP literals, and returns only the cached, checked addresses: the connection
   goes to what was checked (no second resolution). ``direct_connect_only`` narrows it further.
4. Through an HTTP proxy the proxy resolves the name (the request line carries it, as RFC 9112 wants)
   and opens the connection, so the proxy enforces the same table: ``egress.py`` writes its Squid
   configuration (`hotline egress squid-config`), and ``proxy_answers.py`` records the proxy's refusals
   as refusals. ``pin_through_proxy`` (opt-in) sends the checked address instead, for proxies known to
   honour Host.
5. ``PeerGuardMiddleware`` (first to see each response) checks the address the response came from:
   the proxy's, or an allowed one for direct connections.

Browser capture (``browser.py`` configuration, ``browser_page.py`` the page, ``spider_browser.py`` the
spider's part): scrapy-playwright drives Chromium inside the same crawl, only through the egress proxy,
for pages built by scripts; see ``spider_browser.py``.
"""

from hotline.capture.models import CaptureJob, CaptureOptions, CaptureResult, Hop, Resource

__all__ = ["CaptureJob", "CaptureOptions", "CaptureResult", "Hop", "Resource"]
