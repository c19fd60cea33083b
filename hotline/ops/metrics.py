"""What one process measures about its own work: stage and job durations, HTTP requests.

These live in this process (prometheus-client's default registry). Figures that must agree across
processes (URLs per state, forwards, outbox age, time to removal) are read from the database at scrape
time instead, by hotline.ops.collector.

`hotline worker` runs its tasks in prefork child processes; with an admin listener it switches
prometheus-client to multiprocess mode first (`enable_multiprocess`), so the parent's /metrics adds up
what every child recorded.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import REGISTRY, CollectorRegistry, Counter, Histogram, ProcessCollector

MULTIPROC_ENV = "PROMETHEUS_MULTIPROC_DIR"

# A stage run takes one batch: from tens of milliseconds (triage) to minutes (a batch of captures).
_STAGE_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 120.0, 300.0, 600.0, 1800.0)
_HTTP_BUCKETS = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)

# Every metric has labels, so no value exists before the first observation: that is what lets
# enable_multiprocess() switch the storage after this module was imported.
STAGE_SECONDS = Histogram(
    "hotline_stage_seconds", "Time one run of a pipeline stage took (one batch of URLs)", ["stage"],
    buckets=_STAGE_BUCKETS,
)
STAGE_URLS = Counter("hotline_stage_urls", "URLs pipeline stage runs took", ["stage"])
STAGE_FAILURES = Counter("hotline_stage_failures", "Pipeline stage runs that raised an error", ["stage"])
JOB_SECONDS = Histogram(
    "hotline_job_seconds", "Time one run of a periodic job took (forward delivery, takedown monitoring)",
    ["job"], buckets=_STAGE_BUCKETS,
)
JOB_FAILURES = Counter("hotline_job_failures", "Periodic job runs that raised an error", ["job"])
HTTP_REQUESTS = Counter(
    "hotline_http_requests", "HTTP requests answered, by area of the application and status", ["area", "status"]
)
HTTP_SECONDS = Histogram(
    "hotline_http_request_seconds", "Time to answer an HTTP request", ["area"], buckets=_HTTP_BUCKETS
)


@contextmanager
def timed_stage(stage: str, urls: int) -> Iterator[None]:
    """Record one run of `stage` over `urls` rows: its duration, and a failure if it raises."""
    STAGE_URLS.labels(stage).inc(urls)
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        STAGE_FAILURES.labels(stage).inc()
        raise
    finally:
        STAGE_SECONDS.labels(stage).observe(time.perf_counter() - started)


@contextmanager
def timed_job(job: str) -> Iterator[None]:
    started = time.perf_counter()
    try:
        yield
    except BaseException:
        JOB_FAILURES.labels(job).inc()
        raise
    finally:
        JOB_SECONDS.labels(job).observe(time.perf_counter() - started)


def enable_multiprocess() -> str:
    """Keep this process's and its children's metrics in files under a fresh directory; returns it.

    Call before any metric is observed (before a worker forks its children). The directory is removed
    when the process exits.
    """
    from prometheus_client import values

    path = tempfile.mkdtemp(prefix="hotline-metrics-")
    os.environ[MULTIPROC_ENV] = path
    values.ValueClass = values.get_value_class()  # type: ignore[no-untyped-call]
    atexit.register(shutil.rmtree, path, ignore_errors=True)
    return path


def process_metrics() -> Any:
    """What this process (and, in multiprocess mode, its children) recorded, as a collector."""
    if not os.environ.get(MULTIPROC_ENV):
        return REGISTRY
    from prometheus_client import multiprocess

    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)  # type: ignore[no-untyped-call]
    ProcessCollector(registry=registry)  # memory and CPU of this (the parent) process
    return registry
