"""Proving who you are: a name, password and one-time code (the workspace, or a script with `--as`), or a
personal API token. Throttled (hotline.auth.throttle) and audited, failures and successes alike, with the
client's address or, for the command line, the operating-system account."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from hotline import audit
from hotline.auth.throttle import Throttles, attempt_keys, wait_message
from hotline.models import User

if TYPE_CHECKING:
    from hotline.config import Settings
    from hotline.db import Database

FAILED = "wrong user name, password or one-time code"


@dataclass(frozen=True)
class Credentials:
    password: str | None = None
    code: str | None = field(default=None, repr=False)
    token: str | None = field(default=None, repr=False)


def authenticate(db: Database, throttles: Throttles, name: str, password: str, totp_code: str | None,
                 client: str, device: str | None = None) -> User:
    """The active person with this name, password and (when enrolled) one-time code; raises AuthError.

    `device` is the owner's device id (from a signed cookie of an earlier login to this account): it is
    throttled by itself instead of with the address, and not by the per-account count."""
    from hotline.auth import LoginFailed, LoginThrottled, find_user, is_person, verify_password
    from hotline.auth.totp import verify_totp

    attempt = attempt_keys(name, client, device)
    with db.session() as session:  # counted before the slow check, committed at once
        wait = throttles.begin(session, attempt)
    if wait > 0:
        raise LoginThrottled(wait_message(wait))
    with db.sessions() as session:
        found = find_user(session, name)
        stored = found.password_hash if found is not None and is_person(found) else None
    if stored is None:
        from hotline.auth import dummy_verify

        dummy_verify(password)  # an unknown name takes as long as a known one
    password_ok = stored is not None and verify_password(stored, password)
    with db.session() as session:
        user = find_user(session, name)
        ok = (password_ok and user is not None and user.active and is_person(user)
              and verify_totp(session, user, totp_code))
        if ok and user is not None:
            throttles.succeeded(session, attempt)
            audit.record(session, user.name, "login", "user", user.id, client=client)
        else:
            audit.record(session, name.strip()[:100] or "?", "login.failed", "user", user.id if user else None,
                         client=client)
    if not ok or user is None:
        raise LoginFailed(FAILED)
    return user


def authenticate_as(db: Database, throttles: Throttles, settings: Settings, name: str,
                    credentials: Credentials, client: str) -> User:
    """A script acting as `name`: its personal token, or its password and one-time code."""
    from hotline.auth import AuthError, LoginFailed
    from hotline.auth.tokens import token_user
    from hotline.auth.totp import needs_totp

    if credentials.token:
        with db.session() as session:
            found = token_user(session, credentials.token)
            if found is None or found[0].name != name.strip():
                audit.record(session, name.strip()[:100] or "?", "login.failed", "user",
                             found[0].id if found else None, client=client, method="token")
                failed = True
            else:
                user, token = found
                audit.record(session, user.name, "login", "user", user.id, client=client, method="token",
                             token_id=token.id)
                failed = False
        if failed:
            raise LoginFailed("the token is not a live personal token of this user")
        return user
    user = authenticate(db, throttles, name, credentials.password or "", credentials.code, client)
    if needs_totp(user, settings):
        raise AuthError(f"{user.role}s must use one-time codes: enrol first (workspace account page, or "
                        f"`hotline user totp {user.name}`)")
    return user
