"""The crawl: breadth-first rounds through the isolated capture worker, the frontier kept in the database.

A round leases the job, takes the shallowest pending frontier URLs (no more than the limits leave) and
captures them in one worker (same guard, proxy and evidence store as every capture), asking for each
page's links within the job's registrable domain. The worker, which has no database, only fetches: the
parent fingerprints each page's media, keeps a crawl record, adds the new links one level deeper, and
puts a page whose media match a trusted list or an assessed item into the job's discovery report, with
the crawl's capture as its evidence; from there it goes through fingerprint, locate, triage and
auto-forward like any reported URL.

The per-host rate holds inside a worker (Scrapy's download delay, one request at a time per host) and
between rounds (the next worker starts no sooner than one interval after the last one ended). A killed
worker leaves its pages pending and its lease runs out: the next round fetches them again.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import func, or_, select, update

from hotline import audit
from hotline.models import CrawlRecord, DiscoveryFrontier, DiscoveryJob, Report, UrlState, utcnow
from hotline.pipeline.discovery.jobs import DONE, QUEUED, discovery_paused
from hotline.pipeline.discovery.matching import PageVerdict, fingerprint_media, judge_page

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from fingerprints import MediaFingerprint
    from hotline.app import Hotline
    from hotline.capture.models import CaptureResult

PENDING, FETCHED = "pending", "fetched"
DISCOVERY_CONCURRENCY = 4  # requests at once in a crawl's capture process (one per host)
FRONTIER_FACTOR = 10  # frontier rows a job keeps at most, per page it may fetch
LEASE = timedelta(minutes=15)


@dataclass
class Round:
    job_id: int
    pages: int = 0
    matched: int = 0
    finished: str | None = None  # why the job ended, when it did


def claim_job(app: Hotline, job_id: int | None = None) -> tuple[int, str] | None:
    """Lease one queued job (the given one, or the oldest free one); (job id, token) or None."""
    now = utcnow()
    token = uuid.uuid4().hex
    free = or_(DiscoveryJob.lease_until.is_(None), DiscoveryJob.lease_until < now)
    with app.db.session() as session:
        stmt = select(DiscoveryJob.id).where(DiscoveryJob.state == QUEUED, free).order_by(DiscoveryJob.id).limit(1)
        if job_id is not None:
            stmt = stmt.where(DiscoveryJob.id == job_id)
        chosen = session.scalar(stmt)
        if chosen is None:
            return None
        taken = session.execute(update(DiscoveryJob).where(DiscoveryJob.id == chosen, DiscoveryJob.state == QUEUED, free)
                                .values(lease_owner=token, lease_until=now + LEASE)
                                .execution_options(synchronize_session=False))
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            return None
    return chosen, token


def release_job(app: Hotline, job_id: int, token: str) -> None:
    with app.db.session() as session:
        session.execute(update(DiscoveryJob).where(DiscoveryJob.id == job_id, DiscoveryJob.lease_owner == token)
                        .values(lease_owner=None, lease_until=None).execution_options(synchronize_session=False))


def run_round(app: Hotline, job_id: int, token: str, on_page: Callable[[CrawlRecord], None] | None = None) -> Round:
    """Fetch one batch of the job's frontier (see the module's docstring)."""
    from hotline.capture.client import run_captures
    from hotline.capture.models import CaptureJob

    done = Round(job_id)
    with app.db.session() as session:
        job = session.get(DiscoveryJob, job_id)
        if job is None or job.state != QUEUED or job.lease_owner != token or discovery_paused(session):
            return done
        stop = _limit_reached(job)
        batch: list[DiscoveryFrontier] = []
        if stop is None:
            room = min(app.settings.discovery_batch, job.max_pages - job.pages,
                       max(1, int((job.max_seconds - job.seconds) * job.per_host_rate)))
            batch = list(session.scalars(
                select(DiscoveryFrontier).where(DiscoveryFrontier.job_id == job_id, DiscoveryFrontier.state == PENDING)
                .order_by(DiscoveryFrontier.depth, DiscoveryFrontier.id).limit(room)))
            if not batch:
                stop = "every page within reach was fetched"
        if stop is not None:
            _finish(session, job, stop)
            done.finished = stop
            return done
        job.started_at = job.started_at or utcnow()
        job.lease_until = utcnow() + LEASE
        origin = session.get(Report, job.origin_report_id)
        jobs = [CaptureJob(job_id=f"discovery-{job_id}-{entry.id}", url=entry.url, referer=entry.referer,
                           engine="scrapy", links_within=job.domain,
                           references=[origin.reference] if origin else [])
                for entry in batch]
        depth_of = {f"discovery-{job_id}-{entry.id}": (entry.id, entry.depth) for entry in batch}
        interval = 1.0 / job.per_host_rate
        last_round = job.round_ended_at
        base = app.capture_options()
        # A capture's clock starts when its first request enters the downloader; at a few requests per
        # second a page with many media needs longer than a capture of a report, and few requests at once
        # keep the next pages waiting in Scrapy's scheduler (clock not started) while a page's media go
        # first. Bytes: a page and its media may use the capture limit; the job's is checked after a round.
        paced = base.max_seconds + (base.max_resources + 1) * interval
        options = base.model_copy(update={
            "download_delay": interval, "concurrent_per_host": 1, "concurrent_requests": DISCOVERY_CONCURRENCY,
            "browser_below_images": 0, "max_seconds": max(1.0, min(paced, job.max_seconds - job.seconds)),
        })
    _wait_for_interval(last_round, interval)
    started = time.monotonic()
    try:
        # Each finished page renews the lease: a long round (slow site, low rate) keeps its job.
        results = run_captures(jobs, options, on_result=lambda _result: _renew(app, job_id, token))
    finally:
        _round_ended(app, job_id, token)
    elapsed = time.monotonic() - started
    hashed = fingerprint_media(app, [r for r in results if r.resources])
    for result in results:
        entry_id, depth = depth_of[result.job_id]
        record = _store_page(app, job_id, token, entry_id, depth, result, hashed)
        if record is not None:
            done.pages += 1
            done.matched += bool(record.matched and record.reported_url_id)
            if on_page is not None:
                on_page(record)
    with app.db.session() as session:
        job = session.get(DiscoveryJob, job_id)
        assert job is not None
        job.seconds += elapsed
        stop = _limit_reached(job) if job.state == QUEUED else None
        if stop is not None:
            _finish(session, job, stop)
            done.finished = stop
    return done


def run_job(app: Hotline, job_id: int, on_page: Callable[[CrawlRecord], None] | None = None,
            should_stop: Callable[[], bool] = lambda: False) -> DiscoveryJob:
    """Run a job's rounds until it ends (or is paused, or taken by another worker); the job as it is then."""
    while not should_stop():
        claimed = claim_job(app, job_id)
        if claimed is None:
            break
        try:
            step = run_round(app, job_id, claimed[1], on_page)
        finally:
            release_job(app, job_id, claimed[1])
        if step.finished or not step.pages:
            break
    with app.db.sessions() as session:
        job = session.get(DiscoveryJob, job_id)
        assert job is not None
        session.expunge(job)
        return job


def discovery_job(app: Hotline) -> int:
    """The periodic job: start crawls the trigger finds, then one round of the oldest queued crawl."""
    from hotline.pipeline.discovery.jobs import queue_confirmed

    if not app.settings.discovery_enabled:
        return 0
    started = queue_confirmed(app)
    with app.db.sessions() as session:
        if discovery_paused(session):
            return started
    claimed = claim_job(app)
    if claimed is None:
        return started
    try:
        step = run_round(app, claimed[0], claimed[1])
    finally:
        release_job(app, *claimed)
    return started + step.pages + (1 if step.finished else 0)


def _renew(app: Hotline, job_id: int, token: str) -> None:
    with app.db.session() as session:
        session.execute(update(DiscoveryJob).where(DiscoveryJob.id == job_id, DiscoveryJob.lease_owner == token)
                        .values(lease_until=utcnow() + LEASE).execution_options(synchronize_session=False))


def _round_ended(app: Hotline, job_id: int, token: str) -> None:
    with app.db.session() as session:
        session.execute(update(DiscoveryJob).where(DiscoveryJob.id == job_id, DiscoveryJob.lease_owner == token)
                        .values(round_ended_at=utcnow()).execution_options(synchronize_session=False))


def _wait_for_interval(last_round: datetime | None, interval: float) -> None:
    """A new capture process, on whichever host, must not ask a site sooner than one interval after the
    job's last one ended (inside a process, Scrapy's download delay keeps the interval)."""
    if last_round is not None:
        left = interval - (utcnow() - last_round).total_seconds()
        if left > 0:
            time.sleep(min(left, interval))  # politeness towards the site, not a test waiting for something


def _limit_reached(job: DiscoveryJob) -> str | None:
    if job.pages >= job.max_pages:
        return f"page limit of {job.max_pages} reached"
    if job.bytes >= job.max_bytes:
        return f"byte limit of {job.max_bytes} reached"
    if job.seconds >= job.max_seconds:
        return f"time limit of {job.max_seconds:g} s reached"
    return None


def _finish(session: Session, job: DiscoveryJob, reason: str) -> None:
    job.state, job.stop_reason, job.finished_at = DONE, reason, utcnow()
    job.lease_owner = job.lease_until = None
    pages_found = job.pages
    audit.record(session, "system", "discovery.finish", "discovery_job", job.id, why=reason, pages=pages_found,
                 bytes=job.bytes, seconds=round(job.seconds, 1), matched=job.matched, report_id=job.report_id)


def _store_page(app: Hotline, job_id: int, token: str, entry_id: int, depth: int, result: CaptureResult,
                hashed: dict[str, MediaFingerprint]) -> CrawlRecord | None:
    """Keep what one page showed, in one transaction: its record, its links one level deeper, and, when its
    media matched, its place in the discovery report."""
    from hotline.pipeline.capture import store_capture
    from hotline.pipeline.intake import add_discovered_url

    with app.db.session() as session:
        job = session.get(DiscoveryJob, job_id)
        entry = session.get(DiscoveryFrontier, entry_id)
        if job is None or entry is None or entry.state != PENDING or job.lease_owner != token:
            return None  # another worker has it now; keep the first answer
        verdict = judge_page(app, session, result, hashed) if result.resources else PageVerdict()
        page = result.page
        size = (page.size or 0 if page else 0) + sum(r.size or 0 for r in result.resources)
        record = CrawlRecord(job_id=job_id, url=entry.url, final_url=result.final_url, depth=depth,
                             outcome=result.outcome, reason=result.reason, status=result.status,
                             page_sha256=page.sha256 if page else None, media=verdict.media, warc_path=result.warc,
                             blobs=verdict.blobs, size=size, matched=bool(verdict.reasons), reasons=verdict.reasons,
                             fetched_at=utcnow())
        session.add(record)
        entry.state = FETCHED
        job.pages += 1
        job.bytes += size
        if verdict.reasons:
            added = add_discovered_url(session, result.final_url or entry.url, origin_report_id=job.origin_report_id,
                                       report_id=job.report_id, referer=entry.referer,
                                       description=f"found by discovery job {job.id} from {job.seed_url}")
            if added is not None:
                report, reported = added
                job.report_id = report.id
                job.matched += 1
                record.reported_url_id = reported.id
                if reported.state == UrlState.NEW and not reported.captures:
                    # The crawl's capture is the URL's evidence (same worker, guard and sealing as the capture
                    # stage): the site is not asked again, and the URL goes on to fingerprint, locate, triage.
                    store_capture(session, reported, result, purpose="discovery")
                    reported.advance(UrlState.CAPTURED, None if result.outcome == "ok" else result.reason)
                audit.record(session, "system", "discovery.match", "reported_url", reported.id, job=job.id,
                             reasons=verdict.reasons)
            else:
                record.reasons = [*verdict.reasons, "already reported"]
        if depth < job.max_depth:
            _add_links(session, job_id, depth + 1, result.final_url or entry.url, result.links)
        session.flush()
        session.expunge(record)
        return record


def _add_links(session: Session, job_id: int, depth: int, referer: str, links: list[str]) -> None:
    from hotline.capture.extract import within_domain
    from hotline.pipeline.urls import UrlError, normalise_url

    job = session.get(DiscoveryJob, job_id)
    assert job is not None
    wanted: dict[str, None] = {}
    for link in links:
        if not within_domain(link, job.domain):  # the worker filtered already; it is not trusted to
            continue
        try:
            wanted.setdefault(normalise_url(link), None)
        except UrlError:
            continue
    if not wanted:
        return
    known = set(session.scalars(select(DiscoveryFrontier.url).where(DiscoveryFrontier.job_id == job_id,
                                                                    DiscoveryFrontier.url.in_(list(wanted)))))
    # Breadth-first never reaches more than the page limit: a frontier many times that is all it can use.
    room = job.max_pages * FRONTIER_FACTOR - (session.scalar(
        select(func.count()).select_from(DiscoveryFrontier).where(DiscoveryFrontier.job_id == job_id)) or 0)
    for url in [url for url in wanted if url not in known][:max(0, room)]:
        session.add(DiscoveryFrontier(job_id=job_id, url=url, depth=depth, referer=referer, state=PENDING))
