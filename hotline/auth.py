"""Accounts for analysts: argon2 password hashes, roles, signed session cookies, throttling and TOTP.

A session cookie carries the user id, the user's `session_version` and a random nonce. "Log out
everywhere" bumps the version, so every cookie issued before stops working at once; the nonce binds
CSRF tokens to one login.
"""

from __future__ import annotations

import hmac
import secrets
import threading
import time
import unicodedata
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Protocol

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.errors import Refused
from hotline.models import User

ROLES = ("analyst", "supervisor", "admin")
_RANK = {"analyst": 1, "supervisor": 2, "admin": 3}
SESSION_MAX_AGE = 12 * 3600
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


class HasRole(Protocol):
    @property
    def role(self) -> str: ...


def has_role(user: HasRole, minimum: str) -> bool:
    """Roles are ranked: an admin may do what a supervisor may, a supervisor what an analyst may."""
    return _RANK.get(user.role, 0) >= _RANK[minimum]


def find_user(session: Session, name: str) -> User | None:
    return session.scalar(select(User).where(User.name == name.strip()))


def create_user(session: Session, name: str, role: str, password: str, actor: str = "cli") -> User:
    name = name.strip()
    if role not in ROLES:
        raise AuthError(f"role must be one of {', '.join(ROLES)}, not {role!r}")
    if not name or len(name) > 100 or any(c.isspace() for c in name):
        raise AuthError("a user name is 1 to 100 characters without spaces")
    if len(password) < MIN_PASSWORD_LENGTH:
        raise AuthError(f"the password must have at least {MIN_PASSWORD_LENGTH} characters")
    if find_user(session, name) is not None:
        raise AuthError(f"a user named {name!r} already exists")
    user = User(name=name, role=role, password_hash=hash_password(password))
    session.add(user)
    session.flush()
    audit.record(session, actor, "user.create", "user", user.id, name=name, role=role)
    return user


def enrol_totp(session: Session, user: User, actor: str = "cli") -> str:
    """Give the user a new TOTP secret; returns the otpauth:// URI for an authenticator app."""
    user.totp_secret = pyotp.random_base32()
    audit.record(session, actor, "user.totp_enrol", "user", user.id, name=user.name)
    return pyotp.TOTP(user.totp_secret).provisioning_uri(name=user.name, issuer_name=TOTP_ISSUER)


def verify_totp(user: User, code: str | None, at: float | None = None) -> bool:
    if not user.totp_secret:
        return True
    return totp_step(user, code, at) is not None


def totp_step(user: User, code: str | None, at: float | None = None) -> int | None:
    """The time step whose code this is (for refusing a second use), or None if it matches none."""
    if not user.totp_secret or not code:
        return None
    totp = pyotp.TOTP(user.totp_secret)
    now = int(time.time() if at is None else at)
    # NFKC as pyotp does: full-width digits typed on some phones count as digits.
    given = unicodedata.normalize("NFKC", code).strip().replace(" ", "")
    # One step of clock drift either way is the usual allowance for phone authenticators.
    for offset in (0, -1, 1):
        if hmac.compare_digest(totp.at(now + offset * totp.interval).encode(), given.encode()):
            return now // totp.interval + offset
    return None


class UsedCodes:
    """The newest time step each user logged in with: a code seen over a shoulder cannot be used again.

    In memory, like the throttles: behind several web processes a code could be replayed once per
    process within its 90 seconds, which still needs the password as well.
    """

    def __init__(self) -> None:
        self._newest: dict[int, int] = {}
        self._lock = threading.Lock()

    def accept(self, user: User, code: str | None) -> bool:
        if not user.totp_secret:
            return True
        step = totp_step(user, code)
        if step is None:
            return False
        with self._lock:
            if step <= self._newest.get(user.id, -1):
                return False
            self._newest[user.id] = step
            return True


def logout_everywhere(session: Session, user: User) -> None:
    user.session_version += 1
    audit.record(session, user.name, "user.logout_everywhere", "user", user.id)


# -- throttling ------------------------------------------------------------------------------------
class LoginThrottle:
    """Counts failed logins per key (user name, client address) in a sliding window, in memory.

    In memory is enough for the embedded single-process server; behind several web processes each
    keeps its own count, which still bounds guessing to a small multiple of the limit.
    """

    def __init__(
        self,
        max_failures: int = 5,
        window_seconds: float = 900.0,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.max_failures = max_failures
        self.window = window_seconds
        self.clock = clock
        self._failures: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def _recent(self, key: str) -> deque[float]:
        now = self.clock()
        stamps = self._failures.setdefault(key, deque())
        while stamps and now - stamps[0] > self.window:
            stamps.popleft()
        return stamps

    def retry_after(self, key: str) -> float:
        """Seconds until the key may try again; 0 when it may try now."""
        with self._lock:
            stamps = self._recent(key)
            if len(stamps) < self.max_failures:
                return 0.0
            return max(0.0, self.window - (self.clock() - stamps[-self.max_failures]))

    def try_attempt(self, key: str) -> float:
        """Atomically: 0 with this attempt counted as a failure in advance, or seconds to wait.

        Counting before the (slow) password check means parallel guesses cannot all pass the check
        before any failure is recorded; a success takes its count back (`forgive` or `reset`).
        """
        with self._lock:
            stamps = self._recent(key)
            if len(stamps) >= self.max_failures:
                return max(0.0, self.window - (self.clock() - stamps[-self.max_failures]))
            stamps.append(self.clock())
            return 0.0

    def forgive(self, key: str) -> None:
        """Take back one attempt counted by `try_attempt` (it succeeded, or was not tried)."""
        with self._lock:
            stamps = self._failures.get(key)
            if stamps:
                stamps.pop()

    def failed(self, key: str) -> None:
        with self._lock:
            self._recent(key).append(self.clock())

    def reset(self, key: str) -> None:
        with self._lock:
            self._failures.pop(key, None)


@dataclass
class Throttles:
    per_user: LoginThrottle
    per_client: LoginThrottle
    used_codes: UsedCodes = field(default_factory=UsedCodes)

    @classmethod
    def default(cls, clock: Callable[[], float] = time.monotonic) -> Throttles:
        return cls(LoginThrottle(5, 900.0, clock), LoginThrottle(20, 900.0, clock))


def authenticate(
    session: Session,
    throttles: Throttles,
    name: str,
    password: str,
    totp_code: str | None,
    client: str,
) -> User:
    """The active user with this name, password and (when enrolled) TOTP code; raises AuthError."""
    user_key, client_key = f"user:{name.strip().lower()}", f"client:{client}"
    # Counted up front (see LoginThrottle.try_attempt); a refused attempt is not counted at all.
    wait = throttles.per_user.try_attempt(user_key)
    if wait == 0:
        wait = throttles.per_client.try_attempt(client_key)
        if wait > 0:
            throttles.per_user.forgive(user_key)
    if wait > 0:
        raise LoginThrottled(f"too many failed logins; try again in {int(wait // 60) + 1} minutes")
    user = find_user(session, name)
    password_ok = verify_password(user.password_hash if user else _dummy_hash(), password)
    if user is None or not user.active or not password_ok or not throttles.used_codes.accept(user, totp_code):
        audit.record(session, name.strip()[:100] or "?", "login.failed", "user", user.id if user else None,
                     client=client)
        raise LoginFailed("wrong user name, password or one-time code")
    throttles.per_user.reset(user_key)
    throttles.per_client.forgive(client_key)
    audit.record(session, user.name, "login", "user", user.id, client=client)
    return user


_dummies: dict[int, str] = {}


def _dummy_hash() -> str:
    """Verifying against a dummy hash for unknown names keeps the timing the same as for known ones."""
    key = id(_hasher)
    if key not in _dummies:
        _dummies[key] = _hasher.hash(secrets.token_urlsafe(16))
    return _dummies[key]


# -- session cookies -------------------------------------------------------------------------------
@dataclass(frozen=True)
class SessionData:
    user_id: int
    version: int
    nonce: str


class SessionCodec:
    """Signs and checks the session cookie's value (the cookie flags are the web layer's job)."""

    def __init__(self, secret: bytes, max_age: int = SESSION_MAX_AGE) -> None:
        self._serializer = URLSafeTimedSerializer(secret, salt="hotline-session")
        self.max_age = max_age

    def issue(self, user: User) -> tuple[str, SessionData]:
        data = SessionData(user.id, user.session_version, secrets.token_urlsafe(16))
        return self._serializer.dumps([data.user_id, data.version, data.nonce]), data

    def read(self, value: str | None) -> SessionData | None:
        if not value:
            return None
        try:
            raw = self._serializer.loads(value, max_age=self.max_age)
        except (BadSignature, SignatureExpired):
            return None
        if not (isinstance(raw, list) and len(raw) == 3):
            return None
        user_id, version, nonce = raw
        if not (isinstance(user_id, int) and isinstance(version, int) and isinstance(nonce, str)):
            return None
        return SessionData(user_id, version, nonce)

    @staticmethod
    def user_for(session: Session, data: SessionData | None) -> User | None:
        """The logged-in user, unless disabled or logged out everywhere since the cookie was issued."""
        if data is None:
            return None
        user = session.get(User, data.user_id)
        if user is None or not user.active or user.session_version != data.version:
            return None
        return user


# -- who acts, when it is not a person logged in to the workspace ----------------------------------
SYSTEM_ROLE = "system"
API_USER_PREFIX = "api:"


def named_user(session: Session, name: str) -> User:
    user = find_user(session, name)
    if user is None:
        raise Refused(f"no user named {name!r}")
    if not user.active:
        raise Refused(f"user {user.name!r} is deactivated")
    return user


def system_user(session: Session, name: str = "system") -> User:
    """The account scripts act as when no person is named; created on demand with role "system"."""
    user = find_user(session, name)
    if user is not None:
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
    name = API_USER_PREFIX + key_name
    existing = find_user(session, name)
    if existing is not None and existing.role != SYSTEM_ROLE:
        # Someone made a person's account with this name: never let a key act as a person.
        raise Refused(f"the account {name!r} belongs to a person; rename it so the API key can act")
    return system_user(session, name)


def unsaved_actor(name: str) -> User:
    """An actor that is never stored (an auto-forward policy): its ids stay NULL, so it is never a person."""
    return User(name=name, role=SYSTEM_ROLE)
