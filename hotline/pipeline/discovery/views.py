"""What people see of discovery: per crawl, how many URLs it found and which matched, with the reasons.

Pages without matches are counted, never listed: nothing unknown is shown to anyone.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import CrawlRecord, DiscoveryJob, Report, ReportedUrl

JOB_FIELDS = ("id", "reported_url_id", "seed_url", "domain", "trigger", "requested_by", "state", "stop_reason",
              "max_depth", "max_pages", "max_bytes", "max_seconds", "per_host_rate", "pages", "bytes", "matched",
              "created_at", "started_at", "finished_at")


def job_view(session: Session, job_id: int) -> dict[str, Any]:
    job = session.get(DiscoveryJob, job_id)
    if job is None:
        raise LookupError(f"no discovery job {job_id}")
    view = {name: getattr(job, name) for name in JOB_FIELDS}
    view["seconds"] = round(job.seconds, 1)
    report = session.get(Report, job.report_id) if job.report_id else None
    view["report"] = report.reference if report else None
    view["matched_pages"] = [
        {"url": record.final_url or record.url, "reported_url_id": record.reported_url_id, "depth": record.depth,
         "reasons": list(record.reasons), "state": state}
        for record, state in session.execute(
            select(CrawlRecord, ReportedUrl.state).join(ReportedUrl, ReportedUrl.id == CrawlRecord.reported_url_id)
            .where(CrawlRecord.job_id == job_id, CrawlRecord.matched).order_by(CrawlRecord.id))
    ]
    return view


def jobs_view(session: Session, reported_url_id: int | None = None, limit: int = 200) -> list[dict[str, Any]]:
    stmt = select(DiscoveryJob.id).order_by(DiscoveryJob.id.desc()).limit(limit)
    if reported_url_id is not None:
        stmt = stmt.where(DiscoveryJob.reported_url_id == reported_url_id)
    return [job_view(session, job_id) for job_id in session.scalars(stmt)]


def item_discovery(session: Session, reported_url_id: int) -> dict[str, Any] | None:
    """For an item's page: "N URLs found, M matched" over its crawls, and the matched ones with reasons;
    None when it was never crawled from."""
    jobs = jobs_view(session, reported_url_id)
    if not jobs:
        return None
    return {"found": sum(job["pages"] for job in jobs), "matched": sum(job["matched"] for job in jobs),
            "jobs": jobs, "matched_pages": [page for job in jobs for page in job["matched_pages"]]}
