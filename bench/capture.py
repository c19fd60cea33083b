"""Capture throughput: full capture against bare Scrapy on the same synthetic pages, in one run.

    .venv/bin/python bench/capture.py [--pages 2000] [--rounds 1]

Each page has 3 distinct JPEG images. "Full" is the product path: hotline.capture.client.run_captures
(worker process, SSRF guard and pinned resolver, page parsing, 3 image fetches, MD5/SHA-1/SHA-256,
sealed blobs, one sealed WARC per page, results back as JSON). "Bare" is a Scrapy spider in its own
process fetching the same 4 URLs per page with the same concurrency and doing nothing with them.
Both connect directly to the synthetic farm on 127.0.0.1 (nothing leaves loopback). Printed ratio:
full pages/s divided by bare pages/s (target >= 0.7).

Browser row (``--browser-pages N``, default 40; 0 skips it): the first N of the same pages captured in
Debian's Chromium (engine "browser": page, scroll, settle, screenshot, DOM, every exchange in the WARC),
and, in the same run, the same N pages captured statically; both through the synthetic egress proxy (a
browser capture needs one). Printed: pages/s and CPU per page (every child process: crawler, recorder,
Playwright's driver and Chromium's processes) for each, and their ratio.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

HOST = "bench.synth.test"
CONCURRENCY = 32


def bare_worker() -> None:
    """Child process: fetch every URL on stdin with a do-nothing spider."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls = [line.strip() for line in sys.stdin if line.strip()]

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self):  # type: ignore[no-untyped-def]
            for url in urls:
                yield scrapy.Request(url, callback=self.parse, dont_filter=True)

        def parse(self, response):  # type: ignore[no-untyped-def]
            return None

    process = CrawlerProcess({
        "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": False,
        "ROBOTSTXT_OBEY": False, "COMPRESSION_ENABLED": False, "RETRY_ENABLED": False,
        "CONCURRENT_ITEMS": 8, "CONCURRENT_REQUESTS": CONCURRENCY, "CONCURRENT_REQUESTS_PER_DOMAIN": CONCURRENCY,
        "LOGSTATS_INTERVAL": 0,
    })  # fmt: skip
    process.crawl(Bare)
    process.start()


def build_site(net: object, pages: int) -> list[str]:
    from hotline.synthnet.images import image_bytes

    pool = [image_bytes(seed, "JPEG", (256, 256)) for seed in range(24)]
    net.add_host(HOST, ips=["127.0.0.1"])  # type: ignore[attr-defined]
    port = net.farm_port  # type: ignore[attr-defined]
    urls = []
    for n in range(pages):
        imgs = ""
        for k in range(3):
            path = f"/img/{n}/{k}.jpg"
            # A unique trailer after the JPEG end marker: every image is a distinct blob to hash and seal.
            body = pool[(n * 3 + k) % len(pool)] + f"page {n} image {k}".encode()
            net.add_bytes(HOST, path, body, "image/jpeg")  # type: ignore[attr-defined]
            imgs += f'<img src="{path}" alt="picture {k}">'
        html = f"<html><head><title>page {n}</title></head><body><h1>Gallery {n}</h1>{imgs}</body></html>"
        net.add_page(HOST, f"/page/{n}", html=html)  # type: ignore[attr-defined]
        urls.append(f"http://{HOST}:{port}/page/{n}")
    return urls


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_bare(urls: list[str], net: object) -> tuple[float, float]:
    port = net.farm_port  # type: ignore[attr-defined]
    every = []
    for n, url in enumerate(urls):
        every.append(url.replace(HOST, "127.0.0.1"))
        every.extend(f"http://127.0.0.1:{port}/img/{n}/{k}.jpg" for k in range(3))
    cpu, started = _children_cpu(), time.perf_counter()
    subprocess.run([sys.executable, __file__, "--bare-worker"], input="\n".join(every), text=True, check=True)
    return time.perf_counter() - started, _children_cpu() - cpu


def run_full(urls: list[str], net: object, evidence_parent: str | None, engine: str = "auto",
             proxy: str | None = None) -> tuple[float, float, int]:
    from hotline.capture.client import run_captures
    from hotline.capture.models import CaptureJob, CaptureOptions
    from hotline.evidence import generate_master_key

    evidence = Path(tempfile.mkdtemp(prefix="hotline-bench-", dir=evidence_parent))
    try:
        options = CaptureOptions(
            evidence_dir=evidence, master_key=generate_master_key(),
            dns_nameservers=[net.dns_nameserver],  # type: ignore[attr-defined]
            allow_private=["127.0.0.1/32"], direct_connect_only=["127.0.0.0/8", "::1/128"],
            concurrent_requests=CONCURRENCY, egress_proxy=proxy,
            browser_sandbox=os.geteuid() != 0,  # Chromium's sandbox cannot run as root
        )  # fmt: skip
        jobs = [CaptureJob(job_id=f"p{n}", url=url, engine=engine) for n, url in enumerate(urls)]  # type: ignore[arg-type]
        cpu, started = _children_cpu(), time.perf_counter()
        results = run_captures(jobs, options)
        elapsed, cpu = time.perf_counter() - started, _children_cpu() - cpu  # worker + its recorder
        complete = sum(1 for r in results if r.outcome == "ok" and len(r.resources) == 3
                       and all(x.blob for x in r.resources) and r.warc
                       and (engine != "browser" or (r.engine == "browser" and r.screenshot_sha256)))  # fmt: skip
        return elapsed, cpu, complete
    finally:
        shutil.rmtree(evidence, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=2000)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--evidence-parent", default=None,
                        help="folder for the (temporary) evidence directory; default: the system temp dir")
    parser.add_argument("--browser-pages", type=int, default=40,
                        help="pages for the browser row (0: no browser row)")
    parser.add_argument("--bare-worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.bare_worker:
        bare_worker()
        return
    from hotline.synthnet import SyntheticInternet

    with SyntheticInternet(default_sites=False) as net:
        urls = build_site(net, args.pages)
        bare_runs, full_runs = [], []
        for _ in range(args.rounds):  # interleaved, best of each: the box is shared
            bare_runs.append(run_bare(urls, net))
            elapsed, cpu, complete = run_full(urls, net, args.evidence_parent)
            if complete != args.pages:
                raise SystemExit(f"full capture completed {complete} of {args.pages} pages")
            full_runs.append((elapsed, cpu))
        browser_row = None
        if args.browser_pages and not Path("/usr/bin/chromium").exists():
            print("no browser row: Chromium is not installed (make browser)", file=sys.stderr)
        elif args.browser_pages:
            browser_row = run_browser_row(urls[: args.browser_pages], net, args)
    bare, full = args.pages / min(w for w, _ in bare_runs), args.pages / min(w for w, _ in full_runs)
    bare_cpu, full_cpu = (min(c for _, c in runs) * 1000 / args.pages for runs in (bare_runs, full_runs))
    print(json.dumps({
        "pages": args.pages, "images_per_page": 3, "rounds": args.rounds, "load_average": os.getloadavg()[0],
        "evidence_parent": args.evidence_parent or tempfile.gettempdir(),
        "bare_pages_per_s": round(bare, 1), "full_pages_per_s": round(full, 1), "ratio": round(full / bare, 3),
        "bare_cpu_ms_per_page": round(bare_cpu, 2), "full_cpu_ms_per_page": round(full_cpu, 2),
    }))  # fmt: skip
    print(f"bare Scrapy {bare:.1f} pages/s, full capture {full:.1f} pages/s, ratio {full / bare:.2f} (target >= 0.7); "
          f"CPU per page {bare_cpu:.2f} ms bare, {full_cpu:.2f} ms full (crawler + recorder processes)")
    if browser_row:
        print(json.dumps(browser_row))
        print(f"through the egress proxy, {browser_row['pages']} pages: static {browser_row['static_pages_per_s']} "
              f"pages/s ({browser_row['static_cpu_ms_per_page']} ms CPU a page), browser "
              f"{browser_row['browser_pages_per_s']} pages/s ({browser_row['browser_cpu_ms_per_page']} ms CPU a page): "
              f"the browser is {browser_row['static_over_browser']}x slower")


def run_browser_row(urls: list[str], net: object, args: argparse.Namespace) -> dict[str, object]:
    """Static and browser capture of the same pages through the synthetic egress proxy, interleaved."""
    proxy = net.proxy_url  # type: ignore[attr-defined]
    static_runs, browser_runs = [], []
    for _ in range(args.rounds):
        elapsed, cpu, complete = run_full(urls, net, args.evidence_parent, engine="scrapy", proxy=proxy)
        if complete != len(urls):
            raise SystemExit(f"static capture through the proxy completed {complete} of {len(urls)} pages")
        static_runs.append((elapsed, cpu))
        elapsed, cpu, complete = run_full(urls, net, args.evidence_parent, engine="browser", proxy=proxy)
        if complete != len(urls):
            raise SystemExit(f"browser capture completed {complete} of {len(urls)} pages")
        browser_runs.append((elapsed, cpu))
    static, browser = (len(urls) / min(w for w, _ in runs) for runs in (static_runs, browser_runs))
    static_cpu, browser_cpu = (min(c for _, c in runs) * 1000 / len(urls) for runs in (static_runs, browser_runs))
    return {"row": "browser", "pages": len(urls), "rounds": args.rounds, "load_average": os.getloadavg()[0],
            "static_pages_per_s": round(static, 2), "browser_pages_per_s": round(browser, 2),
            "static_cpu_ms_per_page": round(static_cpu, 1), "browser_cpu_ms_per_page": round(browser_cpu, 1),
            "static_over_browser": round(static / browser, 1)}


if __name__ == "__main__":
    main()
