"""Which URLs are watched and when their next check is due.

A URL is watched once its first forward reached a recipient (or, for rows without forwards, once it is
marked forwarded). Checks are created one at a time: the next one is added when a check is recorded,
so changing the schedule affects every URL from its next check on.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session

from hotline.models import Forward, ReportedUrl, TakedownCheck, UrlState, utcnow
from hotline.monitor.options import MonitorOptions

WATCHED_STATES = (UrlState.FORWARDED, UrlState.REMOVED)


def schedule_checks(session: Session, reported_url: ReportedUrl, start: datetime | None = None,
                    options: MonitorOptions | None = None) -> TakedownCheck | None:
    """Make sure the URL has its next check scheduled; `start` is when the watch began (default: its
    first forward, else now). Pass `MonitorOptions.from_settings(app.settings)` to honour the settings.

    Idempotent: a URL that already has a pending check keeps it. Returns the pending check, or None when
    the watch is over.
    """
    options = options or MonitorOptions()
    pending = session.scalars(
        select(TakedownCheck).where(TakedownCheck.reported_url_id == reported_url.id,
                                    TakedownCheck.checked_at.is_(None)).limit(1)
    ).first()
    if pending is not None:
        return pending
    start = start or reported_url.first_forwarded_at or utcnow()
    return _add_next(session, reported_url, start, start, options)


def schedule_next(session: Session, reported_url: ReportedUrl, checked_at: datetime,
                  options: MonitorOptions) -> TakedownCheck | None:
    """After a check: the next one on the schedule, counted from the first forward."""
    start = watch_start(session, reported_url)
    return _add_next(session, reported_url, start, checked_at, options) if start else None


def _add_next(session: Session, row: ReportedUrl, start: datetime, after: datetime,
              options: MonitorOptions) -> TakedownCheck | None:
    offset = options.next_offset(after - start)
    if offset is None:
        return None
    check = TakedownCheck(reported_url_id=row.id, due_at=start + offset)
    session.add(check)
    return check


def watch_start(session: Session, row: ReportedUrl) -> datetime | None:
    """When the watch began: the first delivery of a forward, else when the URL was marked forwarded."""
    delivered = session.scalar(
        select(func.min(Forward.delivered_at)).where(Forward.reported_url_id == row.id,
                                                     Forward.delivered_at.is_not(None))
    )
    return delivered or row.first_forwarded_at


def pick_up_unwatched(session: Session, options: MonitorOptions, limit: int = 500) -> int:
    """Schedule a first check for forwarded URLs that never had one (whoever forwarded them)."""
    any_check = exists().where(TakedownCheck.reported_url_id == ReportedUrl.id)
    any_forward = exists().where(Forward.reported_url_id == ReportedUrl.id)
    delivered = exists().where(and_(Forward.reported_url_id == ReportedUrl.id, Forward.delivered_at.is_not(None)))
    rows = session.scalars(
        select(ReportedUrl)
        .where(ReportedUrl.state == UrlState.FORWARDED, ReportedUrl.first_forwarded_at.is_not(None),
               ~any_check, or_(delivered, ~any_forward))
        .order_by(ReportedUrl.id)
        .limit(limit)
    ).all()
    for row in rows:
        start = watch_start(session, row)
        if start is not None:
            _add_next(session, row, start, start, options)
    return len(rows)
