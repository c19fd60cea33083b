"""Triage stage: the rules propose where each located URL goes, then the auto-forward policies act.

Both halves live in hotline/triage: proposals.py (rules evaluation, with a stand-in classification
before an analyst has assessed) and autoforward.py (verified known material forwarded without an
analyst, when a policy is enabled). The URLs are proposed for in one transaction and moved to triaged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy import select
from sqlalchemy.orm import selectinload

from hotline.models import Capture, ReportedUrl, ReportUrl, UrlState
from hotline.triage.autoforward import auto_forward_many
from hotline.triage.facts import Prefetched
from hotline.triage.proposals import propose

if TYPE_CHECKING:
    from hotline.app import Hotline


def triage_stage(app: Hotline, token: str, ids: list[int]) -> None:
    # One transaction for the batch, with what the rules read loaded up front (a failing batch is run
    # again one URL at a time by the executor, so one bad URL holds nobody back).
    with app.db.session() as session:
        rows = session.scalars(
            select(ReportedUrl).where(ReportedUrl.id.in_(ids)).options(
                selectinload(ReportedUrl.proposals), selectinload(ReportedUrl.hostings),
                selectinload(ReportedUrl.report_links).selectinload(ReportUrl.report),
                selectinload(ReportedUrl.captures).selectinload(Capture.media),
            )
        ).all()
        held = [row for row in rows if row.held_by(token, UrlState.LOCATED)]
        known = Prefetched.load(session, held)
        for row in held:
            propose(app, session, row, known, flush=False)
            row.advance(UrlState.TRIAGED)
    auto_forward_many(app, ids)
