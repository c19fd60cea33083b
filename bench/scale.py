"""End-to-end throughput: Celery workers on PostgreSQL + Redis against the embedded default, in one run.

    .venv/bin/python bench/scale.py [--urls 120] [--images 2] [--workers 1,2]

The same synthetic input (pages with Pillow-drawn PNGs on the synthetic internet, reached through its
egress proxy, located through its DNS and RDAP) is taken from submitted to 'triaged' four ways:
  embedded     `process_until_idle` on SQLite in this process (the default executor)
  embedded-pg  the same on PostgreSQL (separates the database's share from the executor's)
  celery-N     N `hotline worker --concurrency 1` processes + `hotline scheduler` on PostgreSQL + Redis
Workers are started and ready before the URLs are submitted; the clock runs from the submit commit
to the moment every URL is 'triaged'. Printed: items/s for each, the ratios against embedded, and
the worker time per URL and stage (from Celery's task log lines) that docs/deploy.md's estimate uses.
Needs PostgreSQL at 127.0.0.1:5432 and Redis at 127.0.0.1:6379 (override with --postgres / --redis).
"""

from __future__ import annotations

import argparse
import os
import re
import signal
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))
from processes import start, wait_for  # bench/, next to this script

HOST = "galerie.bench-sintetic.ro"


def build_input(net: object, urls: int, images: int) -> list[str]:
    net.add_host(HOST, country="RO")  # type: ignore[attr-defined]
    return net.add_bulk_pages(HOST, urls, images_per_page=images, size=(128, 128))  # type: ignore[attr-defined, no-any-return]


def submit(app: object, urls: list[str]) -> None:
    from hotline.pipeline.intake import submit_report

    with app.db.session() as session:  # type: ignore[attr-defined]
        for start in range(0, len(urls), 50):  # a report names at most 100 URLs
            submit_report(session, urls[start:start + 50], category="csam")


def triaged(app: object) -> int:
    from sqlalchemy import func, select

    from hotline.models import ReportedUrl, UrlState

    with app.db.sessions() as session:  # type: ignore[attr-defined]
        return int(session.scalar(select(func.count()).where(ReportedUrl.state == UrlState.TRIAGED)) or 0)


def net_settings(net: object) -> dict[str, object]:
    return {"dns_nameservers": [net.dns_nameserver], "rdap_url": net.rdap_url,  # type: ignore[attr-defined]
            "egress_proxy": net.proxy_url}  # type: ignore[attr-defined]


def run_embedded(net: object, urls: list[str], data_dir: Path, database_url: str | None = None) -> float:
    from hotline.app import Hotline
    from hotline.config import load_settings
    from hotline.executors.embedded import process_until_idle

    with Hotline(load_settings(data_dir=data_dir, database_url=database_url, **net_settings(net))) as app:
        app.init()
        start = time.perf_counter()
        submit(app, urls)
        process_until_idle(app)
        elapsed = time.perf_counter() - start
        assert triaged(app) == len(urls), f"embedded: only {triaged(app)} of {len(urls)} triaged"
    return elapsed


def fresh_postgres(admin_url: str):  # type: ignore[no-untyped-def]
    from hotline.synthnet.scratch import scratch_database

    return scratch_database(admin_url, prefix="hotline_bench")


def run_celery(net: object, urls: list[str], workdir: Path, workers: int, postgres: str, redis: str,
               batch: int) -> tuple[float, dict[str, float]]:
    from hotline.app import Hotline
    from hotline.config import load_settings

    prefix = f"bench{uuid.uuid4().hex[:6]}-"
    data_dir = workdir / f"celery{workers}"
    with fresh_postgres(postgres) as database_url:
        env = {"PATH": os.environ.get("PATH", ""), "HOME": os.environ.get("HOME", "/tmp"),
               "PYTHONPATH": os.environ.get("PYTHONPATH", ""),
               "HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_DATABASE_URL": database_url,
               "HOTLINE_BROKER_URL": redis, "HOTLINE_QUEUE_PREFIX": prefix,
               "HOTLINE_DISPATCH_SECONDS": "0.2", "HOTLINE_TASK_BATCH": str(batch), **net.env()}  # type: ignore[attr-defined]
        with Hotline(load_settings(data_dir=data_dir, database_url=database_url, **net_settings(net))) as app:
            app.init()
            procs = []
            logs = []
            try:
                for n in range(workers):
                    log = data_dir / f"worker{n}.log"
                    logs.append(log)
                    procs.append(start(env, log, "worker", "--concurrency", "1"))
                procs.append(start(env, data_dir / "scheduler.log", "scheduler"))
                wait_for(lambda: all("ready." in log.read_text(errors="replace") for log in logs), 60,
                         "the workers to be ready")
                begin = time.perf_counter()
                submit(app, urls)
                wait_for(lambda: triaged(app) == len(urls), 600, "every URL to be triaged")
                elapsed = time.perf_counter() - begin
                return elapsed, task_seconds(logs)
            finally:
                for proc in procs:
                    os.killpg(proc.pid, signal.SIGTERM)
                for proc in procs:
                    proc.wait(timeout=60)
                delete_queues(redis, prefix)


TASK_DONE = re.compile(r"Task hotline\.(?:stage|job)\.(\w+)\[[^]]+\] succeeded in ([0-9.]+)s")


def task_seconds(logs: list[Path]) -> dict[str, float]:
    """Seconds the workers spent in each stage's tasks, from Celery's own log lines."""
    spent: dict[str, float] = {}
    for log in logs:
        for name, seconds in TASK_DONE.findall(log.read_text(errors="replace")):
            spent[name] = spent.get(name, 0.0) + float(seconds)
    return spent


def delete_queues(broker: str, prefix: str) -> None:
    from hotline.executors.celery.app import delete_queues as delete

    delete(broker, prefix)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--urls", type=int, default=120)
    parser.add_argument("--images", type=int, default=2, help="images per page")
    parser.add_argument("--workers", default="1,2", help="worker process counts to run")
    parser.add_argument("--postgres", default="postgresql+psycopg://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0")
    parser.add_argument("--batch", type=int, default=50, help="HOTLINE_TASK_BATCH for the workers")
    parser.add_argument("--rounds", type=int, default=1, help="repeat and keep each executor's best time")
    parser.add_argument("--keep", type=Path, help="keep data and worker logs in this directory")
    args = parser.parse_args()

    from hotline.synthnet import SyntheticInternet

    counts = [int(n) for n in args.workers.split(",")]
    results: dict[str, float] = {}
    busy: dict[str, dict[str, float]] = {}
    with SyntheticInternet(default_sites=False) as net, tempfile.TemporaryDirectory() as tmp:
        urls = build_input(net, args.urls, args.images)
        for round_number in range(args.rounds):
            workdir = (args.keep or Path(tmp)) / f"round{round_number}"
            timings = {"embedded": run_embedded(net, urls, workdir / "embedded")}
            with fresh_postgres(args.postgres) as database_url:
                timings["embedded-pg"] = run_embedded(net, urls, workdir / "embedded-pg", database_url)
            for count in counts:
                name = f"celery-{count}"
                timings[name], spent = run_celery(net, urls, workdir, count, args.postgres, args.redis, args.batch)
                if timings[name] <= results.get(name, timings[name]):
                    busy[name] = spent
            print(f"round {round_number + 1}: " + ", ".join(f"{k} {v:.2f} s" for k, v in timings.items()))
            for name, seconds in timings.items():
                results[name] = min(seconds, results.get(name, seconds))

    print(f"{args.urls} URLs, {args.images} images each, submit -> triaged; {os.cpu_count()} CPUs; "
          f"best of {args.rounds}; task batch {args.batch}")
    base = args.urls / results["embedded"]
    for name, seconds in results.items():
        rate = args.urls / seconds
        print(f"  {name:<12} {seconds:7.2f} s  {rate:7.1f} items/s  ratio vs embedded {rate / base:5.2f}")
    if "celery-1" in results and "celery-2" in results:
        print(f"  celery-2 / celery-1: {results['celery-1'] / results['celery-2']:.2f}")
    for name, spent in busy.items():
        per_url = ", ".join(f"{stage} {1000 * seconds / args.urls:.0f}" for stage, seconds in spent.items())
        print(f"  {name} worker time per URL (ms): {per_url}; total {1000 * sum(spent.values()) / args.urls:.0f}")


if __name__ == "__main__":
    main()
