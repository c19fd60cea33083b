"""Personal API tokens: how a script acts as a person (`hotline user token issue NAME`).

Issuing one needs the person's password and one-time code; the token is shown once and stored as its
SHA-256 (it has 256 random bits, so a slow hash adds nothing). A password change or deactivation revokes
every token of the user; `hotline user token revoke` ends one or all.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from hotline import audit
from hotline.models import User, UserToken, utcnow

PREFIX = "hlu"


def _hash(token: str) -> str:
    return hashlib.sha256(token.strip().encode()).hexdigest()


def looks_like_token(text: str) -> bool:
    return text.strip().startswith(PREFIX + ".")


def issue_token(session: Session, user: User, label: str | None, actor: str) -> tuple[UserToken, str]:
    secret = f"{PREFIX}.{secrets.token_urlsafe(32)}"
    row = UserToken(user_id=user.id, token_hash=_hash(secret), label=(label or "")[:100] or None)
    session.add(row)
    session.flush()
    audit.record(session, actor, "user.token_issue", "user", user.id, name=user.name, token_id=row.id,
                 label=row.label)
    return row, secret


def revoke_tokens(session: Session, user: User, token_id: int | None, actor: str, audited: bool = True) -> int:
    """Revoke one token of the user (or all with None); how many were live."""
    stmt = update(UserToken).where(UserToken.user_id == user.id, UserToken.revoked_at.is_(None))
    if token_id is not None:
        stmt = stmt.where(UserToken.id == token_id)
    count = int(session.execute(stmt.values(revoked_at=utcnow())).rowcount or 0)  # type: ignore[attr-defined]
    if audited:
        audit.record(session, actor, "user.token_revoke", "user", user.id, name=user.name, token_id=token_id,
                     revoked=count)
    return count


def token_user(session: Session, token: str) -> tuple[User, UserToken] | None:
    """The active user a live token belongs to, or None."""
    row = session.scalar(select(UserToken).where(UserToken.token_hash == _hash(token)))
    if row is None or row.revoked_at is not None or not hmac.compare_digest(row.token_hash, _hash(token)):
        return None
    user = session.get(User, row.user_id)
    if user is None or not user.active:
        return None
    row.last_used_at = utcnow()
    return user, row


def list_tokens(session: Session, user: User) -> list[UserToken]:
    return list(session.scalars(select(UserToken).where(UserToken.user_id == user.id).order_by(UserToken.id)))
