"""One-time codes (TOTP, RFC 6238): seeds sealed at rest, each code accepted once in any process, and
required for the roles HOTLINE_TOTP_REQUIRED_ROLES names (supervisors and admins by default)."""

from __future__ import annotations

import hmac
import io
import time
import unicodedata
from typing import TYPE_CHECKING

import pyotp
from sqlalchemy.orm import Session

from hotline import audit
from hotline.models import User
from hotline.vault import totp_binding, vault_of

if TYPE_CHECKING:
    from hotline.config import Settings


def totp_secret(session: Session, user: User) -> str | None:
    """The user's seed, opened from its sealed column; None when not enrolled."""
    if not user.totp_secret:
        return None
    return vault_of(session).open_text(session, user.totp_secret, totp_binding(user))


def store_totp_secret(session: Session, user: User, secret: str, actor: str) -> None:
    user.totp_secret = vault_of(session).seal_text(session, secret, totp_binding(user))
    user.totp_last_step = None
    audit.record(session, actor, "user.totp_enrol", "user", user.id, name=user.name)


def provisioning_uri(user: User, secret: str) -> str:
    from hotline.auth import TOTP_ISSUER

    return pyotp.TOTP(secret).provisioning_uri(name=user.name, issuer_name=TOTP_ISSUER)


def qr_svg(uri: str) -> str:
    """The otpauth:// link as an inline SVG QR code, drawn here: the seed never leaves for a QR service."""
    import segno

    out = io.BytesIO()
    segno.make(uri, error="m").save(out, kind="svg", scale=5, border=2, xmldecl=False, svgns=True,
                                    title="QR code for your authenticator app")
    return out.getvalue().decode()


def enrol_totp(session: Session, user: User, actor: str = "cli") -> str:
    """Give the user a new TOTP seed; returns the otpauth:// URI for an authenticator app."""
    secret = pyotp.random_base32()
    store_totp_secret(session, user, secret, actor)
    return provisioning_uri(user, secret)


def needs_totp(user: User, settings: Settings) -> bool:
    """The user's role requires one-time codes but none is enrolled yet: only enrolment is allowed."""
    return user.role in settings.totp_required_roles and not user.totp_secret


def totp_step(secret: str | None, code: str | None, at: float | None = None) -> int | None:
    """The time step whose code this is (for refusing a second use), or None if it matches none."""
    if not secret or not code:
        return None
    totp = pyotp.TOTP(secret)
    now = int(time.time() if at is None else at)
    # NFKC as pyotp does: full-width digits typed on some phones count as digits.
    given = unicodedata.normalize("NFKC", code).strip().replace(" ", "")
    # One step of clock drift either way is the usual allowance for phone authenticators.
    for offset in (0, -1, 1):
        if hmac.compare_digest(totp.at(now + offset * totp.interval).encode(), given.encode()):
            return now // totp.interval + offset
    return None


def verify_totp(session: Session, user: User, code: str | None) -> bool:
    """Whether the code is good and new: a code seen over a shoulder is never accepted a second time.

    The newest accepted step is kept on the user row, under the database's write turn, so no two
    processes accept the same code."""
    secret = totp_secret(session, user)
    if secret is None:
        return True
    step = totp_step(secret, code)
    if step is None:
        return False
    audit.take_write_turn(session)
    session.refresh(user, ["totp_last_step"])
    if user.totp_last_step is not None and step <= user.totp_last_step:
        return False
    user.totp_last_step = step
    return True
