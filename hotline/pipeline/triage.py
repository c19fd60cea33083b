"""Triage stage: the rules propose where each located URL goes, then the auto-forward policies act.

Both halves live in hotline/triage: proposals.py (rules evaluation, with a stand-in classification
before an analyst has assessed) and autoforward.py (verified known material forwarded without an
analyst, when a policy is enabled). Each URL is proposed in its own transaction and moved to triaged.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from hotline.models import ReportedUrl, UrlState
from hotline.triage.autoforward import auto_forward_many
from hotline.triage.proposals import propose

if TYPE_CHECKING:
    from hotline.app import Hotline


def triage_stage(app: Hotline, token: str, ids: list[int]) -> None:
    for url_id in ids:
        with app.db.session() as session:
            row = session.get(ReportedUrl, url_id)
            if row is None or not row.held_by(token, UrlState.LOCATED):
                continue
            propose(app, session, row)
            row.advance(UrlState.TRIAGED)
    auto_forward_many(app, ids)
