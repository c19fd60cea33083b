"""Leases: a worker takes rows in one state for a while, so two workers never process the same item.

A lease that runs out (the worker died) makes the row available again; stages are idempotent, so
doing an item again after a crash changes nothing that was already done.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import timedelta

from sqlalchemy import func, or_, select, update
from sqlalchemy.orm import Session

from hotline.models import MAX_STAGE_ATTEMPTS, ReportedUrl, UrlState, utcnow


def claim(
    session: Session,
    state: UrlState,
    *,
    limit: int,
    lease: timedelta = timedelta(minutes=10),
    ids: Sequence[int] | None = None,
) -> tuple[str, list[int]]:
    """Lease up to `limit` rows in `state`; returns the lease token and the ids taken. Commits."""
    now = utcnow()
    token = uuid.uuid4().hex
    free = or_(ReportedUrl.lease_until.is_(None), ReportedUrl.lease_until < now)
    candidates = (
        select(ReportedUrl.id)
        .where(ReportedUrl.state == state, free, ReportedUrl.stage_attempts < MAX_STAGE_ATTEMPTS)
        .order_by(ReportedUrl.priority.desc(), ReportedUrl.id)
        .limit(limit)
    )
    if ids is not None:
        candidates = candidates.where(ReportedUrl.id.in_(list(ids)))
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        candidates = candidates.with_for_update(skip_locked=True)
    chosen = list(session.scalars(candidates))
    if chosen:
        session.execute(
            update(ReportedUrl)
            .where(ReportedUrl.id.in_(chosen), ReportedUrl.state == state, free)
            .values(lease_owner=token, lease_until=now + lease, stage_attempts=ReportedUrl.stage_attempts + 1)
            .execution_options(synchronize_session=False)
        )
    session.commit()
    if not chosen:
        return token, []
    taken = session.scalars(select(ReportedUrl.id).where(ReportedUrl.lease_owner == token)).all()
    return token, sorted(taken)


def note_failure(session: Session, token: str, reason: str) -> list[int]:
    """Write why on the rows still leased under `token`; returns their ids. Commits."""
    ids = list(session.scalars(select(ReportedUrl.id).where(ReportedUrl.lease_owner == token)))
    if ids:
        session.execute(
            update(ReportedUrl)
            .where(ReportedUrl.id.in_(ids))
            .values(state_reason=reason[:2000])
            .execution_options(synchronize_session=False)
        )
    session.commit()
    return ids


def release(session: Session, token: str) -> None:
    """Give back what a worker took but did not finish (e.g. on shutdown)."""
    session.execute(
        update(ReportedUrl)
        .where(ReportedUrl.lease_owner == token)
        .values(lease_owner=None, lease_until=None)
        .execution_options(synchronize_session=False)
    )
    session.commit()


def waiting_rows(session: Session, states: Sequence[UrlState]) -> dict[UrlState, int]:
    """Rows each stage could claim now: in its state, not leased (or lease ran out), attempts left."""
    now = utcnow()
    free = or_(ReportedUrl.lease_until.is_(None), ReportedUrl.lease_until < now)
    query = (
        select(ReportedUrl.state, func.count())
        .where(ReportedUrl.state.in_(states), free, ReportedUrl.stage_attempts < MAX_STAGE_ATTEMPTS)
        .group_by(ReportedUrl.state)
    )
    return {UrlState(state): int(count) for state, count in session.execute(query)}
