"""Protected previews of captured media, served from the encrypted blob store.

Wellbeing first: a preview is a small, greyscale, heavily blurred thumbnail made on the server, so
nothing recognisable ever reaches the browser until the analyst asks. Revealing is a POST (CSRF) and
an AuditEvent; the reveal lives in a signed, short-lived token in the page's URL, bound to the user.
Items matched to a list with a verdict are not served at all unless a supervisor asks (audited too).
Captured pages are never served as HTML: only as escaped text, and only what is text (a captured page,
or a body declared as text that does not look like an image or a video), so the text view never shows an
image's bytes around the reveal.
"""

from __future__ import annotations

import io
import re
from typing import Annotated

import nh3
from fastapi import APIRouter, Form, Request, Response
from fastapi.responses import JSONResponse
from PIL import Image, ImageFilter, ImageOps, UnidentifiedImageError
from sqlalchemy.orm import Session

from hotline import audit
from hotline.evidence import EvidenceNotFound
from hotline.models import MediaItem, User
from hotline.web.workspace.base import PREFIX, NotFound, RowId, Workspace, format_when, redirect, workspace_of
from hotline.web.workspace.item import is_known_match, wants_json

PREVIEW_SIZE = 360
BLUR_GRID = 16  # the blurred preview keeps only a 16-pixel sketch of the image, scaled up and blurred
MAX_PREVIEW_PIXELS = 64_000_000
MAX_TEXT_BYTES = 512_000
# For the raw media route: the browser may show the bytes but never run or frame anything.
RAW_CSP = "default-src 'none'; img-src 'self'; media-src 'self'; sandbox"
# One plain image or video type, nothing else: a browser reads "image/png, text/html" as its last
# type (Fetch "extract a MIME type"), so a captured server's header must not pass through as is.
_RAW_TYPE = re.compile(r"(image|video)/[a-z0-9][a-z0-9.+-]{0,80}")
# The sanitised page loads nothing, runs nothing and may only be framed by the workspace itself.
SANITISED_CSP = "default-src 'none'; sandbox; frame-ancestors 'self'; base-uri 'none'; form-action 'none'"
# Structure and text only: no attributes survive, so no link, image or style can reach the outside.
SANITISED_TAGS = {
    "p", "div", "span", "h1", "h2", "h3", "h4", "h5", "h6", "ul", "ol", "li", "dl", "dt", "dd", "table",
    "thead", "tbody", "tr", "td", "th", "b", "i", "em", "strong", "br", "hr", "pre", "code", "blockquote", "a",
}


TEXT_TYPES = frozenset({"application/xhtml+xml", "application/json", "application/xml", "application/javascript"})
# Magic numbers of video containers Pillow does not know (images it recognises itself).
_VIDEO_MAGIC = (b"\x1a\x45\xdf\xa3", b"RIFF", b"OggS", b"FLV", b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")


def is_text(media: MediaItem, data: bytes) -> bool:
    """Whether the text views may show this body: declared as text, not an image or video by kind or by
    its first bytes (a hostile server may call an image text/html)."""
    declared = (media.content_type or "").split(";")[0].strip().lower()
    if media.kind in ("image", "video"):
        return False
    if not (media.kind == "page" or declared.startswith("text/") or declared in TEXT_TYPES):
        return False
    head = data[:64]
    if head[4:8] == b"ftyp" or head.startswith(_VIDEO_MAGIC):
        return False
    try:
        with Image.open(io.BytesIO(data)):
            return False  # Pillow recognised an image format: not text, whatever the header said
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError):
        return True


def _media(session: Session, media_id: int) -> MediaItem:
    media = session.get(MediaItem, media_id)
    if media is None:
        raise NotFound(f"There is no media item {media_id}.")
    return media


def _visible(ws: Workspace, request: Request, user: User, media: MediaItem, view: str | None) -> set[int]:
    """The revealed ids; raises NotFound for a known-list item no supervisor asked to show."""
    state = ws.reveal_state(request, user, view)
    if is_known_match(media) and media.id not in state["known"]:
        raise NotFound("This item matched a known list and is hidden.")
    return state["shown"]


def _page_of(media: MediaItem) -> str:
    """The page that shows the item: its URL's, or for an attachment (no URL) its report's."""
    report = media.capture.report
    if media.capture.reported_url_id is None and report is not None:
        return f"{PREFIX}/reports/{report.reference}"
    return f"{PREFIX}/items/{media.capture.reported_url_id}"


def _blob(ws: Workspace, media: MediaItem) -> bytes:
    if media.capture.purged_at is not None:
        raise NotFound(f"The evidence for this item was purged on {format_when(media.capture.purged_at)}.")
    try:
        if media.blob:
            return ws.hotline.evidence.get_blob(media.blob)
        if media.kind == "page" and media.capture.warc_path:
            # A captured page is kept in its capture's WARC only, not in the blob store.
            from hotline.evidence.warc import response_payload

            body = response_payload(ws.hotline.evidence.open_warc(media.capture.warc_path), media.url)
            if body is not None:
                return body
    except EvidenceNotFound:
        raise NotFound("The stored evidence for this item is missing.") from None
    raise NotFound("Nothing was stored for this item.")


def render_preview(data: bytes, revealed: bool, box: tuple[int, int] = (PREVIEW_SIZE, PREVIEW_SIZE)) -> bytes:
    """A PNG thumbnail within `box`: in colour when revealed, otherwise greyscale, pixelated and blurred."""
    with Image.open(io.BytesIO(data)) as image:
        if image.width * image.height > MAX_PREVIEW_PIXELS:
            raise ValueError("image too large to preview")
        image.draft("RGB", box)  # JPEG decodes at a reduced size: faster
        frame = ImageOps.exif_transpose(image).convert("RGB")
    frame.thumbnail(box)
    if not revealed:
        size = frame.size
        sketch = ImageOps.grayscale(frame)
        sketch.thumbnail((BLUR_GRID, BLUR_GRID))
        frame = sketch.resize(size, Image.Resampling.BILINEAR).filter(ImageFilter.GaussianBlur(10))
    out = io.BytesIO()
    frame.save(out, "PNG")
    return out.getvalue()


def _page_source(ws: Workspace, request: Request, session: Session, media_id: int) -> tuple[MediaItem, bytes]:
    """A captured item's stored bytes for the text views, after the same login and visibility checks."""
    user = ws.require(request, session)
    media = _media(session, media_id)
    _visible(ws, request, user, media, None)
    data = _blob(ws, media)
    if not is_text(media, data):
        raise NotFound("This item is not text: its text view is not shown (reveal its preview instead).")
    return media, data


def _no_preview(text: str) -> Response:
    return Response(text, status_code=415, media_type="text/plain; charset=utf-8")


def register(router: APIRouter) -> None:
    @router.get("/media/{media_id}/preview")
    def preview(request: Request, media_id: RowId, view: str | None = None) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            media = _media(session, media_id)
            shown = _visible(ws, request, user, media, view)
            data = _blob(ws, media)
        try:
            body = render_preview(data, revealed=media_id in shown)
        except (UnidentifiedImageError, ValueError, OSError, Image.DecompressionBombError):
            return _no_preview("no preview for this item")
        return Response(body, media_type="image/png")

    @router.get("/media/{media_id}/raw")
    def raw(request: Request, media_id: RowId, view: str | None = None) -> Response:
        """The stored bytes of a revealed image or video (for the video player's controls)."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            media = _media(session, media_id)
            if media_id not in _visible(ws, request, user, media, view):
                raise NotFound("Reveal this item first.")
            data = _blob(ws, media)
        content_type = (media.content_type or "").split(";")[0].strip().lower()
        if not _RAW_TYPE.fullmatch(content_type) or "svg" in content_type or "xml" in content_type:
            return _no_preview("only images and videos are shown")
        return Response(data, media_type=content_type, headers={"Content-Security-Policy": RAW_CSP})

    @router.get("/media/{media_id}/text")
    def text(request: Request, media_id: RowId) -> Response:
        """A captured page's source as escaped text: never rendered as HTML."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            media, data = _page_source(ws, request, session, media_id)
            url_id = media.capture.reported_url_id
            return ws.page(
                request, "text.html", media=media, url_id=url_id,
                source=data[:MAX_TEXT_BYTES].decode("utf-8", errors="replace"),
                truncated=len(data) > MAX_TEXT_BYTES,
            )

    @router.get("/media/{media_id}/sanitised")
    def sanitised(request: Request, media_id: RowId) -> Response:
        """A captured page cleaned by nh3 down to text structure, for the sandboxed frame on the text view."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            _, data = _page_source(ws, request, session, media_id)
        cleaned = nh3.clean(
            data[:MAX_TEXT_BYTES].decode("utf-8", errors="replace"),
            tags=SANITISED_TAGS, attributes={}, url_schemes=set(), link_rel=None,
            clean_content_tags={"script", "style", "noscript", "template", "svg", "math", "object", "iframe"},
        )
        return Response(
            f"<!doctype html><meta charset=utf-8><body>{cleaned}</body>",
            media_type="text/html; charset=utf-8",
            headers={"Content-Security-Policy": SANITISED_CSP, "X-Frame-Options": "SAMEORIGIN"},
        )

    @router.post("/media/{media_id}/reveal")
    def reveal(request: Request, media_id: RowId, view: Annotated[str, Form()] = "") -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            media = _media(session, media_id)
            _visible(ws, request, user, media, view or None)
            state = ws.reveal_state(request, user, view or None)
            state["shown"].add(media.id)
            url_id, page = media.capture.reported_url_id, _page_of(media)
            audit.record(session, user.name, "media.reveal", "media_item", media.id, reported_url_id=url_id)
            token = ws.reveal_token(user, state)
        if wants_json(request):
            return JSONResponse({"view": token, "shown": sorted(state["shown"])})
        return redirect(f"{page}?view={token}#media-{media_id}")

    @router.post("/media/{media_id}/show-known")
    def show_known(
        request: Request, media_id: RowId, view: Annotated[str, Form()] = "", reason: Annotated[str, Form()] = ""
    ) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session, role="supervisor")
            media = _media(session, media_id)
            state = ws.reveal_state(request, user, view or None)
            state["known"].add(media.id)
            url_id, page = media.capture.reported_url_id, _page_of(media)
            audit.record(session, user.name, "media.show_known", "media_item", media.id,
                         reported_url_id=url_id, reason=reason.strip()[:500] or None)
        return redirect(f"{page}?view={ws.reveal_token(user, state)}#media-{media_id}")
