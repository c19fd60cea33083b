"""One report as a whole, and the reports staff take themselves.

- New report: what an operator takes down on the phone (or from a letter, a helpline, a mail to a
  person): how it came and through whom, several URLs, a description. The caller stays anonymous: the
  form has no field for a name or a number. The report shows who recorded it.
- A report's page: how it came, its URLs (each with its own item page), the pictures and videos it
  brought without a URL (blurred until revealed, each reveal audited; assessed one by one), how it was
  closed, and the one action that closes it as not valid.
"""

from __future__ import annotations

import hashlib
import secrets
from typing import Annotated, Any

import ioc_fanger
from fastapi import APIRouter, Form, Request, Response
from sqlalchemy import and_, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from hotline.errors import Refused
from hotline.models import STAFF_SOURCES, AuditEvent, ClosingReason, Report, User
from hotline.pipeline.intake import (
    REPORT_CATEGORIES,
    NotAStaffSource,
    NothingToReport,
    UnknownCategory,
    check_urls,
    dedup_window,
    record_staff_report,
)
from hotline.triage.assessment import assess_attachment
from hotline.triage.closing import close_report, open_report
from hotline.triage.status import status_of
from hotline.triage.views import closed_view, media_view
from hotline.web.workspace import assessform
from hotline.web.workspace.base import (
    PREFIX,
    NotFound,
    RowId,
    Workspace,
    redirect,
    wake_workers,
    workspace_of,
)
from hotline.web.workspace.item import TAXONOMY, is_known_match

SOURCE_LABELS = {"phone": "Phone call", "email": "E-mail to a person", "letter": "Letter",
                 "helpline": "Referral from a helpline", "other": "Other",
                 "discovery": "Found by a discovery crawl (matched known material)"}
REASON_LABELS = {
    ClosingReason.NO_URL: "No address, nothing attached",
    ClosingReason.OUT_OF_SCOPE: "Out of scope (not the hotline's matter)",
    ClosingReason.DUPLICATE: "Duplicate of an earlier report",
    ClosingReason.NOT_ILLEGAL: "Not illegal",
    ClosingReason.UNREACHABLE: "Address unreachable",
}
MAX_URL_LINES = 100


def report_page_path(reference: str) -> str:
    return f"{PREFIX}/reports/{reference}"


def _safe_back(back: str, fallback: str) -> str:
    """Only a path inside the workspace: a form field must not send anyone elsewhere."""
    return back if back.startswith(PREFIX + "/") and "//" not in back and "\\" not in back else fallback


def _history(session: Session, report: Report, media_ids: list[int]) -> list[AuditEvent]:
    about_report = and_(AuditEvent.subject_type == "report", AuditEvent.subject_id == report.reference)
    about_media = and_(AuditEvent.subject_type == "media_item",
                       AuditEvent.subject_id.in_([str(i) for i in media_ids]))
    return list(session.scalars(select(AuditEvent).where(or_(about_report, about_media))
                                .order_by(AuditEvent.id.desc()).limit(200)))


def report_context(ws: Workspace, request: Request, session: Session, report: Report, user: User,
                   view_token: str | None) -> dict[str, Any]:
    revealed = ws.reveal_state(request, user, view_token)
    names = {u.id: u.name for u in session.scalars(select(User))}
    attachments: list[dict[str, Any]] = []
    rows = [media for capture in report.attachments for media in capture.media]
    hidden = 0
    for media in rows:
        item = media_view(media)
        known = is_known_match(media)
        item["hidden"] = known and media.id not in revealed["known"]
        item["known"] = known
        item["revealed"] = media.id in revealed["shown"]
        item["assessments"] = media_assessments(session, media.id)
        hidden += item["hidden"]
        attachments.append(item)
    return {
        "report": report,
        "source_label": SOURCE_LABELS.get(str(report.source), str(report.source)),
        "recorded_by": names.get(report.recorded_by_id) if report.recorded_by_id else None,
        "closed": closed_view(report, names),
        "attachments": attachments,
        "hidden_count": hidden,
        "view_token": ws.reveal_token(user, revealed),
        "names": names,
        "history": _history(session, report, [m.id for m in rows]),
        "taxonomy": TAXONOMY,
        "reasons": REASON_LABELS,
        "statuses": {link.reported_url_id: status_of(session, link.reported_url) for link in report.urls},
    }


def media_assessments(session: Session, media_id: int) -> list[Any]:
    from hotline.models import Assessment

    return list(session.scalars(select(Assessment).where(Assessment.media_item_id == media_id)
                                .order_by(Assessment.id)))


def _new_form(ws: Workspace, request: Request, status_code: int = 200, error: str | None = None,
              **typed: str) -> Response:
    return ws.page(request, "report_new.html", status_code=status_code, error=error, typed=typed,
                   sources=[(s.value, SOURCE_LABELS[s.value]) for s in STAFF_SOURCES],
                   categories=REPORT_CATEGORIES, submission=typed.get("submission") or secrets.token_urlsafe(18))


def register(router: APIRouter) -> None:
    @router.get("/reports/new")
    def new_report(request: Request) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            ws.require(request, session)
        return _new_form(ws, request)

    @router.post("/reports/new")
    def record_report(
        request: Request,
        source: Annotated[str, Form()] = "",
        via: Annotated[str, Form(max_length=200)] = "",
        category: Annotated[str, Form()] = "",
        urls: Annotated[str, Form(max_length=60_000)] = "",
        description: Annotated[str, Form(max_length=10_000)] = "",
        submission: Annotated[str, Form(max_length=100)] = "",
    ) -> Response:
        ws = workspace_of(request)
        typed = {"source": source, "via": via, "category": category, "urls": urls, "description": description,
                 "submission": submission}
        lines = [line.strip() for line in urls.splitlines() if line.strip()]
        # One key per opened form: sent twice (a double click, a reload), it records one report.
        key = "workspace:" + hashlib.sha256(submission.encode()).hexdigest()[:40] if submission else None
        try:
            with ws.hotline.db.session() as session:
                user = ws.require(request, session)
                if len(lines) > MAX_URL_LINES:
                    raise NothingToReport(f"a report can name at most {MAX_URL_LINES} addresses")
                # A person is at the keyboard: a mistyped address is corrected, not left out.
                _, rejected = check_urls([ioc_fanger.fang(line) for line in lines])
                if rejected:
                    raise NothingToReport("; ".join(f"{r.text!r}: {r.reason}" for r in rejected))
                result = record_staff_report(
                    session, lines, source=source, recorded_by=user, via=via, category=category or None,
                    description=description, idempotency_key=key, dedup_window=dedup_window(ws.hotline.settings))
                reference = result.report.reference
        except (NothingToReport, UnknownCategory, NotAStaffSource) as exc:
            return _new_form(ws, request, 400, error=f"Nothing was recorded: {exc}.", **typed)
        except IntegrityError:
            with ws.hotline.db.sessions() as session:
                earlier = session.scalar(select(Report.reference).where(
                    Report.idempotency_key == key, Report.partner_id.is_(None))) if key else None
            if earlier is None:
                raise
            reference = earlier
        wake_workers(request)
        return redirect(report_page_path(reference))

    @router.get("/reports/{reference}")
    def report_page(request: Request, reference: str, view: str | None = None) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            try:
                report = open_report(session, reference)
            except Refused:
                raise NotFound(f"There is no report {reference[:64]}.") from None
            return ws.page(request, "report.html", **report_context(ws, request, session, report, user, view))

    @router.post("/reports/{reference}/close")
    def close(request: Request, reference: str, reason: Annotated[str, Form()] = "",
              note: Annotated[str, Form(max_length=2000)] = "", back: Annotated[str, Form()] = "") -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            done = close_report(ws.hotline, session, reference, user, reason, note)
        return redirect(_safe_back(back, report_page_path(done.reference)))

    @router.post("/reports/{reference}/attachments/{media_id}/assess")
    def assess(request: Request, reference: str, media_id: RowId, legal: Annotated[str, Form()] = "",
               content_type: Annotated[str, Form()] = "", age_group: Annotated[str, Form()] = "",
               gender: Annotated[str, Form()] = "", notes: Annotated[str, Form(max_length=4000)] = "",
               view: Annotated[str, Form()] = "") -> Response:
        ws = workspace_of(request)
        fields = {"legal": legal, "content_type": content_type, "age_group": age_group, "gender": gender,
                  "notes": notes}
        typed = assessform.read(fields, [])
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            report = open_report(session, reference)
            if all(m.id != media_id for capture in report.attachments for m in capture.media):
                raise NotFound(f"Report {report.reference} has no attachment {media_id}.")
            if typed.errors:
                # Said next to the fields of this item's form, everything as typed: no dead end.
                context = report_context(ws, request, session, report, user, view or None)
                return ws.page(request, "report.html", 422, attachment_form={media_id: typed.values},
                               attachment_errors={media_id: typed.errors}, **context)
            assess_attachment(session, media_id, user, typed.classification)
            target = report_page_path(report.reference)
        suffix = f"?view={view}" if view else ""
        return redirect(f"{target}{suffix}#media-{media_id}")
