"""Closing a report as not valid, in one action: the one service behind the workspace, the CLI and the API.

A closed report leaves the queue with its reason (a ClosingReason) and an optional note; so do its URLs
that no other open report names, unless they are already forwarded or finished. `not-illegal` is the
existing not-illegal assessment: each such URL waiting for assessment is assessed not-illegal (the rules
then close it), each of the report's attachments not yet assessed gets the same assessment, and the
report is counted once, by its reason. Everything is audited in the caller's transaction; whatever a
user can get wrong raises `Refused` with one line.

Also here: the "needs attention" list (URLs the capture guard refused or a stage gave up on, while an
open report still names them) and capturing such a URL again.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from sqlalchemy import and_, exists, or_, select
from sqlalchemy.orm import Session, selectinload

from hotline import audit
from hotline.errors import Refused
from hotline.models import (
    ACTIVE_STAGE_STATES,
    MAX_STAGE_ATTEMPTS,
    Assessment,
    ClosingReason,
    Report,
    ReportedUrl,
    ReportUrl,
    UrlState,
    User,
    utcnow,
)
from hotline.triage.assessment import ASSESSABLE, assess, check_not_claimed_by_other
from hotline.triage.views import UnknownReference, closed_view, find_report

if TYPE_CHECKING:
    from hotline.app import Hotline

# URLs a closing may close: not yet forwarded, removed or closed.
CLOSABLE = (*ACTIVE_STAGE_STATES, UrlState.TRIAGED, UrlState.ASSESSED, UrlState.REFUSED)
MAX_NOTE = 2000
REASON_NAMES = ", ".join(reason.value for reason in ClosingReason)
__all__ = ["Closed", "capture_again", "close_report", "closed_view", "closing_reason", "needs_attention",
           "open_report"]


@dataclass
class Closed:
    reference: str
    reason: str
    closed_urls: list[int] = field(default_factory=list)
    kept_urls: list[int] = field(default_factory=list)  # named by another open report, or already done
    assessed_attachments: list[int] = field(default_factory=list)


def closing_reason(value: str) -> ClosingReason:
    try:
        return ClosingReason(value.strip().lower())
    except ValueError:
        raise Refused(f"unknown reason {value!r}: choose from {REASON_NAMES}") from None


def open_report(session: Session, reference: str) -> Report:
    try:
        return find_report(session, reference)
    except UnknownReference as exc:
        raise Refused(str(exc)) from None


def close_report(app: Hotline, session: Session, reference: str, actor: User, reason: str,
                 note: str | None = None) -> Closed:
    """Close the report `reference` as not valid (see the module's docstring)."""
    chosen = closing_reason(reason)
    report = open_report(session, reference)
    if report.closed_reason is not None:
        raise Refused(f"report {report.reference} is already closed as {report.closed_reason}")
    text = (note or "").strip()[:MAX_NOTE] or None
    done = Closed(report.reference, chosen.value)
    for link in report.urls:
        row = link.reported_url
        if row.state not in CLOSABLE or _named_by_another_open_report(session, row, report):
            done.kept_urls.append(row.id)
            continue
        check_not_claimed_by_other(session, row, actor)
        if chosen is ClosingReason.NOT_ILLEGAL:
            _assess_not_illegal(app, session, row, actor, text)
        if row.state != UrlState.CLOSED:
            row.advance(UrlState.CLOSED, f"report {report.reference} closed as {chosen.value}")
            row.claimed_by_id, row.claimed_at = None, None
        for proposal in row.proposals:
            if proposal.state == "pending":
                proposal.state = "superseded"  # nothing goes out for a closed URL
        done.closed_urls.append(row.id)
    if chosen is ClosingReason.NOT_ILLEGAL:
        done.assessed_attachments = _assess_attachments_not_illegal(session, report, actor, text)
    report.closed_reason, report.closed_at, report.close_note = chosen.value, utcnow(), text
    report.closed_by_id = actor.id  # None for an actor that is never stored (it is then in the audit log)
    audit.record(session, actor.name, "report.close", "report", report.reference, reason=chosen.value,
                 note=text, closed_urls=done.closed_urls, kept_urls=done.kept_urls,
                 assessed_attachments=done.assessed_attachments)
    return done


def _named_by_another_open_report(session: Session, row: ReportedUrl, report: Report) -> bool:
    return bool(session.scalar(select(exists().where(
        ReportUrl.reported_url_id == row.id, ReportUrl.report_id == Report.id, Report.id != report.id,
        Report.closed_reason.is_(None)))))


def _assess_not_illegal(app: Hotline, session: Session, row: ReportedUrl, actor: User, note: str | None) -> None:
    if row.state in ASSESSABLE:
        # The analysts' own action: the rules see the classification and close the URL with their reason.
        assess(app, session, row.id, actor, {"legal": "not-illegal", "notes": note})
        return
    # Not captured or triaged yet: the same classification, recorded without waiting for the stages.
    row.assessments.append(Assessment(reported_url_id=row.id, assessor_id=actor.id, legal="not-illegal",
                                      notes=note))
    session.flush()
    audit.record(session, actor.name, "assessment.create", "reported_url", row.id, legal="not-illegal",
                 notes=note, before=row.state.value)


def _assess_attachments_not_illegal(session: Session, report: Report, actor: User, note: str | None) -> list[int]:
    assessed = set(session.scalars(select(Assessment.media_item_id).where(Assessment.media_item_id.in_(
        [m.id for capture in report.attachments for m in capture.media]))))
    done = []
    for capture in report.attachments:
        for media in capture.media:
            if media.id in assessed:
                continue
            session.add(Assessment(reported_url_id=None, media_item_id=media.id, assessor_id=actor.id,
                                   legal="not-illegal", notes=note))
            done.append(media.id)
    session.flush()
    return done


# -- needs attention -------------------------------------------------------------------------------
def needs_attention(session: Session, limit: int = 200) -> list[ReportedUrl]:
    """URLs the capture guard refused or a stage gave up on, that an open report still names; oldest first."""
    gave_up = and_(ReportedUrl.state.in_(ACTIVE_STAGE_STATES), ReportedUrl.stage_attempts >= MAX_STAGE_ATTEMPTS)
    still_open = exists().where(ReportUrl.reported_url_id == ReportedUrl.id, ReportUrl.report_id == Report.id,
                                Report.closed_reason.is_(None))
    stmt = (select(ReportedUrl).where(or_(ReportedUrl.state == UrlState.REFUSED, gave_up), still_open)
            .options(selectinload(ReportedUrl.report_links).selectinload(ReportUrl.report))
            .order_by(ReportedUrl.updated_at, ReportedUrl.id).limit(limit))
    return list(session.scalars(stmt))


def capture_again(session: Session, url_id: int, actor: User) -> ReportedUrl:
    """Send a refused or given-up URL back to the capture stage (the background workers take it)."""
    row = session.get(ReportedUrl, url_id)
    if row is None:
        raise Refused(f"there is no reported URL {url_id}")
    if row.state != UrlState.REFUSED and not (row.state in ACTIVE_STAGE_STATES
                                              and row.stage_attempts >= MAX_STAGE_ATTEMPTS):
        raise Refused(f"URL {row.id} is {row.state.value}: only refused or stopped URLs are captured again here")
    before, reason = row.state.value, row.state_reason
    row.advance(UrlState.NEW, f"capture again, asked by {actor.name}")
    audit.record(session, actor.name, "capture.retry", "reported_url", row.id, before=before, reason=reason)
    return row
