"""Accounts: argon2 passwords, roles, TOTP, logins with throttling, server-side sessions, personal API
tokens, and who acts when no person is logged in.

- `authenticate` checks a name, password and one-time code, throttled per (account, client) and more
  gently per account, never locking the owner out (hotline.auth.throttle).
- A workspace login is a UserSession row; the cookie carries only its random id (hotline.auth.sessions).
  Logging out, a password change and deactivation revoke it; idle sessions end.
- Scripts act as a person with that person's password and code, or a personal API token
  (hotline.auth.tokens); the `system` account and partner keys never count as a person (`is_person`).
"""

from __future__ import annotations

from typing import Protocol

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.models import User, utcnow

ROLES = ("analyst", "supervisor", "admin")
_RANK = {"analyst": 1, "supervisor": 2, "admin": 3}
MIN_PASSWORD_LENGTH = 10
TOTP_ISSUER = "hotline"

_hasher = PasswordHasher()


class AuthError(Exception):
    """A refusal a person can read: one line, no secrets."""


class LoginFailed(AuthError):
    pass


class LoginThrottled(AuthError):
    pass


# -- passwords and users ---------------------------------------------------------------------------
def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    if not password_hash:
        return False
    try:
        return _hasher.verify(password_hash, password)
    except (VerificationError, InvalidHashError):
        return False


def dummy_verify(password: str) -> None:
    """Verify against a throwaway hash: unknown names take as long as known ones."""
    global _dummy
    if _dummy is None or _dummy[0] is not _hasher:
        _dummy = (_hasher, _hasher.hash("not a password of anyone's"))
    verify_password(_dummy[1], password)


_dummy: tuple[PasswordHasher, str] | None = None


class HasRole(Protocol):
    @property
    def role(self) -> str: ...


def has_role(user: HasRole, minimum: str) -> bool:
    """Roles are ranked: an admin may do what a supervisor may, a supervisor what an analyst may."""
    return _RANK.get(user.role, 0) >= _RANK[minimum]


def is_person(user: User) -> bool:
    """A stored account of a person (analyst, supervisor, admin): never `system`, a partner key or a policy."""
    return user.id is not None and user.role in ROLES


def find_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name.strip()))


def check_password_rules(password: str) -> None:
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")


def create_user(session: Session, name: str, role: str, password: str, actor: str = "cli") -> User:
    name = name.strip()
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise AuthError("a user name is 1 to 100 characters without spaces")
    if name == "system" or name.startswith("api:"):
        raise AuthError(f"{name!r} is reserved for scripts and partner keys; choose another name")
    check_password_rules(password)
    if find_user(session, name) is not None:
        raise AuthError(f"a user named {name!r} already exists")
    user = User(name=name, role=role, password_hash=hash_password(password), password_changed_at=utcnow())
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, name=name, role=role)
    return user


def change_password(session: Session, user: User, new_password: str, actor: str, **detail: object) -> None:
    """Set a new password; every session and personal token of the user ends (audited)."""
    from hotline.auth.sessions import revoke_all
    from hotline.auth.tokens import revoke_tokens

    if not is_person(user):
        raise AuthError(f"{user.name!r} is not a person's account and has no password")
    check_password_rules(new_password)
    user.password_hash = hash_password(new_password)
    user.password_changed_at = utcnow()
    ended = revoke_all(session, user, "password changed")
    tokens = revoke_tokens(session, user, None, actor, audited=False)
    audit.record(session, actor, "user.passwd", "user", user.id, name=user.name, sessions_ended=ended,
                 tokens_revoked=tokens, **detail)


def set_active(session: Session, user: User, active: bool, actor: str, **detail: object) -> None:
    """Disable (every session and token ends at once) or enable an account, audited."""
    from hotline.auth.sessions import revoke_all
    from hotline.auth.tokens import revoke_tokens

    if user.role not in ROLES:
        raise AuthError(f"{user.name!r} is not a person's account")
    if user.name == actor and not active:
        raise AuthError("you cannot disable your own account; ask another admin")
    user.active = active
    ended = tokens = 0
    if not active:
        ended = revoke_all(session, user, "disabled")
        tokens = revoke_tokens(session, user, None, actor, audited=False)
    audit.record(session, actor, "user.enable" if active else "user.disable", "user", user.id, name=user.name,
                 sessions_ended=ended, tokens_revoked=tokens, **detail)


def logout_everywhere(session: Session, user: User, actor: str | None = None) -> int:
    """End every session of the user (a lost laptop, a leaked cookie); how many ended."""
    from hotline.auth.sessions import revoke_all

    user.session_version += 1
    ended = revoke_all(session, user, "logged out everywhere")
    audit.record(session, actor or user.name, "user.logout_everywhere", "user", user.id, sessions_ended=ended)
    return ended


from hotline.auth.actors import (
    API_USER_PREFIX,
    SYSTEM_ROLE,
    api_user,
    named_user,
    system_user,
    unsaved_actor,
)
from hotline.auth.login import Credentials, authenticate
from hotline.auth.sessions import SessionCodec, SessionData
from hotline.auth.throttle import Throttles
from hotline.auth.totp import enrol_totp, needs_totp, totp_secret, totp_step, verify_totp

__all__ = [
    "API_USER_PREFIX", "MIN_PASSWORD_LENGTH", "ROLES", "SYSTEM_ROLE", "TOTP_ISSUER", "AuthError", "Credentials",
    "LoginFailed", "LoginThrottled", "SessionCodec", "SessionData", "Throttles", "api_user", "authenticate",
    "change_password", "create_user", "dummy_verify", "enrol_totp", "find_user", "has_role", "hash_password",
    "is_person", "logout_everywhere", "named_user", "needs_totp", "set_active", "system_user", "totp_secret",
    "totp_step", "unsaved_actor", "verify_password", "verify_totp",
]
