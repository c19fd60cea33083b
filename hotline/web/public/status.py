"""What a reporter may learn about their report: coarse progress per address, and only with the secret."""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Report, UrlState

PROGRESS_STEPS: tuple[str, ...] = ("received", "assessed", "forwarded", "removed")
_PROGRESS = {
    UrlState.ASSESSED: "assessed",
    UrlState.CLOSED: "assessed",  # looked at; nothing to forward. The reporter learns no more than that.
    UrlState.FORWARDED: "forwarded",
    UrlState.REMOVED: "removed",
}
_SECRET_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford base32, as references
_NOT_SECRET = re.compile(r"[^0-9A-Z]")


def progress_of(state: UrlState) -> str:
    """Every internal state maps to one of PROGRESS_STEPS; stages before assessment are 'received'."""
    return _PROGRESS.get(state, "received")


def new_status_secret() -> str:
    """80 random bits in four groups of four, easy to copy by hand: 'K7QM-2XRT-9WDB-H4NE'."""
    chars = "".join(secrets.choice(_SECRET_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def _canonical_secret(secret: str) -> str:
    # Tolerate lower case, spaces and missing dashes; O and I/L typed for 0 and 1 as in Crockford base32.
    text = secret.upper().translate(str.maketrans("OIL", "011"))
    return _NOT_SECRET.sub("", text)


def hash_status_secret(secret: str) -> str:
    # 80 random bits cannot be guessed, so a fast hash is enough; the status lookup is rate limited too.
    return "sha256$" + hashlib.sha256(_canonical_secret(secret).encode("ascii")).hexdigest()


def report_progress(session: Session, reference: str, secret: str) -> list[str] | None:
    """Progress of each address of the report, or None if the reference or the secret is wrong."""
    reference = reference.strip().upper()[:64]
    report = session.scalar(select(Report).where(Report.reference == reference))
    expected = report.status_secret_hash if report is not None else None
    given = hash_status_secret(secret[:100])
    if expected is None:
        hmac.compare_digest(given, given)  # same work either way, so timing does not reveal references
        return None
    if not hmac.compare_digest(expected, given):
        return None
    assert report is not None
    return [progress_of(link.reported_url.state) for link in report.urls]
