"""Legal hold: a supervisor keeps a report's evidence from every purge until a supervisor releases it.

Police or a court may ask a hotline to keep what it captured for a case. A report on hold keeps all
evidence of every URL it names, whatever the retention settings say; a URL shared with other reports is
kept when any one of them is on hold. Setting and releasing are the same service for the CLI and the
workspace, need the supervisor role and a reason, and are written to the audit log.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.auth import has_role
from hotline.errors import Refused
from hotline.models import Report, ReportUrl, User, utcnow

MAX_REASON = 2000


def _check(actor: User, reason: str, required: bool) -> str:
    if not has_role(actor, "supervisor"):
        raise Refused("only a supervisor can put a report on legal hold or release it")
    text = reason.strip()
    if required and not text:
        raise Refused("give the reason for the legal hold (for example the case number); it is recorded")
    return text[:MAX_REASON]


def place_hold(session: Session, report: Report, actor: User, reason: str) -> None:
    text = _check(actor, reason, required=True)
    if report.legal_hold:
        raise Refused(f"report {report.reference} is already on legal hold; release it first to change the reason")
    report.legal_hold, report.legal_hold_by_id = True, actor.id
    report.legal_hold_at, report.legal_hold_reason = utcnow(), text
    audit.record(session, actor.name, "report.legal_hold", "report", report.reference, reason=text)


def release_hold(session: Session, report: Report, actor: User, reason: str = "") -> None:
    text = _check(actor, reason, required=False)
    if not report.legal_hold:
        raise Refused(f"report {report.reference} is not on legal hold")
    held = hold_view(session, report)
    report.legal_hold, report.legal_hold_by_id = False, None
    report.legal_hold_at, report.legal_hold_reason = None, None
    audit.record(session, actor.name, "report.legal_hold_release", "report", report.reference,
                 reason=text or None, held=held)


def hold_view(session: Session, report: Report) -> dict[str, Any] | None:
    """Who put the report on hold, when and why; None when it is not on hold."""
    if not report.legal_hold:
        return None
    by = session.get(User, report.legal_hold_by_id) if report.legal_hold_by_id else None
    return {"by": by.name if by else None,
            "at": report.legal_hold_at.isoformat() if report.legal_hold_at else None,
            "reason": report.legal_hold_reason}


def held_url_ids() -> Select[Any]:
    """The reported URLs named by any report on hold (a subquery for retention)."""
    return select(ReportUrl.reported_url_id).join(Report, Report.id == ReportUrl.report_id).where(Report.legal_hold)


def held_reports(session: Session) -> list[Report]:
    return list(session.scalars(select(Report).where(Report.legal_hold).order_by(Report.legal_hold_at)))
