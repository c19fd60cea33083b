"""One reported URL: everything known about it, the assessment form, approval, evidence download, and
recording a manual forward as sent by hand."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request, Response
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.auth import has_role
from hotline.errors import Refused
from hotline.evidence import EvidenceNotFound
from hotline.evidence.store import export_name
from hotline.evidence.warc import records_gzipped
from hotline.models import AuditEvent, Forward, MediaItem, ReportedUrl, User
from hotline.outbox import ForwardRefused, needs_a_person, record_sent_by_hand
from hotline.pipeline.discovery.views import item_discovery
from hotline.rules.taxonomy import AgeGroup, ContentType, Gender, LegalAssessment, SiteType
from hotline.triage.assessment import (
    approve_url,
    assess,
    check_not_claimed_by_other,
    claim_holder,
    four_eyes_classifications,
)
from hotline.triage.views import url_view
from hotline.web.workspace.base import (
    MAX_ID,
    PREFIX,
    Forbidden,
    NotFound,
    RowId,
    Workspace,
    format_when,
    redirect,
    workspace_of,
)

TAXONOMY = {
    "legal": list(LegalAssessment),
    "content_type": list(ContentType),
    "site_type": list(SiteType),
    "age_group": list(AgeGroup),
    "gender": list(Gender),
}


def is_known_match(media: MediaItem) -> bool:
    """Matched a hash list that carries a verdict: hidden from analysts unless a supervisor asks."""
    return any(m.hash_list_id is not None and m.verdict for m in media.matches)


def _form_id(text: str) -> int | None:
    """A row id typed into a form; a number no row can have is refused, not passed to the database."""
    if not text.strip():
        return None
    if not text.strip().isdigit() or not 1 <= int(text) <= MAX_ID:
        raise Refused(f"{text[:30]!r} is not the number of a media item")
    return int(text)


def load_row(session: Session, url_id: int) -> ReportedUrl:
    row = session.get(ReportedUrl, url_id)
    if row is None:
        raise NotFound(f"There is no reported URL {url_id}.")
    return row


def _history(session: Session, row: ReportedUrl, media_ids: list[int]) -> list[AuditEvent]:
    about_media = and_(AuditEvent.subject_type == "media_item",
                       AuditEvent.subject_id.in_([str(i) for i in media_ids]))
    about_url = and_(AuditEvent.subject_type == "reported_url", AuditEvent.subject_id == str(row.id))
    about_reports = and_(AuditEvent.subject_type == "report",  # legal holds
                         AuditEvent.subject_id.in_([link.report.reference for link in row.report_links]))
    return list(session.scalars(
        select(AuditEvent).where(or_(about_url, about_media, about_reports)).order_by(AuditEvent.id.desc()).limit(200)
    ))


def item_context(ws: Workspace, request: Request, session: Session, row: ReportedUrl, user: User,
                 view_token: str | None) -> dict[str, Any]:
    view = url_view(session, row)
    capture = row.latest_capture
    revealed = ws.reveal_state(request, user, view_token)
    media_rows = {m.id: m for m in capture.media} if capture else {}
    hidden = 0
    media = []
    for item in view["media"]:
        known = is_known_match(media_rows[item["id"]])
        if known and item["id"] not in revealed["known"]:
            hidden += 1
            item["hidden"] = True
        item["known"] = known
        item["revealed"] = item["id"] in revealed["shown"]
        media.append(item)
    holder = claim_holder(row)
    names = {u.id: u.name for u in session.scalars(select(User))}
    latest = row.assessments[-1] if row.assessments else None
    return {
        "row": row,
        "view": view,
        "media": media,
        "hidden_count": hidden,
        "view_token": ws.reveal_token(user, revealed),
        # A browser capture's screenshot shows every rendered image: hidden with the known-list items.
        "screenshot_revealed": bool(capture and capture.id in revealed["screens"]),
        "screenshot_hidden": bool(capture and any(is_known_match(m) for m in capture.media)
                                  and not has_role(user, "supervisor")),
        "claimed_by": names.get(holder) if holder else None,
        "mine": holder == user.id,
        "names": names,
        "history": _history(session, row, list(media_rows)),
        "taxonomy": TAXONOMY,
        "four_eyes": sorted(four_eyes_classifications(session)),
        "needs_second": bool(latest and latest.legal in four_eyes_classifications(session)
                             and latest.assessor_id == user.id),
        "latest": latest,
        # Manual forwards a person may record as sent by hand (the worker fails them with "send it by hand").
        "sendable_by_hand": {f.id for f in row.forwards if f.state in ("queued", "failed") and needs_a_person(f)},
        # Crawls from this item: counts, and only the matched pages (nothing unknown is shown).
        "discovery": item_discovery(session, row.id),
        "discovery_enabled": ws.hotline.settings.discovery_enabled,
    }


def register(router: APIRouter) -> None:
    @router.get("/items/{url_id}")
    def item(request: Request, url_id: RowId, view: str | None = None) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            row = load_row(session, url_id)
            context = item_context(ws, request, session, row, user, view)
            return ws.page(request, "item.html", **context)

    @router.post("/items/{url_id}/assess")
    def assess_item(
        request: Request,
        url_id: RowId,
        legal: Annotated[str, Form()] = "",
        content_type: Annotated[str, Form()] = "",
        site_type: Annotated[str, Form()] = "",
        age_group: Annotated[str, Form()] = "",
        gender: Annotated[str, Form()] = "",
        notes: Annotated[str, Form()] = "",
        media_item_id: Annotated[str, Form()] = "",
        and_approve: Annotated[str, Form()] = "",
    ) -> Response:
        ws = workspace_of(request)
        if not legal:
            raise Refused("choose a legal assessment")
        fields = {"legal": legal, "content_type": content_type, "site_type": site_type,
                  "age_group": age_group, "gender": gender, "notes": notes}
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            assess(ws.hotline, session, url_id, user, fields,
                   media_item_id=_form_id(media_item_id),
                   approve=bool(and_approve))
        return redirect(f"{PREFIX}/items/{url_id}")

    @router.post("/items/{url_id}/approve")
    def approve_item(request: Request, url_id: RowId, destination: Annotated[str, Form()] = "") -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            approve_url(ws.hotline, session, url_id, user, destination or None)
        return redirect(f"{PREFIX}/items/{url_id}")

    @router.post("/items/{url_id}/forwards/{forward_id}/sent")
    def forward_sent(request: Request, url_id: RowId, forward_id: RowId, note: Annotated[str, Form()] = "") -> Response:
        """A person sent a manual forward themselves (web form): record it as delivered, audited."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            forward = session.get(Forward, forward_id)
            if forward is None or forward.reported_url_id != url_id:
                raise NotFound(f"URL {url_id} has no forward {forward_id}.")
            check_not_claimed_by_other(session, forward.reported_url, user)
            try:
                record_sent_by_hand(session, forward_id, user.name, note)
            except ForwardRefused as exc:
                raise Refused(str(exc)) from None
        return redirect(f"{PREFIX}/items/{url_id}")

    @router.post("/items/{url_id}/evidence")
    def evidence(request: Request, url_id: RowId) -> Response:
        """The capture's WARC, decrypted, as a download; every download is audited."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            row = load_row(session, url_id)
            capture = row.latest_capture
            if capture is not None and capture.purged_at is not None:
                raise NotFound(f"The evidence of this capture was purged on {format_when(capture.purged_at)}.")
            if capture is None or not capture.warc_path:
                raise NotFound(f"URL {url_id} has no captured evidence yet.")
            if any(is_known_match(m) for m in capture.media) and not has_role(user, "supervisor"):
                # The WARC holds every captured body, including known-list items hidden from analysts.
                raise Forbidden("this capture holds known-list items: downloading it needs the supervisor role")
            try:
                # Per-record gzip under the name its warcinfo gives, as `hotline evidence export` writes it.
                body = b"".join(records_gzipped(ws.hotline.evidence.open_warc(capture.warc_path)))
            except EvidenceNotFound as exc:
                raise NotFound(f"The evidence file is missing: {exc}.") from None
            audit.record(session, user.name, "evidence.download", "reported_url", row.id,
                         capture_id=capture.id, size=len(body))
            filename = export_name(capture.warc_path)
        return Response(
            body, media_type="application/warc",
            headers={"Content-Disposition": f'attachment; filename="{filename}"'},
        )
