"""Logging in and out: password plus one-time code, throttled without locking the owner out; log out
(this session, server-side) and log out everywhere."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request, Response
from starlette.concurrency import run_in_threadpool

from hotline import audit
from hotline.auth import AuthError, LoginThrottled, authenticate, logout_everywhere
from hotline.auth import sessions as login_sessions
from hotline.web.workspace.base import (
    DEVICE_COOKIE,
    DEVICE_MAX_AGE,
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


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


def register(router: APIRouter) -> None:
    @router.get("/login")
    def login_form(request: Request, next: str | None = None) -> Response:
        return workspace_of(request).page(request, "login.html", next=_safe_next(next), error=None)

    @router.post("/login")
    async def login(
        request: Request,
        name: Annotated[str, Form(max_length=200)],
        password: Annotated[str, Form(max_length=1000)],
        code: Annotated[str, Form(max_length=20)] = "",
        next: Annotated[str, Form(max_length=2000)] = "",
    ) -> Response:
        ws = workspace_of(request)
        client = client_address(request)
        device = ws.device_for(request, name)
        try:
            # A thread: the password check is slow on purpose and must not hold up other requests.
            user = await run_in_threadpool(authenticate, ws.hotline.db, ws.throttles, name, password,
                                           code or None, client, device)
        except AuthError as exc:
            status = 429 if isinstance(exc, LoginThrottled) else 401
            return ws.page(request, "login.html", status, next=_safe_next(next), error=str(exc), name=name)
        with ws.hotline.db.session() as session:
            data = login_sessions.start(session, user, client, ws.lifetimes)
        response = redirect(_safe_next(next))
        set_cookie(request, response, SESSION_COOKIE, ws.codec.dump(data), max_age=None)
        set_cookie(request, response, DEVICE_COOKIE, ws.device_cookie(user.name, device), max_age=DEVICE_MAX_AGE)
        response.delete_cookie(PRELOGIN_COOKIE, path=PREFIX)
        return response

    @router.post("/logout")
    def logout(request: Request) -> Response:
        """Ends the session on the server: a copy of the cookie stops working too."""
        ws = workspace_of(request)
        data = ws.session_data(request)
        with ws.hotline.db.session() as session:
            user = login_sessions.user_for(session, data, ws.lifetimes)
            if login_sessions.revoke(session, data, "logged out") and user is not None:
                audit.record(session, user.name, "logout", "user", user.id)
        response = redirect(f"{PREFIX}/login")
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response

    @router.post("/logout-everywhere")
    def logout_all(request: Request) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            logout_everywhere(session, ws.require(request, session, enrolling=True))
        response = redirect(f"{PREFIX}/login")
        response.delete_cookie(SESSION_COOKIE, path=PREFIX)
        return response
