"""Partner hotlines: their credentials for our intake API.

Each partner gets a key id (public, names the partner in headers), an API key (for reading states,
kept here only as a SHA-256 hash: it has 256 random bits, so a slow hash adds nothing) and a signing
secret (HMAC key for request bodies; both sides need it, so it is kept as is). Key and secret are shown
once, when issued.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import secrets
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import Partner

API_KEY_PREFIX = "hlk"
# submit: send reports; feedback: tell us what became of our forwards; triage: assess through the API;
# hashes: download hash lists (our assessed items, imported lists).
PARTNER_ROLES: tuple[str, ...] = ("submit", "feedback", "triage", "hashes")
DEFAULT_ROLES: tuple[str, ...] = ("submit", "feedback")
_NAME = re.compile(r"^[a-z0-9][a-z0-9._-]{0,63}$")
_COUNTRY = re.compile(r"^[A-Z]{2}$")


class PartnerError(ValueError):
    """A partner cannot be created as asked; the message says why in one line."""


@dataclass(frozen=True)
class IssuedCredentials:
    partner: Partner
    key_id: str
    api_key: str
    signing_secret: str


def hash_api_key(api_key: str) -> str:
    return "sha256$" + hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def new_key_id() -> str:
    return "pk" + secrets.token_hex(8)


def create_partner(
    session: Session,
    name: str,
    *,
    country: str | None = None,
    endpoint: str | None = None,
    roles: Sequence[str] = DEFAULT_ROLES,
) -> IssuedCredentials:
    """Add a partner and issue its credentials (in the caller's transaction)."""
    name = name.strip().lower()
    if not _NAME.match(name):
        raise PartnerError(f"partner name {name!r} must be 1-64 of a-z, 0-9, '.', '_', '-' (e.g. nl-meldpunt)")
    if country is not None:
        country = country.strip().upper()
        if not _COUNTRY.match(country):
            raise PartnerError(f"country {country!r} must be a two-letter code such as NL")
    unknown = [role for role in roles if role not in PARTNER_ROLES]
    if unknown:
        raise PartnerError(f"unknown role {', '.join(map(repr, unknown))}: choose from {', '.join(PARTNER_ROLES)}")
    if endpoint is not None and not endpoint.startswith(("http://", "https://")):
        raise PartnerError(f"endpoint {endpoint!r} must be an http:// or https:// URL")
    if session.scalar(select(Partner).where(Partner.name == name)) is not None:
        raise PartnerError(f"a partner named {name!r} already exists")
    key_id = new_key_id()
    api_key = f"{API_KEY_PREFIX}.{key_id}.{secrets.token_urlsafe(32)}"
    signing_secret = secrets.token_urlsafe(32)
    partner = Partner(
        name=name,
        country=country,
        key_id=key_id,
        api_key_hash=hash_api_key(api_key),
        signing_secret=signing_secret.encode("utf-8"),
        endpoint=endpoint,
        roles=list(roles),
    )
    session.add(partner)
    session.flush()
    return IssuedCredentials(partner, key_id, api_key, signing_secret)


def find_partner(session: Session, key_id: str) -> Partner | None:
    return session.scalar(select(Partner).where(Partner.key_id == key_id))


def partner_for_api_key(session: Session, api_key: str) -> Partner | None:
    """The partner whose API key this is, or None (unknown key id or wrong key)."""
    parts = api_key.strip().split(".")
    if len(parts) != 3 or parts[0] != API_KEY_PREFIX:
        return None
    partner = find_partner(session, parts[1])
    if partner is None or not partner.api_key_hash:
        return None
    if not hmac.compare_digest(partner.api_key_hash, hash_api_key(api_key.strip())):
        return None
    return partner


def list_partners(session: Session) -> list[Partner]:
    return list(session.scalars(select(Partner).order_by(Partner.name)))
