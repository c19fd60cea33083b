"""Crawl records of pages without matches, with their sealed evidence, go after the retention period.

A matched page's record stays (it says why a URL was reported); its crawl capture is the reported URL's
evidence and stays with it (evidence retention decides about it like about any capture). A blob is deleted only when no media item and
no remaining crawl record refers to it.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import TYPE_CHECKING

from sqlalchemy import delete, select

from hotline import audit
from hotline.models import Capture, CrawlRecord, MediaItem, utcnow

if TYPE_CHECKING:
    from hotline.app import Hotline

BATCH = 500


def purge_crawl_records(app: Hotline, *, older_than_days: float | None = None, now: datetime | None = None) -> int:
    """Delete what retention lets go; how many crawl records were deleted or emptied."""
    days = older_than_days if older_than_days is not None else app.settings.discovery_retention_days
    cutoff = (now or utcnow()) - timedelta(days=days)
    with app.db.session() as session:
        old = list(session.scalars(
            select(CrawlRecord).where(CrawlRecord.fetched_at < cutoff,
                                      (~CrawlRecord.matched) | CrawlRecord.warc_path.is_not(None))
            .order_by(CrawlRecord.id).limit(BATCH)))
        if not old:
            return 0
        warcs = [r.warc_path for r in old if r.warc_path]
        blobs = {blob for r in old for blob in r.blobs}
        ids = [r.id for r in old]
        for record in old:
            if record.matched:
                record.warc_path, record.blobs = None, []
        session.execute(delete(CrawlRecord).where(CrawlRecord.id.in_(ids), ~CrawlRecord.matched))
        session.flush()
        still_used = set(session.scalars(select(MediaItem.blob).where(MediaItem.blob.in_(blobs)))) if blobs else set()
        for record in session.scalars(select(CrawlRecord.blobs).where(CrawlRecord.id.not_in(ids))):
            still_used.update(set(record) & blobs)
        gone = sorted(blobs - still_used)
        # A matched page's crawl capture became its URL's evidence: that WARC stays with the capture.
        kept = set(session.scalars(select(Capture.warc_path).where(Capture.warc_path.in_(warcs)))) if warcs else set()
        warcs = [warc for warc in warcs if warc not in kept]
        audit.record(session, "system", "discovery.purge", "crawl_record", None, records=len(ids), warcs=len(warcs),
                     blobs=len(gone), older_than_days=days)
    for relative in warcs:
        app.evidence.remove(relative)
    for blob in gone:
        app.evidence.remove(app.evidence.blob_relative(blob))
    return len(ids)


def crawl_retention_job(app: Hotline) -> int:
    return purge_crawl_records(app)
