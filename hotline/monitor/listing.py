"""What `hotline monitor ls` shows: every watched URL with its last and next check."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from hotline.models import ReportedUrl, TakedownCheck, UrlState


def watch_list(session: Session, state: str | None = None, limit: int = 200) -> list[dict[str, Any]]:
    """URLs with takedown checks, most recently checked first."""
    query = (
        select(ReportedUrl)
        .where(ReportedUrl.id.in_(select(TakedownCheck.reported_url_id)))
        .order_by(ReportedUrl.id.desc())
        .limit(limit)
    )
    if state is not None:
        query = query.where(ReportedUrl.state == UrlState(state))
    rows = session.scalars(query).all()
    return [_entry(session, row) for row in rows]


def _entry(session: Session, row: ReportedUrl) -> dict[str, Any]:
    last = session.scalars(
        select(TakedownCheck).where(TakedownCheck.reported_url_id == row.id, TakedownCheck.checked_at.is_not(None))
        .order_by(TakedownCheck.checked_at.desc(), TakedownCheck.id.desc()).limit(1)
    ).first()
    next_due = session.scalar(
        select(func.min(TakedownCheck.due_at))
        .where(TakedownCheck.reported_url_id == row.id, TakedownCheck.checked_at.is_(None))
    )
    done = session.scalar(
        select(func.count()).select_from(TakedownCheck)
        .where(TakedownCheck.reported_url_id == row.id, TakedownCheck.checked_at.is_not(None))
    )
    return {
        "reported_url_id": row.id,
        "url": row.url,
        "state": row.state.value,
        "first_forwarded_at": _iso(row.first_forwarded_at),
        "removed_at": _iso(row.removed_at),
        "checks": done,
        "last_checked_at": _iso(last.checked_at) if last else None,
        "last_outcome": last.outcome if last else None,
        "last_detail": last.detail if last else None,
        "next_due_at": _iso(next_due),
    }


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None
