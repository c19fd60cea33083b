"""What every workspace route shares: the login, CSRF on every state change, no-store, error pages.

`WorkspaceRoute` wraps each handler, so a new POST route cannot forget its CSRF check and no page is
ever kept in a browser or proxy cache.
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Callable, Coroutine
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

from fastapi import Path as PathParam
from fastapi import Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse
from fastapi.routing import APIRoute
from fastapi.templating import Jinja2Templates
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from hotline.auth import SessionCodec, SessionData, Throttles, has_role, needs_totp
from hotline.auth import sessions as login_sessions
from hotline.errors import Refused
from hotline.evidence import EvidenceIntegrityError
from hotline.i18n import LANGUAGES, negotiate_language, translations
from hotline.models import User
from hotline.web.csrf import check_token, issue_token
from hotline.web.public.body import BodyTooLarge, read_body
from hotline.web.workspace.sentences import sentence_filter

if TYPE_CHECKING:
    from hotline.app import Hotline

PREFIX = "/workspace"
SESSION_COOKIE = "hotline_session"
PRELOGIN_COOKIE = "hotline_prelogin"
DEVICE_COOKIE = "hotline_device"  # "this browser logged in to this account before" (hotline.auth.throttle)
DEVICE_MAX_AGE = 180 * 24 * 3600
CSRF_FIELD = "csrf"
CSRF_HEADER = "x-csrf-token"
REVEAL_MAX_AGE = 30 * 60
_HERE = Path(__file__).parent
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
MAX_FORM_BYTES = 256 * 1024
MAX_ID = 2**63 - 1  # the largest row id either database holds; a larger number in a path is a 404
RowId = Annotated[int, PathParam(ge=1, le=MAX_ID)]  # the largest form (an assessment) holds at most 4,000 characters of notes


class NotLoggedIn(Exception):
    pass


class Forbidden(Exception):
    """The user is logged in but their role does not allow this."""


class NotFound(Exception):
    pass


class MustEnrol(Exception):
    """The user's role needs one-time codes and none is enrolled: only the account page is open."""


@dataclass(frozen=True)
class Viewer:
    id: int
    name: str
    role: str


def awaiting_count(ws: Workspace, viewer: Viewer | None) -> int:
    """How many assessments wait for this person's approval (the header shows it); counted only for pages,
    not for every preview a page loads."""
    from hotline.triage.assessment import awaiting_approval

    if viewer is None:
        return 0
    with ws.hotline.db.sessions() as session:
        user = session.get(User, viewer.id)
        return len(awaiting_approval(session, user)) if user is not None else 0


@dataclass
class Workspace:
    """The workspace's shared services, kept on `web.state.workspace`."""

    hotline: Hotline
    codec: SessionCodec
    throttles: Throttles
    templates: Jinja2Templates
    reveal_signer: URLSafeTimedSerializer
    device_signer: URLSafeTimedSerializer
    lifetimes: login_sessions.Lifetimes
    extra: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def build(cls, hotline: Hotline) -> Workspace:
        templates = Jinja2Templates(directory=str(_HERE / "templates"))
        templates.env.autoescape = True  # every .html is escaped anyway; no template may turn it off
        templates.env.globals["has_role"] = has_role
        templates.env.filters["when"] = format_when
        templates.env.filters["age"] = format_age
        templates.env.filters["sentence"] = sentence_filter
        return cls(
            hotline=hotline,
            codec=SessionCodec(hotline.secret_key),
            throttles=Throttles.default(),
            templates=templates,
            reveal_signer=URLSafeTimedSerializer(hotline.secret_key, salt="hotline-reveal"),
            device_signer=URLSafeTimedSerializer(hotline.secret_key, salt="hotline-device"),
            lifetimes=login_sessions.Lifetimes(
                idle=timedelta(minutes=hotline.settings.session_idle_minutes),
                absolute=timedelta(hours=hotline.settings.session_max_hours)),
        )

    # -- who is asking ---------------------------------------------------------------------------
    def session_data(self, request: Request) -> SessionData | None:
        return self.codec.read(request.cookies.get(SESSION_COOKIE))

    def require(self, request: Request, session: Session, role: str = "analyst", *, enrolling: bool = False) -> User:
        """The logged-in user, if their role allows `role`; `enrolling`: this page is open to a user who
        still has to enrol one-time codes (every other page sends them to enrol first)."""
        user = login_sessions.user_for(session, self.session_data(request), self.lifetimes)
        if user is None:
            raise NotLoggedIn()
        if not enrolling and needs_totp(user, self.hotline.settings):
            raise MustEnrol()
        if not has_role(user, role):
            raise Forbidden(f"this needs the {role} role")
        # A plain copy for the page templates: error pages render after the session rolled back.
        request.state.user = Viewer(user.id, user.name, user.role)
        chosen = (user.preferences or {}).get("language")
        if chosen in LANGUAGES:
            request.state.language = chosen
        return user

    # -- CSRF ------------------------------------------------------------------------------------
    def csrf_binding(self, request: Request) -> str | None:
        """The login's nonce, or before login the random pre-login cookie (double submit)."""
        data = self.session_data(request)
        if data is not None:
            return data.nonce
        return getattr(request.state, "new_prelogin", None) or request.cookies.get(PRELOGIN_COOKIE)

    def csrf_token(self, request: Request) -> str:
        binding = self.csrf_binding(request)
        if binding is None:
            binding = secrets.token_urlsafe(16)
            request.state.new_prelogin = binding  # set as a cookie by the route wrapper
        return issue_token(self.hotline.secret_key, binding)

    # -- reveal tokens (which previews this user uncovered) ----------------------------------------
    def reveal_state(self, request: Request, user: User, token: str | None) -> dict[str, set[int]]:
        # shown: media ids revealed; known: known-list media a supervisor asked to show; screens: captures
        # whose screenshot was revealed.
        empty: dict[str, set[int]] = {"shown": set(), "known": set(), "screens": set()}
        if not token:
            return empty
        try:
            raw = self.reveal_signer.loads(token, max_age=REVEAL_MAX_AGE)
        except (BadSignature, SignatureExpired):
            return empty
        if not isinstance(raw, dict) or raw.get("u") != user.id:
            return empty
        return {"shown": set(raw.get("shown", [])), "known": set(raw.get("known", [])),
                "screens": set(raw.get("screens", []))}

    # -- the owner's devices (exempt from the per-account login throttle) ---------------------------
    def device_for(self, request: Request, name: str) -> str | None:
        """The device id this browser got when it last logged in to account `name`, if any."""
        try:
            raw = self.device_signer.loads(request.cookies.get(DEVICE_COOKIE, ""), max_age=DEVICE_MAX_AGE)
        except (BadSignature, SignatureExpired):
            return None
        if isinstance(raw, dict) and str(raw.get("u", "")).lower() == name.strip().lower():
            device = raw.get("d")
            return device if isinstance(device, str) else None
        return None

    def device_cookie(self, name: str, device: str | None) -> str:
        return self.device_signer.dumps({"u": name, "d": device or secrets.token_urlsafe(16)})

    def reveal_token(self, user: User, state: dict[str, set[int]]) -> str:
        return self.reveal_signer.dumps(
            {"u": user.id, "shown": sorted(state["shown"]), "known": sorted(state["known"]),
             "screens": sorted(state.get("screens", set()))}
        )

    # -- rendering -------------------------------------------------------------------------------
    def fragment(self, request: Request, template: str, **context: Any) -> str:
        """A piece of a page (the header) for a document the workspace does not render itself (statistics)."""
        context.setdefault("user", getattr(request.state, "user", None))
        language = language_of(request)
        context.update(csrf_token=self.csrf_token(request), csrf_field=CSRF_FIELD, _=translator(language), lang=language,
                       awaiting=awaiting_count(self, context["user"]))
        return self.templates.get_template(template).render(request=request, **context)

    def page(self, request: Request, template: str, status_code: int = 200, **context: Any) -> HTMLResponse:
        context.setdefault("user", getattr(request.state, "user", None))
        language = language_of(request)
        context.update(_=translator(language), lang=language, awaiting=awaiting_count(self, context["user"]))
        context["csrf_token"] = self.csrf_token(request)
        context["csrf_field"] = CSRF_FIELD
        return self.templates.TemplateResponse(request, template, context, status_code=status_code)


def language_of(request: Request) -> str:
    """The workspace's language for this request: the person's choice on their account page, else what
    their browser asks for, else English."""
    chosen = getattr(request.state, "language", None)
    return chosen if chosen in LANGUAGES else negotiate_language(request.headers.get("accept-language"), "en")


def translator(language: str) -> Callable[..., str]:
    """`_` in the templates: a message from the catalogue, with %(name)s parameters filled in after."""
    catalogue = translations(language)

    def gettext(message: str, **params: Any) -> str:
        text = catalogue.gettext(message)
        return text % params if params else text

    return gettext


def format_when(value: datetime | str | None) -> str:
    """One way to show a moment everywhere: '2026-11-25 17:04:13 UTC'."""
    if value is None or value == "":
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def format_age(value: datetime | None, now: datetime | None = None) -> str:
    """How long ago, in the largest whole unit an analyst reads at a glance: '5 min', '3 h', '2 d'."""
    if value is None:
        return ""
    moment = value if value.tzinfo else value.replace(tzinfo=UTC)
    seconds = max(0, int(((now or datetime.now(UTC)) - moment).total_seconds()))
    if seconds < 3600:
        return f"{seconds // 60} min"
    if seconds < 2 * 86400:
        return f"{seconds // 3600} h"
    return f"{seconds // 86400} d"


def workspace_of(request: Request) -> Workspace:
    ws: Workspace = request.app.state.workspace
    return ws


def wake_workers(request: Request) -> None:
    """New work (a report, a URL to capture again): `hotline serve`'s background worker starts at once."""
    getattr(request.app.state, "on_new_work", lambda: None)()


def redirect(path: str) -> RedirectResponse:
    return RedirectResponse(path, status_code=303)


async def _body_fits(request: Request) -> bool:
    """Read the body under a cap before anything parses it: Starlette keeps a urlencoded form in
    memory whatever its size, and the CSRF check reads the form before anyone is logged in."""
    try:
        await read_body(request, MAX_FORM_BYTES)  # kept on the request: the form parser reuses it
    except BodyTooLarge:
        return False
    return True


async def _csrf_ok(request: Request, ws: Workspace) -> bool:
    # Browsers say where a request came from; a cross-site one is refused whatever token it carries
    # (a sibling subdomain can plant cookies, so the token alone does not prove the form was ours).
    if request.headers.get("sec-fetch-site", "same-origin") == "cross-site":
        return False
    token = request.headers.get(CSRF_HEADER)
    if token is None:
        content_type = request.headers.get("content-type", "")
        if content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            form = await request.form()  # cached by Starlette: the handler reads the same form
            value = form.get(CSRF_FIELD)
            token = value if isinstance(value, str) else None
    return check_token(ws.hotline.secret_key, token, ws.csrf_binding(request))


class WorkspaceRoute(APIRoute):
    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def guarded(request: Request) -> Response:
            ws = workspace_of(request)
            try:
                response: Response
                if request.method not in SAFE_METHODS and not await _body_fits(request):
                    response = ws.page(request, "error.html", 413, message="This form is too large to send.")
                elif request.method not in SAFE_METHODS and not await _csrf_ok(request, ws):
                    response = ws.page(
                        request, "error.html", 403,
                        message="This form has expired or did not come from this workspace; reload the page and try again.",
                    )
                else:
                    response = await handler(request)
            except NotLoggedIn:
                target = request.url.path if request.method == "GET" else _page_behind(request.url.path)
                response = redirect(f"{PREFIX}/login?next={target}")
            except MustEnrol:
                response = redirect(f"{PREFIX}/account?enrol=required")
            except RequestValidationError as exc:
                response = _invalid_request(request, ws, exc)
            except OverflowError:  # a number no row can have (SQLite's integers end at 2**63 - 1)
                response = ws.page(request, "error.html", 404, message="Not found.")
            except EvidenceIntegrityError as exc:
                response = integrity_failure(request, ws, exc)
            except Forbidden as exc:
                response = ws.page(request, "error.html", 403, message=f"Not allowed: {exc}.")
            except NotFound as exc:
                response = ws.page(request, "error.html", 404, message=str(exc) or "Not found.")
            except Refused as exc:
                response = ws.page(request, "error.html", 409, message=str(exc))
            response.headers["Cache-Control"] = "no-store"
            response.headers.setdefault("Pragma", "no-cache")
            new_prelogin = getattr(request.state, "new_prelogin", None)
            if new_prelogin is not None:
                set_cookie(request, response, PRELOGIN_COOKIE, new_prelogin, max_age=3600)
            return response

        return guarded


def _page_behind(path: str) -> str:
    """Where to return after logging in again when a form was sent from a lapsed session: the item it came
    from (its typed draft is restored there), else the workspace's start."""
    match = _ITEM_ACTION.fullmatch(path)
    return f"{PREFIX}/items/{match.group(1)}" if match else PREFIX


_ITEM_ACTION = re.compile(re.escape(PREFIX) + r"/items/([0-9]{1,19})/[a-z-]+")


def _invalid_request(request: Request, ws: Workspace, exc: RequestValidationError) -> Response:
    """A path that names no row (a number too large, or not a number) is 404; a bad form or query 422."""
    errors = exc.errors()
    if any(error.get("loc", ("",))[0] == "path" for error in errors):
        return ws.page(request, "error.html", 404, message="Not found.")
    where = ", ".join(str(error.get("loc", ("?",))[-1]) for error in errors[:3])
    return ws.page(request, "error.html", 422, message=f"Some values were not understood ({where}); go back and check them.")


def integrity_failure(request: Request, ws: Workspace, exc: EvidenceIntegrityError) -> Response:
    """A stored evidence file failed its check: say so, serve nothing, and record it for the admins."""
    from hotline import audit

    viewer = getattr(request.state, "user", None)
    with ws.hotline.db.session() as session:
        audit.record(session, viewer.name if viewer else "?", "evidence.integrity-failure", exc.subject_type,
                     exc.subject_id, file=exc.relative, reason=exc.reason, path=request.url.path)
    # 409: the stored file conflicts with what was recorded of it; the server itself works.
    return ws.page(request, "integrity.html", 409, message=str(exc))


def set_cookie(request: Request, response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(
        name, value, max_age=max_age, path=PREFIX, httponly=True, samesite="strict",
        secure=request.url.scheme == "https",
    )
