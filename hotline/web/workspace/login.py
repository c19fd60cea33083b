"""Logging in and out: password plus optional one-time code, throttled; log out everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response

from hotline.auth import AuthError, authenticate, logout_everywhere
from hotline.web.workspace.base import (
    PREFIX,
    PRELOGIN_COOKIE,
    SESSION_COOKIE,
    redirect,
    set_cookie,
    workspace_of,
)


def _safe_next(target: str | None) -> str:
    # Only paths inside the workspace: never an absolute URL an attacker could slip in.
    if target and target.startswith(PREFIX + "/") and not target.startswith("//") and "\\" not in target:
        return target
    return f"{PREFIX}/queue"


def _client(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def register(router: APIRouter) -> None:
    @router.get("/login")
    def login_form(request: Request, next: str | None = None) -> Response:
        return workspace_of(request).page(request, "login.html", next=_safe_next(next), error=None)

    @router.post("/login")
    def login(
        request: Request,
        name: Annotated[str, Form()],
        password: Annotated[str, Form()],
        code: Annotated[str, Form()] = "",
        next: Annotated[str, Form()] = "",
    ) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            try:
                user = authenticate(session, ws.throttles, name, password, code or None, _client(request))
            except AuthError as exc:
                error = str(exc)
            else:
                value, _ = ws.codec.issue(user)
                response = redirect(_safe_next(next))
                set_cookie(request, response, SESSION_COOKIE, value, max_age=None)
                response.delete_cookie(PRELOGIN_COOKIE, path=PREFIX)
                return response
        status = 429 if "too many" in error else 401
        return ws.page(request, "login.html", status, next=_safe_next(next), error=error, name=name)

    @router.post("/logout")
    def logout(request: Request) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.codec.user_for(session, ws.session_data(request))
            if user is not None:
                from hotline import audit

                audit.record(session, user.name, "logout", "user", user.id)
        response = redirect(f"{PREFIX}/login")
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    @router.post("/logout-everywhere")
    def logout_all(request: Request) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            logout_everywhere(session, ws.require(request, session))
        response = redirect(f"{PREFIX}/login")
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response
