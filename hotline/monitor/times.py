"""Time to removal of one URL: from the report, from the first forward, and per destination."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.models import Forward, Report, ReportedUrl, ReportUrl


@dataclass(frozen=True)
class RemovalTimes:
    removed_at: datetime
    from_report_seconds: float | None
    from_first_forward_seconds: float | None
    # destination -> seconds from its first delivered notice (re-notices excluded) to removal
    by_destination: dict[str, float] = field(default_factory=dict)


def first_received(session: Session, row: ReportedUrl) -> datetime:
    """When the URL was first reported: the earliest report that names it."""
    received = session.scalar(
        select(func.min(Report.received_at)).join(ReportUrl, ReportUrl.report_id == Report.id)
        .where(ReportUrl.reported_url_id == row.id)
    )
    return received or row.first_reported_at


def removal_times(session: Session, row: ReportedUrl) -> RemovalTimes | None:
    if row.removed_at is None:
        return None
    removed = row.removed_at
    by_destination: dict[str, float] = {}
    delivered = session.execute(
        select(Forward.destination, func.min(Forward.delivered_at))
        .where(Forward.reported_url_id == row.id, Forward.delivered_at.is_not(None),
               Forward.escalation_of_id.is_(None))
        .group_by(Forward.destination)
    ).all()
    for destination, at in delivered:
        if at is not None:
            by_destination[destination] = _seconds(removed, at)
    forwarded = row.first_forwarded_at
    return RemovalTimes(
        removed_at=removed,
        from_report_seconds=_seconds(removed, first_received(session, row)),
        from_first_forward_seconds=_seconds(removed, forwarded) if forwarded else None,
        by_destination=by_destination,
    )


def _seconds(end: datetime, start: datetime) -> float:
    return (end - start).total_seconds()
