"""Workspace sessions, kept on the server: the cookie holds a random id (signed, so a forged one is
dropped without a database look-up) and a nonce that binds CSRF tokens; the database holds only the id's
SHA-256, so a copy of it gives no one a usable cookie.

A session ends when its user logs out (a copy of the cookie dies with it), changes their password, is
disabled or logs out everywhere; when nobody used it for HOTLINE_SESSION_IDLE_MINUTES; and
HOTLINE_SESSION_MAX_HOURS after the login whatever happens.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline.models import User, UserSession, utcnow

TOUCH_EVERY = timedelta(seconds=60)  # last_seen_at is written at most this often per session
MAX_COOKIE_AGE = 7 * 24 * 3600  # the signature's own limit; the session row decides sooner


@dataclass(frozen=True)
class SessionData:
    token: str
    nonce: str


@dataclass(frozen=True)
class Lifetimes:
    idle: timedelta
    absolute: timedelta


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


class SessionCodec:
    """Signs and checks the session cookie's value (the cookie flags are the web layer's job)."""

    def __init__(self, secret: bytes) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="hotline-session-v2")

    def dump(self, data: SessionData) -> str:
        return self._serializer.dumps([data.token, data.nonce])

    def read(self, value: str | None) -> SessionData | None:
        if not value:
            return None
        try:
            raw = self._serializer.loads(value, max_age=MAX_COOKIE_AGE)
        except (BadSignature, SignatureExpired):
            return None
        if not (isinstance(raw, list) and len(raw) == 2 and all(isinstance(part, str) for part in raw)):
            return None
        return SessionData(raw[0], raw[1])


def start(session: Session, user: User, client: str, lifetimes: Lifetimes,
          now: datetime | None = None) -> SessionData:
    """A new session row for a login that succeeded (in the caller's transaction)."""
    now = now or utcnow()
    data = SessionData(secrets.token_urlsafe(32), secrets.token_urlsafe(16))
    session.add(UserSession(token_hash=_hash(data.token), user_id=user.id, client=client[:64], created_at=now,
                            last_seen_at=now, expires_at=now + lifetimes.absolute))
    session.flush()
    return data


def find(session: Session, data: SessionData | None) -> UserSession | None:
    if data is None:
        return None
    return session.scalar(select(UserSession).where(UserSession.token_hash == _hash(data.token)))


def user_for(session: Session, data: SessionData | None, lifetimes: Lifetimes,
             now: datetime | None = None) -> User | None:
    """The logged-in user, unless the session ended (revoked, idle, expired) or the user is disabled."""
    row = find(session, data)
    if row is None or row.revoked_at is not None:
        return None
    now = now or utcnow()
    if now >= row.expires_at:
        return None
    if now - row.last_seen_at > lifetimes.idle:
        row.revoked_at, row.revoked_why = now, "idle"
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    if now - row.last_seen_at > TOUCH_EVERY:
        row.last_seen_at = now
    return user


def revoke(session: Session, data: SessionData | None, why: str) -> bool:
    row = find(session, data)
    if row is None or row.revoked_at is not None:
        return False
    row.revoked_at, row.revoked_why = utcnow(), why
    return True


def revoke_all(session: Session, user: User, why: str) -> int:
    """End every live session of the user; how many ended."""
    result = session.execute(
        update(UserSession).where(UserSession.user_id == user.id, UserSession.revoked_at.is_(None))
        .values(revoked_at=utcnow(), revoked_why=why)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def live_sessions(session: Session, user: User, lifetimes: Lifetimes) -> list[UserSession]:
    now = utcnow()
    rows = session.scalars(select(UserSession).where(UserSession.user_id == user.id,
                                                     UserSession.revoked_at.is_(None)))
    return [r for r in rows if r.expires_at > now and now - r.last_seen_at <= lifetimes.idle]
