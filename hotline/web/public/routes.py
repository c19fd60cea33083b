"""The public pages: the report form and the status page, in Romanian and English, without JavaScript."""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qs

from fastapi import APIRouter
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from starlette.concurrency import run_in_threadpool
from starlette.requests import Request
from starlette.responses import Response

from hotline.app import Hotline
from hotline.i18n import LANGUAGES, N_, negotiate_language
from hotline.models import Report, ReportSource
from hotline.pipeline.intake import dedup_window, submit_report
from hotline.web.csrf import check_token, issue_token
from hotline.web.public.body import BodyTooLarge, read_body
from hotline.web.public.form import (
    CATEGORIES,
    MAX_BODY_BYTES,
    MAX_DESCRIPTION_CHARS,
    CheckedForm,
    Message,
    ReportForm,
    check_form,
    read_form,
    url_reason,
)
from hotline.web.public.ratelimit import RateLimiter
from hotline.web.public.render import render_page
from hotline.web.public.status import hash_status_secret, new_status_secret, report_progress
from hotline.web.public.writer import write_turn

FORM_COOKIE = "hotline_form"
STATUS_MAX_BODY_BYTES = 4096
CATEGORY_CHOICES: tuple[tuple[str, str, str], ...] = (
    (CATEGORIES[0], N_("Sexual images or videos of children"),
     N_("Photos, videos or drawings that show children naked in a sexual way or being sexually abused.")),
    (CATEGORIES[1], N_("Grooming or sexual contact with a child online"),
     N_("An adult who talks to a child online to get sexual pictures, sexual talk or a meeting.")),
    (CATEGORIES[2], N_("Adult content open to children"),
     N_("Pornography for adults that children can see without any age check.")),
    (CATEGORIES[3], N_("Something else"),
     N_("Anything else that harms children online, or you are not sure.")),
)
STEP_LABELS = {
    "received": N_("Received"),
    "assessed": N_("Assessed"),
    "forwarded": N_("Forwarded for removal"),
    "removed": N_("Removed"),
}
FIELD_ANCHORS = {"urls": "urls", "category": "category-0", "description": "description",
                 "contact": "contact", "consent": "consent", "form": "urls", "reference": "reference"}


def language_of(request: Request, path_language: str | None) -> str:
    return path_language or negotiate_language(request.headers.get("accept-language"))


def client_address(request: Request) -> str | None:
    # Used only to count requests, under a rotating keyed hash; never stored or logged here.
    return request.client.host if request.client else None


def build_router() -> APIRouter:
    router = APIRouter(include_in_schema=False)
    for prefix, language in [("", None), *((f"/{code}", code) for code in LANGUAGES)]:
        router.add_api_route(f"{prefix}/report", _with_language(show_form, language), methods=["GET"])
        router.add_api_route(f"{prefix}/report", _with_language(submit_form, language), methods=["POST"])
        router.add_api_route(f"{prefix}/report/status", _with_language(show_status, language), methods=["GET"])
        router.add_api_route(f"{prefix}/report/status", _with_language(check_status, language),
                             methods=["POST"])
    return router


def _with_language(
    handler: Callable[[Request, str], Awaitable[Response]], path_language: str | None
) -> Callable[[Request], Awaitable[Response]]:
    async def endpoint(request: Request) -> Response:
        return await handler(request, language_of(request, path_language))

    endpoint.__name__ = f"{handler.__name__}_{path_language or 'negotiated'}"
    return endpoint


# --- report form -------------------------------------------------------------------------------------

def _rate_limited(request: Request, language: str, limiter: RateLimiter, page_path: str) -> Response | None:
    """Count this request; past the limit, the friendly "please wait" page instead of the action."""
    decision = limiter.hit(client_address(request))
    if decision.allowed:
        return None
    return render_page("limited.html", language, page_path=page_path, status_code=429,
                       headers={"Retry-After": str(decision.retry_after)},
                       title=_title(language, N_("Please wait a little")),
                       minutes=decision.retry_after_minutes)


async def show_form(request: Request, language: str) -> Response:
    return _form_page(request, language, CheckedForm(form=ReportForm()))


async def submit_form(request: Request, language: str) -> Response:
    limited = _rate_limited(request, language, request.app.state.public_limiter, "/report")
    if limited is not None:
        return limited
    try:
        fields = _parse_urlencoded(await read_body(request, MAX_BODY_BYTES))
    except BodyTooLarge:
        return _form_error(request, language, ReportForm(), N_("The report is too large. Shorten the description or send fewer addresses."), 413)
    except ValueError:
        return _form_error(request, language, ReportForm(), N_("The form could not be read. Please try again."), 400)
    form = read_form(fields)
    hotline: Hotline = request.app.state.hotline
    if not check_token(hotline.secret_key, form.csrf_token, request.cookies.get(FORM_COOKIE)):
        return _form_error(request, language, form, N_("This form has expired, or your browser does not accept cookies. Check your answers and send the form again."), 400)
    if form.honeypot:
        # Only programs fill the hidden field; tell them nothing useful and store nothing.
        return _form_error(request, language, form, N_("The form could not be read. Please try again."), 400)
    checked = check_form(form)
    if not checked.ok:
        return _form_page(request, language, checked, status_code=400)
    new_secret = new_status_secret()
    stored = await run_in_threadpool(_store, hotline, checked, language, hash_status_secret(new_secret))
    # A form received again: its secret was shown the first time and cannot be shown again.
    secret = None if stored.again else new_secret
    if not stored.again:
        request.app.state.on_new_work()  # only after the commit: the worker may start at once
    return render_page("report_done.html", language, page_path="/report",
                       title=_title(language, N_("Thank you. We received your report.")),
                       reference=stored.reference, secret=secret, count=stored.count)


@dataclass(frozen=True)
class Stored:
    reference: str
    count: int
    again: bool  # this very form had been received before


def _store(hotline: Hotline, checked: CheckedForm, language: str, secret_hash: str) -> Stored:
    """Commit the report; no address, user agent or other trace of the reporter goes in.

    Two copies of one form (double click, reload, a flaky connection) carry one submission key: the
    partial unique index on keys without a partner lets only the first in, on SQLite and PostgreSQL
    alike, and the second answers with the first one's reference."""
    form = checked.form
    key = "form:" + hashlib.sha256(form.submission.encode()).hexdigest()[:40] if form.submission else None
    try:
        with write_turn(hotline.db.engine), hotline.db.session() as session:
            result = submit_report(
                session, checked.urls, source=ReportSource.PUBLIC, category=form.category,
                description=form.description or None, reporter_contact=form.contact or None,
                language=language, status_secret_hash=secret_hash, idempotency_key=key,
                dedup_window=dedup_window(hotline.settings),
            )
            stored = Stored(result.report.reference, len(result.urls), again=False)
    except IntegrityError:
        with hotline.db.sessions() as session:
            earlier = session.scalar(select(Report).where(
                Report.idempotency_key == key, Report.partner_id.is_(None), Report.source == ReportSource.PUBLIC))
            if key is None or earlier is None:
                raise
            return Stored(earlier.reference, len(earlier.urls), again=True)
    return stored


def _parse_urlencoded(body: bytes) -> dict[str, list[str]]:
    text = body.decode("utf-8")  # UnicodeDecodeError is a ValueError
    return parse_qs(text, keep_blank_values=True, max_num_fields=50, errors="strict")


def _form_error(request: Request, language: str, form: ReportForm, message: str, status_code: int) -> Response:
    checked = CheckedForm(form=form, errors={"form": Message(message)})
    return _form_page(request, language, checked, status_code=status_code)


def _form_page(request: Request, language: str, checked: CheckedForm, status_code: int = 200) -> Response:
    hotline: Hotline = request.app.state.hotline
    cookie = request.cookies.get(FORM_COOKIE)
    fresh = cookie is None or not (16 <= len(cookie) <= 64)
    if fresh:
        cookie = secrets.token_urlsafe(24)
    assert cookie is not None
    rejected = [{"text": r.text, "reason": url_reason(r.reason)} for r in checked.rejected]
    response = render_page(
        "report_form.html", language, page_path="/report", status_code=status_code,
        title=_title(language, N_("Report illegal content involving children")),
        action=request.url.path, form=checked.form, errors=checked.errors, rejected=rejected,
        anchors=FIELD_ANCHORS, categories=CATEGORY_CHOICES, max_description=MAX_DESCRIPTION_CHARS,
        csrf_token=issue_token(hotline.secret_key, cookie),
        submission=checked.form.submission or secrets.token_urlsafe(18),
    )
    if fresh:
        response.set_cookie(FORM_COOKIE, cookie, httponly=True, samesite="strict", path="/",
                            secure=request.url.scheme == "https")
    return response


# --- status page -------------------------------------------------------------------------------------

async def show_status(request: Request, language: str) -> Response:
    return _status_page(request, language)


async def check_status(request: Request, language: str) -> Response:
    limited = _rate_limited(request, language, request.app.state.status_limiter, "/report/status")
    if limited is not None:
        return limited
    try:
        fields = _parse_urlencoded(await read_body(request, STATUS_MAX_BODY_BYTES))
    except (BodyTooLarge, ValueError):
        fields = {}
    reference = (fields.get("reference") or [""])[0].strip()[:64]
    secret = (fields.get("secret") or [""])[0][:100]
    hotline: Hotline = request.app.state.hotline

    def lookup() -> list[str] | None:
        with hotline.db.sessions() as session:
            return report_progress(session, reference, secret)

    progress = await run_in_threadpool(lookup) if reference and secret else None
    if progress is None:
        error = Message(N_("We found no report with this reference number and secret code. Check both and try again."))
        return _status_page(request, language, reference_input=reference, errors={"reference": error},
                            status_code=400)
    return _status_page(request, language, reference_input=reference, progress=progress,
                        reference=reference.upper())


def _status_page(request: Request, language: str, status_code: int = 200, **context: Any) -> Response:
    context.setdefault("reference_input", "")
    context.setdefault("errors", {})
    context.setdefault("progress", None)
    return render_page("status.html", language, page_path="/report/status", status_code=status_code,
                       title=_title(language, N_("Progress of your report")), action=request.url.path,
                       anchors=FIELD_ANCHORS, step_labels=STEP_LABELS, **context)


def _title(language: str, message: str) -> str:
    from hotline.web.public.render import translator

    return translator(language)(message)
