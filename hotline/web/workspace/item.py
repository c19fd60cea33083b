"""One reported URL: everything known about it, the assessment form, approval, evidence download, and
recording a manual forward as sent by hand."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Form, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.responses import JSONResponse
from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.auth import has_role
from hotline.errors import Refused
from hotline.evidence import EvidenceNotFound
from hotline.evidence.store import export_name
from hotline.evidence.warc import records_gzipped
from hotline.i18n import N_
from hotline.models import AuditEvent, Forward, MediaItem, ReportedUrl, UrlState, User
from hotline.outbox import ForwardRefused, needs_a_person, record_sent_by_hand, release_forward, retry_forward
from hotline.pipeline.discovery.views import item_discovery
from hotline.rules.taxonomy import AgeGroup, ContentType, Gender, LabelledEnum, LegalAssessment, SiteType
from hotline.triage.assessment import (
    approve_url,
    assess,
    check_not_claimed_by_other,
    claim_holder,
    four_eyes_classifications,
    latest_batch,
    may_approve,
    needs_second_person,
)
from hotline.triage.status import status_of
from hotline.triage.views import url_view
from hotline.web.workspace import assessform
from hotline.web.workspace.base import (
    MAX_ID,
    PREFIX,
    Forbidden,
    NotFound,
    RowId,
    Workspace,
    format_when,
    language_of,
    redirect,
    workspace_of,
)

TAXONOMY: dict[str, list[LabelledEnum]] = {
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
    about_forwards = and_(AuditEvent.subject_type == "forward",
                          AuditEvent.subject_id.in_([str(f.id) for f in row.forwards]))
    return list(session.scalars(
        select(AuditEvent).where(or_(about_url, about_media, about_reports, about_forwards))
        .order_by(AuditEvent.id.desc()).limit(200)
    ))


NOT_SAVED = N_("The assessment was not saved: correct the fields marked below.")
# Keys for the common path, listed on the page (workspace.js reads them from data-key attributes).
SHORTCUT_KEYS = {
    "infant-toddler": "i", "pre-pubescent": "p", "pubescent": "u", "unknown": "a",
    "g-female": "f", "g-male": "m", "g-both": "b", "g-unknown": "n",
}


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
    waiting_on = needs_second_person(session, row)
    return {
        "row": row,
        "view": view,
        "status": status_of(session, row),
        "media": media,
        "revealable": [m["id"] for m in media if not m.get("hidden") and not m["revealed"]
                       and m["kind"] in ("image", "video") and m["outcome"] == "ok"],
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
        "shortcut_keys": SHORTCUT_KEYS,
        "four_eyes": sorted(four_eyes_classifications(session)),
        "waiting_on": waiting_on,
        # What the assessor said of each item in the save that waits (the approver reads it on the cards).
        "batch_by_media": {a.media_item_id: a for a in latest_batch(row) if a.media_item_id is not None},
        "labels": {name: {m.value: m.label(language_of(request)) for m in members} for name, members in TAXONOMY.items()},
        "may_decide": bool(waiting_on and may_approve(session, row, user)),
        "latest": latest,
        "assessments": list(row.assessments),
        # Manual forwards a person may record as sent by hand (the worker fails them with "send it by hand").
        "sendable_by_hand": {f.id for f in row.forwards if f.state in ("queued", "failed") and needs_a_person(f)},
        # Crawls from this item: counts, and only the matched pages (nothing unknown is shown).
        "discovery": item_discovery(session, row.id),
        "discovery_enabled": ws.hotline.settings.discovery_enabled,
    }


def revealable_media(ws: Workspace, request: Request, row: ReportedUrl, user: User, token: str | None) -> list[int]:
    """The image and video items of the URL's latest capture a reveal-all uncovers (never known-list ones
    no supervisor asked to show)."""
    capture = row.latest_capture
    if capture is None or capture.purged_at is not None:
        return []
    known_shown = ws.reveal_state(request, user, token)["known"]
    return [m.id for m in capture.media if m.kind in ("image", "video") and m.outcome == "ok"
            and (not is_known_match(m) or m.id in known_shown)]


def _assess_from_form(request: Request, url_id: int, form: Mapping[str, Any]) -> Response:
    ws = workspace_of(request)
    with ws.hotline.db.session() as session:
        user = ws.require(request, session)
        row = load_row(session, url_id)
        media_ids = [m.id for m in row.latest_capture.media] if row.latest_capture else []
        typed = assessform.read(form, media_ids)
        problem = None
        if not typed.errors:
            try:
                assess(ws.hotline, session, url_id, user, typed.classification,
                       media_item_id=_form_id(typed.values["media_item_id"]),
                       items=typed.item_classifications(),
                       approve=bool(form.get("and_approve") or form.get("and_next")), hand_off=True)
            except Refused as exc:
                session.rollback()  # nothing of this save stays; the page renders from what is stored
                problem = str(exc)
            else:
                if form.get("and_next"):
                    following = take_next(session, user, skip=url_id)
                    return redirect(f"{PREFIX}/items/{following}" if following else f"{PREFIX}/queue?done={url_id}")
                return redirect(_item_path(url_id, form.get("view")))
        user = ws.require(request, session)
        context = item_context(ws, request, session, load_row(session, url_id), user, str(form.get("view") or "") or None)
        status = 422 if typed.errors else 409
        return ws.page(request, "item.html", status, form=typed.values, item_form=typed.items,
                       errors=typed.errors, form_error=problem or NOT_SAVED, **context)


def _item_path(url_id: int, view: Any) -> str:
    """The item's page, keeping what this person revealed on it (the signed view token, theirs only)."""
    token = view if isinstance(view, str) and view and len(view) < 4000 and view.isascii() else None
    return f"{PREFIX}/items/{url_id}" + (f"?view={quote(token)}" if token else "")


def take_next(session: Session, user: User, skip: int | None = None) -> int | None:
    """Claim the most urgent item nobody else holds (not `skip`) and return its id."""
    from hotline.triage.assessment import claim
    from hotline.triage.queue import review_queue

    free = next((row for row, _ in review_queue(session)
                 if row.id != skip and claim_holder(row) in (None, user.id)
                 and needs_second_person(session, row) is None), None)
    if free is None:
        return None
    claim(session, free.id, user)
    return free.id


def _forward_of(session: Session, url_id: int, forward_id: int) -> Forward:
    forward = session.get(Forward, forward_id)
    if forward is None or forward.reported_url_id != url_id:
        raise NotFound(f"URL {url_id} has no forward {forward_id}.")
    return forward


def wants_json(request: Request) -> bool:
    """The page's script asks for JSON (reveal without reloading); a plain form post gets a redirect."""
    return "application/json" in request.headers.get("accept", "")


def register(router: APIRouter) -> None:
    @router.get("/items/{url_id}")
    def item(request: Request, url_id: RowId, view: str | None = None) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            row = load_row(session, url_id)
            if (user.preferences or {}).get("reveal_on_open") and row.state in (UrlState.TRIAGED, UrlState.ASSESSED):
                state = ws.reveal_state(request, user, view)
                new = [m for m in revealable_media(ws, request, row, user, view) if m not in state["shown"]]
                if new:  # this person asked for revealed previews: each still recorded, then a URL that holds them
                    for media_id in new:
                        state["shown"].add(media_id)
                        audit.record(session, user.name, "media.reveal", "media_item", media_id,
                                     reported_url_id=url_id, on_open=True)
                    return redirect(f"{PREFIX}/items/{url_id}?view={ws.reveal_token(user, state)}")
            context = item_context(ws, request, session, row, user, view)
            return ws.page(request, "item.html", **context)

    @router.post("/items/{url_id}/assess")
    async def assess_item(request: Request, url_id: RowId) -> Response:
        """Save the URL's verdict and every item's own classification in one submit; a mistake comes back
        on the same page, next to its field, with everything as typed."""
        form = await request.form()
        return await run_in_threadpool(_assess_from_form, request, url_id, form)

    @router.post("/items/{url_id}/reveal-all")
    def reveal_all(request: Request, url_id: RowId, view: Annotated[str, Form()] = "") -> Response:
        """Reveal every image and video of the item at once, each recorded in the audit log."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            row = load_row(session, url_id)
            state = ws.reveal_state(request, user, view or None)
            for media_id in revealable_media(ws, request, row, user, view or None):
                if media_id not in state["shown"]:
                    state["shown"].add(media_id)
                    audit.record(session, user.name, "media.reveal", "media_item", media_id, reported_url_id=url_id)
            token = ws.reveal_token(user, state)
        if wants_json(request):
            return JSONResponse({"view": token, "shown": sorted(state["shown"])})
        return redirect(f"{PREFIX}/items/{url_id}?view={token}#h-media")

    @router.post("/items/{url_id}/forwards/{forward_id}/retry")
    def forward_retry(request: Request, url_id: RowId, forward_id: RowId) -> Response:
        """Queue a failed forward again from the item page (audited by the outbox)."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            _forward_of(session, url_id, forward_id)
            try:
                retry_forward(session, forward_id, user.name, ws.hotline.directory)
            except ForwardRefused as exc:
                raise Refused(str(exc)) from None
        return redirect(f"{PREFIX}/items/{url_id}#forwards")

    @router.post("/items/{url_id}/forwards/{forward_id}/release")
    def forward_release(request: Request, url_id: RowId, forward_id: RowId) -> Response:
        """A supervisor releases a held forward (police clearance given), audited by the outbox."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session, role="supervisor")
            forward = _forward_of(session, url_id, forward_id)
            if forward.state != "held":
                raise Refused(f"forward {forward_id} is {forward.state}; only a held forward is released here")
            try:
                release_forward(session, forward_id, user.name)
            except ForwardRefused as exc:
                raise Refused(str(exc)) from None
        return redirect(f"{PREFIX}/items/{url_id}#forwards")

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
