"""Figures read from the database at scrape time, so every process that serves them agrees.

A handful of grouped counts on indexed columns, run at most once per `min_interval` seconds per process
(several Prometheus servers, or one scraping several web replicas, do not multiply the queries). When
the database does not answer, `hotline_database_up` is 0 and the other figures are left out rather than
reported as zero.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Iterable, Iterator
from datetime import datetime
from typing import TYPE_CHECKING, Any

from prometheus_client.core import GaugeMetricFamily, HistogramMetricFamily, Metric
from sqlalchemy import case, func, select

from hotline.models import (
    ACTIVE_STAGE_STATES,
    MAX_STAGE_ATTEMPTS,
    Capture,
    CrawlRecord,
    DiscoveryJob,
    Forward,
    ReportedUrl,
    UrlState,
    utcnow,
)

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.app import Hotline

log = logging.getLogger(__name__)

# Time from the first forward to removal; INHOPE counts what is gone within 3 days.
REMOVAL_BUCKETS = (3600.0, 6 * 3600.0, 12 * 3600.0, 86400.0, 2 * 86400.0, 3 * 86400.0, 7 * 86400.0,
                   14 * 86400.0, 30 * 86400.0)
OUTBOX_WAITING = ("queued", "sending")  # "held" waits for a person, not for the delivery worker


class PipelineCollector:
    """prometheus-client collector of the pipeline's state as the database has it."""

    def __init__(self, app: Hotline, min_interval: float = 10.0):
        self.app = app
        self.min_interval = min_interval
        self._lock = threading.Lock()
        self._cached: list[Metric] = []
        self._cached_at = float("-inf")

    def describe(self) -> list[Metric]:
        return []  # no queries when registered; the figures are only known at scrape time

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            if time.monotonic() - self._cached_at >= self.min_interval:
                self._cached = list(self._read())
                self._cached_at = time.monotonic()
            yield from self._cached
        yield from self._data_dir()

    def _read(self) -> Iterator[Metric]:
        started = time.perf_counter()
        try:
            with self.app.db.sessions() as session:
                families = list(_from_database(session))
        except Exception as exc:  # noqa: BLE001 - a scrape must still answer: the database is down, log why
            log.warning("metrics: database query failed: %s: %s", exc.__class__.__name__, exc)
            yield _gauge("hotline_database_up", "1 when the database answered the metrics queries", 0)
            return
        yield _gauge("hotline_database_up", "1 when the database answered the metrics queries", 1)
        yield from families
        yield _gauge("hotline_metrics_query_seconds", "Time the metrics queries took at the last refresh",
                     time.perf_counter() - started)

    def _data_dir(self) -> Iterator[Metric]:
        try:
            free = shutil.disk_usage(self.app.settings.data_dir).free
        except OSError:
            return
        yield _gauge("hotline_data_dir_free_bytes", "Free space on the data dir's filesystem (evidence)", free)


def _from_database(session: Session) -> Iterator[Metric]:
    now = utcnow()
    urls = GaugeMetricFamily("hotline_urls", "Reported URLs by state", labels=["state"])
    counts = dict(session.execute(select(ReportedUrl.state, func.count()).group_by(ReportedUrl.state)).all())
    for state in UrlState:
        urls.add_metric([state.value], counts.get(state, 0))
    yield urls

    stopped = GaugeMetricFamily(
        "hotline_urls_stopped", "URLs a stage failed on too often: they wait for a person", labels=["state"]
    )
    rows = session.execute(
        select(ReportedUrl.state, func.count())
        .where(ReportedUrl.state.in_(ACTIVE_STAGE_STATES), ReportedUrl.stage_attempts >= MAX_STAGE_ATTEMPTS)
        .group_by(ReportedUrl.state)
    ).all()
    stopped_counts = dict(rows)
    for state in ACTIVE_STAGE_STATES:
        stopped.add_metric([state.value], stopped_counts.get(state, 0))
    yield stopped

    captures = GaugeMetricFamily(
        "hotline_captures", "Captures by purpose (report, recapture, monitor, attachment) and outcome (ok, refused, failed)",
        labels=["purpose", "outcome"],
    )
    for purpose, outcome, count in session.execute(
        select(Capture.purpose, Capture.outcome, func.count()).group_by(Capture.purpose, Capture.outcome)
    ):
        captures.add_metric([purpose, outcome], count)
    yield captures

    forwards = GaugeMetricFamily(
        "hotline_forwards", "Forwards (outbox rows) by destination kind, channel and state",
        labels=["destination_kind", "channel", "state"],
    )
    for kind, channel, forward_state, count in session.execute(
        select(Forward.destination_kind, Forward.channel, Forward.state, func.count())
        .group_by(Forward.destination_kind, Forward.channel, Forward.state)
    ):
        forwards.add_metric([kind, channel, forward_state], count)
    yield forwards

    crawls = GaugeMetricFamily("hotline_discovery_jobs", "Discovery crawls by state (queued, done, cancelled)",
                               labels=["state"])
    for crawl_state, count in session.execute(select(DiscoveryJob.state, func.count()).group_by(DiscoveryJob.state)):
        crawls.add_metric([crawl_state], count)
    yield crawls
    pages = GaugeMetricFamily("hotline_crawl_records", "Pages discovery crawls fetched and still keep, by whether "
                              "their media matched", labels=["matched"])
    for matched, count in session.execute(select(CrawlRecord.matched, func.count()).group_by(CrawlRecord.matched)):
        pages.add_metric(["yes" if matched else "no"], count)
    yield pages

    oldest, most_overdue = session.execute(
        select(func.min(Forward.created_at), func.min(case((Forward.next_attempt_at <= now, Forward.next_attempt_at))))
        .where(Forward.state.in_(OUTBOX_WAITING))
    ).one()
    yield _gauge("hotline_outbox_oldest_seconds",
                 "Age of the oldest forward not yet delivered (queued or sending); 0 when none waits",
                 _age(now, oldest))
    yield _gauge("hotline_outbox_overdue_seconds",
                 "How long the most overdue forward has been due; grows when delivery is stuck",
                 _age(now, most_overdue))
    yield _removal_histogram(session)


def _removal_histogram(session: Session) -> Metric:
    """Time from a URL's first forward to its removal, over every URL that is removed, bucketed in SQL."""
    seconds = _seconds_between(session, ReportedUrl.removed_at, ReportedUrl.first_forwarded_at)
    columns: list[Any] = [func.sum(case((seconds <= bound, 1), else_=0)) for bound in REMOVAL_BUCKETS]
    columns += [func.count(), func.sum(seconds)]
    row = session.execute(
        select(*columns).where(
            ReportedUrl.state == UrlState.REMOVED,
            ReportedUrl.removed_at.is_not(None),
            ReportedUrl.first_forwarded_at.is_not(None),
        )
    ).one()
    *cumulative, total, total_seconds = row
    buckets: list[tuple[str, float]] = [
        (_bound(bound), int(count or 0)) for bound, count in zip(REMOVAL_BUCKETS, cumulative, strict=True)
    ]
    buckets.append(("+Inf", int(total or 0)))
    return HistogramMetricFamily(
        "hotline_time_to_removal_seconds",
        "Time from a URL's first forward to its removal, over the URLs removed so far",
        buckets=buckets, sum_value=max(float(total_seconds or 0.0), 0.0),
    )


def _seconds_between(session: Session, end: Any, start: Any) -> Any:
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", end - start)
    # SQLite keeps datetimes as text; julianday() reads them (days, fractional).
    return (func.julianday(end) - func.julianday(start)) * 86400.0


def _bound(seconds: float) -> str:
    return f"{seconds:.1f}"


def _age(now: datetime, since: datetime | None) -> float:
    if since is None:
        return 0.0
    if since.tzinfo is None:  # SQLite aggregates come back as naive text-parsed datetimes
        from datetime import UTC

        since = since.replace(tzinfo=UTC)
    return max((now - since).total_seconds(), 0.0)


def _gauge(name: str, documentation: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, documentation, value=value)


def collectors(items: Iterable[Any]) -> Any:
    """Several collectors (or registries) as one, for generate_latest()."""

    chosen = list(items)

    class _Combined:
        def collect(self) -> Iterator[Metric]:
            for item in chosen:
                yield from item.collect()

    return _Combined()
