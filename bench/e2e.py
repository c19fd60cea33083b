"""End-to-end throughput against the machine's physical limit, measured in the same run.

    .venv/bin/python bench/e2e.py [--urls 300] [--workers 1,2] [--no-celery]

Input: URLs of pages with 3 images each (one 1024x768 JPEG, two 256 px PNGs, all distinct, drawn by
Pillow) on the synthetic internet, which runs in a process of its own so its CPU is counted apart.
Every URL is taken from submitted to 'triaged' (captured through the synthetic egress proxy, hashed,
matched, located through the synthetic DNS and RDAP, routed).

(a) The physical limit: the CPU of the work that must be done for one URL, measured here, summed:
    bare Scrapy fetching the same page and images through the same proxy (a do-nothing spider in its
    own process), decoding each image and computing every hash kind of the registry, and sealing the
    same bytes (AES-GCM envelope). Divided into the machine's cores: the URLs/s no implementation can
    beat on this box.
(b) The embedded executor (SQLite, in this process; stage by stage with the CPU of this process and
    its children, the capture workers and the hashing pool).
Each executor first takes WARMUP other URLs through, untimed, as a server that has been running has:
its hashing pool started and its imports done. Scrapy's start-up stays in the limit (one per run)
and in the executors (one capture worker per batch).
(c) The embedded executor and Celery with 1 and 2 `hotline worker` processes on PostgreSQL and Redis.
The synthetic internet's, PostgreSQL's and Redis's CPU are measured and printed apart, and left out of
both sides. The last line is the embedded executor's share of the limit. Never part of `make test`.
Needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379 for (c).
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from processes import start, wait_for  # bench/, next to this script

HOST = "galerie.e2e-sintetic.ro"
WARMUP = 20  # URLs each executor takes through before it is timed
TICK = os.sysconf("SC_CLK_TCK")


# -- CPU accounting from /proc -------------------------------------------------------------------------
def _proc_table() -> dict[int, tuple[int, str, float]]:
    """pid -> (parent pid, command name, CPU seconds so far) for every process we can read.

    A process's CPU includes its children that have ended and been waited for (cutime, cstime): a
    Celery worker's capture processes come and go between two readings."""
    table = {}
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat", "rb") as fh:
                raw = fh.read().decode(errors="replace")
        except OSError:
            continue
        name = raw[raw.index("(") + 1:raw.rindex(")")]
        fields = raw[raw.rindex(")") + 2:].split()
        table[int(entry)] = (int(fields[1]), name, sum(int(f) for f in fields[11:15]) / TICK)
    return table


def _subtree(table: dict[int, tuple[int, str, float]], root: int) -> set[int]:
    found, frontier = {root}, [root]
    while frontier:
        parent = frontier.pop()
        for pid, (ppid, _, _) in table.items():
            if ppid == parent and pid not in found:
                found.add(pid)
                frontier.append(pid)
    return found


class CpuMeter:
    """CPU seconds of process trees and of named servers, read as totals so deltas can be taken."""

    def __init__(self, exclude: set[int] = frozenset()):  # type: ignore[assignment]
        self.exclude = set(exclude)

    def own(self) -> float:
        """This process, its children that have ended, and its live descendants (minus `exclude` trees)."""
        me = resource.getrusage(resource.RUSAGE_SELF)
        reaped = resource.getrusage(resource.RUSAGE_CHILDREN)
        table = _proc_table()
        excluded = set().union(*(_subtree(table, pid) for pid in self.exclude)) if self.exclude else set()
        live = _subtree(table, os.getpid()) - {os.getpid()} - excluded
        return (me.ru_utime + me.ru_stime + reaped.ru_utime + reaped.ru_stime
                + sum(table[pid][2] for pid in live if pid in table))

    @staticmethod
    def tree(root: int) -> float:
        table = _proc_table()
        return sum(table[pid][2] for pid in _subtree(table, root) if pid in table)

    @staticmethod
    def named(*names: str) -> float:
        """Every process with one of these command names (a server's own processes: postgres, redis)."""
        return sum(cpu for _, name, cpu in _proc_table().values() if name.startswith(names))


# -- the synthetic internet, in its own process -----------------------------------------------------------
def serve_net(urls: int) -> None:
    """Child: build the input, print the settings and URLs as one JSON line, serve until stdin closes."""
    from hotline.synthnet import SyntheticInternet

    with SyntheticInternet(default_sites=False) as net:
        net.add_host(HOST, country="RO")
        pages = []
        for n in range(urls + WARMUP):
            images = [net.add_image(HOST, f"/img/{n}-photo.jpg", seed=3 * n, fmt="JPEG", size=(1024, 768)),
                      net.add_image(HOST, f"/img/{n}-a.png", seed=3 * n + 1, fmt="PNG", size=(256, 256)),
                      net.add_image(HOST, f"/img/{n}-b.png", seed=3 * n + 2, fmt="PNG", size=(256, 256))]
            html = "".join(f"<img src='{url}' alt=''>" for url in images)
            pages.append((net.add_page(HOST, f"/album/{n}", html=f"<html><body>{html}</body></html>"), images))
        print(json.dumps({"settings": {"dns_nameservers": [net.dns_nameserver], "rdap_url": net.rdap_url,
                                       "egress_proxy": net.proxy_url},
                          "env": net.env(), "pages": pages}), flush=True)
        sys.stdin.read()


@dataclass
class Net:
    process: subprocess.Popen[str]
    settings: dict[str, object]
    env: dict[str, str]
    pages: list[tuple[str, list[str]]]  # the timed pages and their images
    warmup: list[str] = field(default_factory=list)

    @property
    def urls(self) -> list[str]:
        return [page for page, _ in self.pages]

    def cpu(self) -> float:
        return CpuMeter.tree(self.process.pid)


@contextmanager
def synthetic_internet(urls: int) -> Iterator[Net]:
    process = subprocess.Popen([sys.executable, __file__, "--serve-net", str(urls)], stdin=subprocess.PIPE,
                               stdout=subprocess.PIPE, text=True)
    assert process.stdout is not None and process.stdin is not None
    built = json.loads(process.stdout.readline())
    try:
        pages = [(p, list(i)) for p, i in built["pages"]]
        yield Net(process, built["settings"], built["env"], pages[WARMUP:], [p for p, _ in pages[:WARMUP]])
    finally:
        process.stdin.close()
        process.wait(timeout=60)


# -- (a) the physical limit ------------------------------------------------------------------------------
def bare_worker(proxy: str) -> None:
    """Child: fetch every URL on stdin through `proxy` with a do-nothing spider."""
    import scrapy
    from scrapy.crawler import CrawlerProcess

    urls = [line.strip() for line in sys.stdin if line.strip()]

    class Bare(scrapy.Spider):
        name = "bare"

        async def start(self):  # type: ignore[no-untyped-def]
            for url in urls:
                yield scrapy.Request(url, callback=self.parse, dont_filter=True, meta={"proxy": proxy})

        def parse(self, response):  # type: ignore[no-untyped-def]
            return None

    process = CrawlerProcess({
        "LOG_LEVEL": "WARNING", "TELNETCONSOLE_ENABLED": False, "COOKIES_ENABLED": False,
        "ROBOTSTXT_OBEY": False, "COMPRESSION_ENABLED": False, "RETRY_ENABLED": False, "CONCURRENT_ITEMS": 8,
        "CONCURRENT_REQUESTS": 32, "CONCURRENT_REQUESTS_PER_DOMAIN": 32, "LOGSTATS_INTERVAL": 0,
    })  # fmt: skip
    process.crawl(Bare)
    process.start()


def fetch_all(net: Net) -> dict[str, bytes]:
    import requests

    proxies = {"http": str(net.settings["egress_proxy"])}
    with requests.Session() as session:
        return {url: session.get(url, proxies=proxies, timeout=30).content
                for page, images in net.pages for url in [page, *images]}


@dataclass
class Limit:
    scrapy: float  # CPU seconds for all URLs
    hashing: float
    sealing: float
    farm: float
    urls: int

    @property
    def per_url(self) -> float:
        return (self.scrapy + self.hashing + self.sealing) / self.urls

    @property
    def urls_per_second(self) -> float:
        return (os.cpu_count() or 1) / self.per_url


def physical_limit(net: Net) -> Limit:
    from fingerprints import fingerprint_bytes
    from hotline.sealing.envelope import generate_master_key, seal

    every = [url for page, images in net.pages for url in [page, *images]]
    farm_before = net.cpu()
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    subprocess.run([sys.executable, __file__, "--bare-worker", str(net.settings["egress_proxy"])],
                   input="\n".join(every), text=True, check=True)
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    scrapy_cpu = (after.ru_utime + after.ru_stime) - (before.ru_utime + before.ru_stime)
    farm = net.cpu() - farm_before
    bodies = fetch_all(net)
    images = [bodies[url] for _, urls in net.pages for url in urls]
    started = time.process_time()
    for data in images:
        fingerprint_bytes(data)  # decodes once and computes every hash kind of the registry
    hashing = time.process_time() - started
    key = generate_master_key()
    started = time.process_time()
    for data in bodies.values():
        seal(data, key)
    sealing = time.process_time() - started
    return Limit(scrapy_cpu, hashing, sealing, farm, len(net.pages))


# -- (b), (c) the executors ------------------------------------------------------------------------------
@dataclass
class Run:
    name: str
    seconds: float
    cpu: float  # the product's CPU seconds (process trees; servers apart)
    urls: int
    farm: float = 0.0
    database: float = 0.0
    broker: float = 0.0
    stages: dict[str, float] = field(default_factory=dict)  # CPU seconds per stage

    @property
    def rate(self) -> float:
        return self.urls / self.seconds

    @property
    def cpu_ms_per_url(self) -> float:
        return 1000 * self.cpu / self.urls


def submit(app: object, urls: list[str]) -> None:
    from hotline.pipeline.intake import submit_report

    with app.db.session() as session:  # type: ignore[attr-defined]
        for start in range(0, len(urls), 50):
            submit_report(session, urls[start:start + 50], category="csam")


def triaged(app: object) -> int:
    from sqlalchemy import func, select

    from hotline.models import ReportedUrl, UrlState

    with app.db.sessions() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).where(ReportedUrl.state == UrlState.TRIAGED)) or 0)


def run_embedded(net: Net, data_dir: Path, database_url: str | None = None) -> Run:
    """The executor as `hotline process` runs it (stages overlapping), timed; then the same input again,
    stage after stage, to take each stage's CPU apart."""
    from hotline.app import Hotline
    from hotline.config import load_settings
    from hotline.executors.embedded import process_until_idle, run_stage_once
    from hotline.executors.registry import STAGES

    meter = CpuMeter(exclude={net.process.pid})
    name = "embedded-pg" if database_url else "embedded"

    def fresh(suffix: str) -> Hotline:
        # With PostgreSQL both passes share the database, so also the data dir: its master key opens the
        # keys sealed in that database.
        own_dir = data_dir if database_url else data_dir / suffix
        app = Hotline(load_settings(data_dir=own_dir, database_url=database_url, **net.settings))
        app.init()
        if database_url:  # the same database for both passes: start empty
            from sqlalchemy import text

            with app.db.session() as session:
                session.execute(text("TRUNCATE report, reported_url RESTART IDENTITY CASCADE"))
        return app

    with fresh("timed") as app:
        submit(app, net.warmup)
        process_until_idle(app)
        farm, db, start_cpu = net.cpu(), CpuMeter.named("postgres"), meter.own()
        start = time.perf_counter()
        submit(app, net.urls)
        process_until_idle(app)
        seconds = time.perf_counter() - start
        cpu = meter.own() - start_cpu
        farm, db = net.cpu() - farm, CpuMeter.named("postgres") - db
        total = len(net.warmup) + len(net.urls)
        assert triaged(app) == total, f"only {triaged(app)} of {total} triaged"
    stages = {stage.name: 0.0 for stage in STAGES}
    with fresh("by-stage") as app:
        submit(app, net.warmup)
        process_until_idle(app)
        submit(app, net.urls)
        progressed = True
        while progressed:
            progressed = False
            for stage in STAGES:
                before = meter.own()
                done = run_stage_once(app, stage)
                stages[stage.name] += meter.own() - before
                progressed = progressed or bool(done)
    return Run(name, seconds, cpu, len(net.urls), farm, db, 0.0, stages)


def run_celery(net: Net, workdir: Path, workers: int, postgres: str, redis: str) -> Run:
    from hotline.app import Hotline
    from hotline.config import load_settings
    from hotline.executors.celery.app import delete_queues
    from hotline.synthnet.scratch import scratch_database

    prefix = f"e2e{uuid.uuid4().hex[:6]}-"
    data_dir = workdir / f"celery{workers}"
    with scratch_database(postgres, prefix="hotline_e2e") as database_url:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
               "HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_DATABASE_URL": database_url, "HOTLINE_BROKER_URL": redis,
               "HOTLINE_QUEUE_PREFIX": prefix, "HOTLINE_DISPATCH_SECONDS": "0.2", **net.env}
        with Hotline(load_settings(data_dir=data_dir, database_url=database_url, **net.settings)) as app:
            app.init()
            logs = [data_dir / f"worker{n}.log" for n in range(workers)]
            procs = [start(env, log, "worker", "--concurrency", "1") for log in logs]
            procs.append(start(env, data_dir / "scheduler.log", "scheduler"))
            try:
                wait_for(lambda: all("ready." in log.read_text(errors="replace") for log in logs), 120,
                         "the workers to be ready")
                submit(app, net.warmup)
                wait_for(lambda: triaged(app) == len(net.warmup), 600, "the warm-up URLs to be triaged")
                cpu0 = sum(CpuMeter.tree(p.pid) for p in procs)
                farm, db, broker = net.cpu(), CpuMeter.named("postgres"), CpuMeter.named("redis-server")
                begin = time.perf_counter()
                submit(app, net.urls)
                total = len(net.warmup) + len(net.urls)
                wait_for(lambda: triaged(app) == total, 1800, "every URL to be triaged")
                seconds = time.perf_counter() - begin
                cpu = sum(CpuMeter.tree(p.pid) for p in procs) - cpu0
                return Run(f"celery-{workers}", seconds, cpu, len(net.urls), net.cpu() - farm,
                           CpuMeter.named("postgres") - db, CpuMeter.named("redis-server") - broker)
            finally:
                for proc in procs:
                    os.killpg(proc.pid, signal.SIGTERM)
                for proc in procs:
                    proc.wait(timeout=60)
                delete_queues(redis, prefix)


def main() -> None:
    if len(sys.argv) > 2 and sys.argv[1] == "--serve-net":
        serve_net(int(sys.argv[2]))
        return
    if len(sys.argv) > 2 and sys.argv[1] == "--bare-worker":
        bare_worker(sys.argv[2])
        return
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", type=int, default=300, help="pages (URLs) to take through (default: ~5 min)")
    parser.add_argument("--workers", default="1,2", help="Celery worker process counts")
    parser.add_argument("--no-celery", action="store_true", help="only the limit and the embedded executor")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    args = parser.parse_args()

    from hotline.synthnet.scratch import scratch_database

    load = os.getloadavg()[0]
    runs: list[Run] = []
    with synthetic_internet(args.urls) as net, tempfile.TemporaryDirectory() as tmp:
        limit = physical_limit(net)
        runs.append(run_embedded(net, Path(tmp) / "embedded"))
        if not args.no_celery:
            with scratch_database(args.postgres, prefix="hotline_e2e") as database_url:
                runs.append(run_embedded(net, Path(tmp) / "embedded-pg", database_url))
            for count in (int(n) for n in args.workers.split(",")):
                runs.append(run_celery(net, Path(tmp), count, args.postgres, args.redis))

    cores = os.cpu_count() or 1
    print(f"{args.urls} URLs, 3 images each (1024x768 JPEG, 2 x 256 px PNG), submitted -> triaged; "
          f"{cores} cores; load average {load:.1f} at start, {os.getloadavg()[0]:.1f} at end")
    print(f"physical limit: {1000 * limit.per_url:.1f} ms CPU per URL (Scrapy {1000 * limit.scrapy / limit.urls:.1f}, "
          f"decode + every hash kind {1000 * limit.hashing / limit.urls:.1f}, sealing {1000 * limit.sealing / limit.urls:.1f}); "
          f"{limit.urls_per_second:.1f} URLs/s on {cores} cores (synthetic internet apart: "
          f"{1000 * limit.farm / limit.urls:.1f} ms/URL)")
    for run in runs:
        stages = ", ".join(f"{name} {1000 * cpu / run.urls:.1f}" for name, cpu in run.stages.items())
        print(f"  {run.name:<12} {run.rate:7.1f} URLs/s  {run.seconds:7.1f} s  CPU {run.cpu_ms_per_url:6.1f} ms/URL"
              + (f" ({stages})" if stages else "")
              + f"; apart: synthetic internet {1000 * run.farm / run.urls:.1f}, PostgreSQL "
              f"{1000 * run.database / run.urls:.1f}, Redis {1000 * run.broker / run.urls:.1f} ms/URL")
    by_name = {run.name: run for run in runs}
    if "embedded-pg" in by_name and "celery-1" in by_name:
        ratio = by_name["celery-1"].cpu_ms_per_url / by_name["embedded-pg"].cpu_ms_per_url
        print(f"  a Celery worker's CPU per URL is {ratio:.2f} x the embedded executor's on PostgreSQL "
              "(target <= 1.25)")
    print(f"e2e ratio {by_name['embedded'].rate / limit.urls_per_second:.2f} of the physical limit")


if __name__ == "__main__":
    main()
