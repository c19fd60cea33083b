"""The review queue: what waits for an analyst (assessment or approval), in the order to take it."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import and_, case, exists, func, select
from sqlalchemy.orm import Session, selectinload

from hotline.models import (
    Assessment,
    Capture,
    Hosting,
    Match,
    MediaItem,
    Report,
    ReportedUrl,
    ReportSource,
    ReportUrl,
    UrlState,
)

REVIEW_STATES = (UrlState.TRIAGED, UrlState.ASSESSED)
# Queue priority: partner reports and known-list matches go first (added to ReportedUrl.priority).
PARTNER_BOOST = 10
KNOWN_LIST_BOOST = 20


@dataclass(frozen=True)
class QueueFilter:
    state: str | None = None
    category: str | None = None
    country: str | None = None
    source: str | None = None
    limit: int = 200


def queue_rank() -> Any:
    """Partner reports and known-list matches first; the column expression both orderings share."""
    from_partner = exists().where(
        and_(ReportUrl.reported_url_id == ReportedUrl.id, ReportUrl.report_id == Report.id,
             Report.source == ReportSource.PARTNER)
    )
    known_match = exists().where(
        and_(Capture.reported_url_id == ReportedUrl.id, MediaItem.capture_id == Capture.id,
             Match.media_item_id == MediaItem.id, Match.hash_list_id.is_not(None))
    )
    return (
        ReportedUrl.priority
        + case((from_partner, PARTNER_BOOST), else_=0)
        + case((known_match, KNOWN_LIST_BOOST), else_=0)
    )


def review_queue(session: Session, wanted: QueueFilter = QueueFilter()) -> list[tuple[ReportedUrl, int]]:
    """URLs waiting for assessment or approval with their rank, highest rank then newest first."""
    rank = queue_rank().label("rank")
    states = [UrlState(wanted.state)] if wanted.state else list(REVIEW_STATES)
    stmt = select(ReportedUrl, rank).where(ReportedUrl.state.in_(states)).options(
        # What the queue shows of each row, loaded in three queries instead of three per row.
        selectinload(ReportedUrl.report_links).selectinload(ReportUrl.report),
        selectinload(ReportedUrl.hostings),
    )
    if wanted.category or wanted.source:
        report_match = [ReportUrl.reported_url_id == ReportedUrl.id, ReportUrl.report_id == Report.id]
        if wanted.category:
            report_match.append(Report.category_claimed == wanted.category)
        if wanted.source:
            report_match.append(Report.source == ReportSource(wanted.source))
        stmt = stmt.where(exists().where(and_(*report_match)))
    if wanted.country:
        latest_country = (
            select(Hosting.country).where(Hosting.reported_url_id == ReportedUrl.id)
            .order_by(Hosting.id.desc()).limit(1).scalar_subquery()
        )
        stmt = stmt.where(latest_country == wanted.country.upper())
    stmt = stmt.order_by(rank.desc(), ReportedUrl.first_reported_at.desc(), ReportedUrl.id.desc())
    return [(row, int(r)) for row, r in session.execute(stmt.limit(wanted.limit)).all()]


@dataclass(frozen=True)
class AttachmentsWaiting:
    reference: str
    received_at: Any
    items: int


def attachments_waiting(session: Session, limit: int = 50) -> list[AttachmentsWaiting]:
    """Open reports whose pictures or videos (attachments, without a URL) wait for an assessment, oldest first."""
    stmt = (
        select(Report.reference, Report.received_at, func.count(MediaItem.id))
        .join(Capture, Capture.report_id == Report.id).join(MediaItem, MediaItem.capture_id == Capture.id)
        .where(Report.closed_reason.is_(None), MediaItem.kind.in_(("image", "video")),
               ~exists().where(Assessment.media_item_id == MediaItem.id))
        .group_by(Report.id, Report.reference, Report.received_at)
        .order_by(Report.received_at, Report.id).limit(limit)
    )
    return [AttachmentsWaiting(reference, received, count) for reference, received, count in session.execute(stmt)]
