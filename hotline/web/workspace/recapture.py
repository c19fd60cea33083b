"""Capturing an item again from its page (with another referrer, User-Agent or language, or in a
browser), and a browser capture's screenshot, shown like media: blurred and greyscale until revealed.

A screenshot shows every image the page rendered, so a capture holding a known-list item shows its
screenshot to supervisors only (as its WARC download is).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from PIL import Image, UnidentifiedImageError
from sqlalchemy.orm import Session

from hotline import audit
from hotline.auth import has_role
from hotline.errors import Refused
from hotline.evidence import EvidenceNotFound
from hotline.models import Capture, User
from hotline.triage.assessment import check_not_claimed_by_other
from hotline.web.workspace.base import PREFIX, NotFound, RowId, Workspace, format_when, redirect, workspace_of
from hotline.web.workspace.item import is_known_match, load_row
from hotline.web.workspace.media import render_preview

SCREENSHOT_BOX = (640, 8192)  # shown at most 640 pixels wide; tall pages stay tall
MAX_FIELD = 500


def _field(value: str, name: str) -> str | None:
    text = value.strip()
    if not text:
        return None
    if len(text) > MAX_FIELD or any(c in text for c in "\r\n\0"):
        raise Refused(f"the {name} must be one line of at most {MAX_FIELD} characters")
    return text


def _screenshot_capture(session: Session, user: User, capture_id: int) -> Capture:
    capture = session.get(Capture, capture_id)
    if capture is None or not capture.screenshot_sha256 or capture.reported_url is None:
        raise NotFound(f"Capture {capture_id} has no screenshot.")
    if any(is_known_match(m) for m in capture.media) and not has_role(user, "supervisor"):
        raise NotFound("This capture holds a known-list item: its screenshot is for supervisors only.")
    if capture.purged_at is not None:
        raise NotFound(f"The evidence of this capture was purged on {format_when(capture.purged_at)}.")
    return capture


def screenshot_bytes(ws: Workspace, capture: Capture) -> bytes:
    from hotline.evidence.warc import document_payload, screenshot_uri

    try:
        warc = ws.hotline.evidence.open_warc(capture.warc_path or "")
    except EvidenceNotFound:
        raise NotFound("The evidence file of this capture is missing.") from None
    row = capture.reported_url
    data = document_payload(warc, screenshot_uri(row.url)) if row is not None else None
    if data is None:
        raise NotFound("The screenshot is not in this capture's evidence.")
    return data


def register(router: APIRouter) -> None:
    @router.post("/items/{url_id}/recapture")
    def recapture_item(
        request: Request,
        url_id: RowId,
        referer: Annotated[str, Form()] = "",
        user_agent: Annotated[str, Form()] = "",
        accept_language: Annotated[str, Form()] = "",
        engine: Annotated[str, Form()] = "",
    ) -> Response:
        """Capture again now (it takes up to the capture time limit), audited as capture.again."""
        from hotline.pipeline.capture import BrowserNeedsProxy, recapture

        ws = workspace_of(request)
        fields = {"referrer": _field(referer, "referrer"), "user_agent": _field(user_agent, "User-Agent"),
                  "language": _field(accept_language, "language")}
        if fields["referrer"] and not fields["referrer"].lower().startswith(("http://", "https://")):
            raise Refused("the referrer must be an http:// or https:// address")
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            check_not_claimed_by_other(session, load_row(session, url_id), user)
            actor = user.name
        try:
            recapture(ws.hotline, url_id, actor=actor, referer=fields["referrer"], user_agent=fields["user_agent"],
                      accept_language=fields["language"], browser=engine == "browser")
        except BrowserNeedsProxy as exc:
            raise Refused(f"Nothing was captured: {exc}.") from None
        return redirect(f"{PREFIX}/items/{url_id}#h-capture")

    @router.get("/captures/{capture_id}/screenshot")
    def screenshot(request: Request, capture_id: RowId, view: str | None = None) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            capture = _screenshot_capture(session, user, capture_id)
            revealed = capture_id in ws.reveal_state(request, user, view)["screens"]
            data = screenshot_bytes(ws, capture)
        try:
            body = render_preview(data, revealed=revealed, box=SCREENSHOT_BOX)
        except (UnidentifiedImageError, ValueError, OSError, Image.DecompressionBombError):
            return Response("no preview for this screenshot", status_code=415, media_type="text/plain; charset=utf-8")
        return Response(body, media_type="image/png")

    @router.post("/captures/{capture_id}/screenshot/reveal")
    def reveal_screenshot(request: Request, capture_id: RowId, view: Annotated[str, Form()] = "") -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            capture = _screenshot_capture(session, user, capture_id)
            state = ws.reveal_state(request, user, view or None)
            state["screens"].add(capture.id)
            url_id = capture.reported_url_id
            audit.record(session, user.name, "screenshot.reveal", "capture", capture.id, reported_url_id=url_id)
        return redirect(f"{PREFIX}/items/{url_id}?view={ws.reveal_token(user, state)}#screenshot-{capture_id}")
