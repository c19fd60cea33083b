"""The user's own account: enrol a one-time-code app (confirmed by a first code before it counts)."""

from __future__ import annotations

from typing import Annotated

import pyotp
from fastapi import APIRouter, Form, Request, Response
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

from hotline import audit
from hotline.auth import TOTP_ISSUER, verify_password
from hotline.errors import Refused
from hotline.web.workspace.base import PREFIX, redirect, workspace_of

PENDING_MAX_AGE = 600


def _signer(secret: bytes) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret, salt="hotline-totp-pending")


def register(router: APIRouter) -> None:
    @router.get("/account")
    def account(request: Request) -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            return ws.page(request, "account.html", enrolled=bool(user.totp_secret), pending=None)

    @router.post("/account/totp")
    def start_totp(request: Request, password: Annotated[str, Form()] = "") -> Response:
        """After the password is confirmed, show a new secret; it counts only once a code confirms it."""
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            # Same count as the login form: a borrowed session must not become a password oracle.
            key = f"user:{user.name.lower()}"
            if ws.throttles.per_user.try_attempt(key) > 0:
                raise Refused("too many wrong passwords; try again later")
            if not verify_password(user.password_hash, password):
                raise Refused("the password is wrong; nothing was changed")
            ws.throttles.per_user.forgive(key)
            secret = pyotp.random_base32()
            return ws.page(
                request, "account.html", enrolled=bool(user.totp_secret),
                pending={
                    "secret": secret,
                    "uri": pyotp.TOTP(secret).provisioning_uri(name=user.name, issuer_name=TOTP_ISSUER),
                    "token": _signer(ws.hotline.secret_key).dumps([user.id, secret]),
                },
            )

    @router.post("/account/totp/confirm")
    def confirm_totp(request: Request, pending: Annotated[str, Form()] = "",
                     code: Annotated[str, Form()] = "") -> Response:
        ws = workspace_of(request)
        with ws.hotline.db.session() as session:
            user = ws.require(request, session)
            try:
                user_id, secret = _signer(ws.hotline.secret_key).loads(pending, max_age=PENDING_MAX_AGE)
            except (BadSignature, SignatureExpired, ValueError, TypeError):
                raise Refused("the enrolment expired; start again") from None
            if user_id != user.id or not pyotp.TOTP(secret).verify(code.strip().replace(" ", ""), valid_window=1):
                raise Refused("that code does not match the new secret; start again")
            user.totp_secret = secret
            audit.record(session, user.name, "user.totp_enrol", "user", user.id, name=user.name)
        return redirect(f"{PREFIX}/account")
