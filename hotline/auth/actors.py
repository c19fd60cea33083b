"""Who acts when no person is logged in: the `system` account of scripts, partner keys' accounts and
auto-forward policies. None of them is a person (hotline.auth.is_person), so none is ever one of the
four eyes."""

from __future__ import annotations

from sqlalchemy.orm import Session

from hotline import audit
from hotline.errors import Refused
from hotline.models import User

SYSTEM_ROLE = "system"
API_USER_PREFIX = "api:"


def named_user(session: Session, name: str) -> User:
    """A stored, active account by name (the caller proves who it is: hotline.auth.login)."""
    from hotline.auth import find_user

    user = find_user(session, name)
    if user is None:
        raise Refused(f"no user named {name!r}")
    if not user.active:
        raise Refused(f"user {user.name!r} is deactivated")
    return user


def system_user(session: Session, name: str = "system") -> User:
    """The account scripts act as when no person is named; created on demand with role "system"."""
    from hotline.auth import find_user

    user = find_user(session, name)
    if user is not None:
        if user.role != SYSTEM_ROLE:
            # Else HOTLINE_CLI_USER=sofia would let anyone act as sofia without her credentials.
            raise Refused(f"{user.name!r} is a person's account: scripts act as a person only with --as and "
                          "that person's credentials")
        if not user.active:
            raise Refused(f"user {user.name!r} is deactivated")
        return user
    user = User(name=name, role=SYSTEM_ROLE, password_hash=None)  # no password: it can never log in
    session.add(user)
    session.flush()
    audit.record(session, "cli", "user.create", "user", user.id, name=name, role=SYSTEM_ROLE)
    return user


def api_user(session: Session, key_name: str) -> User:
    """The account an API key acts as (`api:<partner name>`, role system), so four-eyes sees who it is."""
    from hotline.auth import find_user

    name = API_USER_PREFIX + key_name
    existing = find_user(session, name)
    if existing is not None and existing.role != SYSTEM_ROLE:
        # Someone made a person's account with this name: never let a key act as a person.
        raise Refused(f"the account {name!r} belongs to a person; rename it so the API key can act")
    return system_user(session, name)


def unsaved_actor(name: str) -> User:
    """An actor that is never stored (an auto-forward policy): its ids stay NULL, so it is never a person."""
    return User(name=name, role=SYSTEM_ROLE)
