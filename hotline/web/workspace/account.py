"""The user's own account: one-time codes (enrolled with a QR code drawn on the server, confirmed by a
first code before they count), the password, and the sessions that are open."""

from __future__ import annotations

from typing import Annotated

import pyotp
from fastapi import APIRouter, Form, Request, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy.orm import Session

from hotline import audit
from hotline.auth import AuthError, change_password, needs_totp, verify_password
from hotline.auth import sessions as login_sessions
from hotline.auth.throttle import attempt_keys, wait_message
from hotline.auth.totp import provisioning_uri, qr_svg, store_totp_secret, totp_step
from hotline.errors import Refused
from hotline.models import User
from hotline.rules.taxonomy import LANGUAGES
from hotline.web.workspace.base import PREFIX, Workspace, redirect, workspace_of
from hotline.web.workspace.login import client_address

PENDING_MAX_AGE = 600


def _signer(secret: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="hotline-totp-pending")


def _check_password(ws: Workspace, request: Request, session: Session, user: User, password: str) -> None:
    """The password again before a change: counted like a login, so a borrowed session is no password oracle."""
    attempt = attempt_keys(user.name, client_address(request), None)
    with ws.hotline.db.session() as counting:
        wait = ws.throttles.begin(counting, attempt)
    if wait > 0:
        raise Refused(wait_message(wait))
    if not verify_password(user.password_hash, password):
        raise Refused("the password is wrong; nothing was changed")
    ws.throttles.succeeded(session, attempt)


def _account_page(ws: Workspace, request: Request, session: Session, user: User,
                  pending: dict[str, str] | None = None) -> Response:
    return ws.page(request, "account.html", enrolled=bool(user.totp_secret), prefs=user.preferences or {},
                   languages=LANGUAGES,
                   required=needs_totp(user, ws.hotline.settings),
                   sessions=login_sessions.live_sessions(session, user, ws.lifetimes), pending=pending)


def register(router: APIRouter) -> None:
    @router.get("/account")
    def account(request: Request) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session, enrolling=True)
            return _account_page(ws, request, session, user)

    @router.post("/account/totp")
    def start_totp(request: Request, password: Annotated[str, Form(max_length=1000)] = "") -> Response:
        """After the password is confirmed, show a new secret and its QR code; it counts only once a code
        confirms it."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session, enrolling=True)
            _check_password(ws, request, session, user, password)
            secret = pyotp.random_base32()
            uri = provisioning_uri(user, secret)
            return _account_page(ws, request, session, user, pending={
                "secret": secret, "uri": uri, "qr": qr_svg(uri),
                "token": _signer(ws.hotline.secret_key).dumps([user.id, secret]),
            })

    @router.post("/account/totp/confirm")
    def confirm_totp(request: Request, pending: Annotated[str, Form(max_length=2000)] = "",
                     code: Annotated[str, Form(max_length=20)] = "") -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session, enrolling=True)
            try:
                user_id, secret = _signer(ws.hotline.secret_key).loads(pending, max_age=PENDING_MAX_AGE)
            except (BadSignature, SignatureExpired, ValueError, TypeError):
                raise Refused("the enrolment expired; start again") from None
            step = totp_step(secret, code)
            if user_id != user.id or step is None:
                raise Refused("that code does not match the new secret; start again")
            store_totp_secret(session, user, secret, user.name)
            user.totp_last_step = step  # the confirming code is used up
        return redirect(f"{PREFIX}/account")

    @router.post("/account/preferences")
    def preferences(request: Request, language: Annotated[str, Form(max_length=8)] = "",
                    reveal_on_open: Annotated[str, Form(max_length=8)] = "") -> Response:
        """The workspace's language for this person, and whether their items open with previews revealed."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            chosen = {"language": language if language in LANGUAGES else "en", "reveal_on_open": reveal_on_open == "yes"}
            user.preferences = chosen
            audit.record(session, user.name, "user.preferences", "user", user.id, **chosen)
        return redirect(f"{PREFIX}/account")

    @router.post("/account/password")
    def password(request: Request, current: Annotated[str, Form(max_length=1000)] = "",
                 new: Annotated[str, Form(max_length=1000)] = "",
                 again: Annotated[str, Form(max_length=1000)] = "") -> Response:
        """A new password: every session ends, this one too (log in again with it)."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session, enrolling=True)
            _check_password(ws, request, session, user, current)
            if new != again:
                raise Refused("the two new passwords differ; nothing was changed")
            try:
                change_password(session, user, new, user.name)
            except AuthError as exc:
                raise Refused(str(exc)) from None
        return redirect(f"{PREFIX}/login")
