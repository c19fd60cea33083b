"""Who is calling the API: a partner proven by a request signature or by its API key.

Partner submissions and feedback must be signed (forwarders.partner.verify: HMAC-SHA256 over timestamp
and body with the partner's signing secret, five minutes' clock skew at most): `signed_caller`. Reads
(and integrations' actions, issue 12) may use the API key instead: `authenticated_caller`. Both give a
`Caller`; `caller.require(role)` answers 403 when the partner lacks the role.
The functions here touch the database: call them from a worker thread (run_in_threadpool).
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Mapping
from dataclasses import dataclass

from fastapi.security import APIKeyHeader, HTTPBearer
from sqlalchemy import Engine, select

from forwarders.partner import HEADER_SIGNATURE, SignatureError, verify
from hotline.app import Hotline
from hotline.models import Partner
from hotline.vault import VaultError
from hotline.web.api.errors import ApiProblem
from hotline.web.api.partners import partner_for_api_key, partner_secret

log = logging.getLogger(__name__)
MAX_SKEW_SECONDS = 300
KEY_CACHE_SECONDS = 10.0
_CHALLENGE = {"WWW-Authenticate": 'Bearer realm="hotline", HotlineSignature realm="hotline"'}

# Declared for the OpenAPI document (and clients generated from it); checked by the functions below.
api_key_scheme = HTTPBearer(auto_error=False, scheme_name="apiKey",
                            description="The partner's API key: `Authorization: Bearer hlk.<key id>.<secret>`.")
signature_scheme = APIKeyHeader(
    name=HEADER_SIGNATURE, auto_error=False, scheme_name="signature",
    description="`sha256=` + hex HMAC-SHA256(signing secret, `<X-Hotline-Timestamp>.<body>`), sent with "
                "X-Hotline-Key-Id and X-Hotline-Timestamp.",
)


@dataclass(frozen=True)
class Caller:
    partner_id: int
    name: str
    key_id: str
    roles: frozenset[str]
    endpoint: str | None

    @classmethod
    def of(cls, partner: Partner) -> Caller:
        return cls(partner.id, partner.name, partner.key_id, frozenset(partner.roles or ()), partner.endpoint)

    def require(self, role: str) -> Caller:
        if role not in self.roles:
            raise ApiProblem(403, f"partner {self.name!r} does not have the {role!r} role")
        return self


def signed_caller(hotline: Hotline, headers: Mapping[str, str], body: bytes) -> Caller:
    """The partner whose signing secret signed this body recently; 401 otherwise."""
    found: dict[str, Caller] = {}

    def secret_for(key_id: str) -> bytes | None:
        known = _signing_keys(hotline).lookup(hotline, key_id)
        if known is None:
            return None
        found[key_id] = known[0]
        return known[1]

    try:
        key_id = verify(headers, body, secret_for, max_skew_seconds=MAX_SKEW_SECONDS)
    except SignatureError as exc:
        raise ApiProblem(401, f"signature refused: {exc}", headers=_CHALLENGE) from None
    caller = found[key_id]
    bearer = _bearer(headers)
    if bearer is not None:
        # Optional on signed requests, but if sent it must be the same partner's key.
        with hotline.db.sessions() as session:
            other = partner_for_api_key(session, bearer)
        if other is None or other.id != caller.partner_id:
            raise ApiProblem(401, "the API key does not belong to the partner that signed the request",
                             headers=_CHALLENGE)
    return caller


class _SigningKeys:
    """Key id -> (caller, secret), kept for KEY_CACHE_SECONDS.

    Every signed request needs its partner's secret; one query per request cost more than the rest of
    the check. A new partner is looked up at its first request; a removed partner, a changed role or
    secret take effect within KEY_CACHE_SECONDS. Unknown key ids are not remembered.
    """

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.loaded_at = -KEY_CACHE_SECONDS
        self.keys: dict[str, tuple[Caller, bytes]] = {}

    def lookup(self, hotline: Hotline, key_id: str) -> tuple[Caller, bytes] | None:
        with self.lock:
            if time.monotonic() - self.loaded_at >= KEY_CACHE_SECONDS:
                self.keys = self._load(hotline, None)
                self.loaded_at = time.monotonic()
            if key_id not in self.keys:
                self.keys.update(self._load(hotline, key_id))
            return self.keys.get(key_id)

    @staticmethod
    def _load(hotline: Hotline, key_id: str | None) -> dict[str, tuple[Caller, bytes]]:
        query = select(Partner).where(Partner.signing_secret.is_not(None))
        if key_id is not None:
            query = query.where(Partner.key_id == key_id[:100])
        keys: dict[str, tuple[Caller, bytes]] = {}
        with hotline.db.sessions() as session:
            for partner in session.scalars(query):
                try:
                    keys[partner.key_id] = (Caller.of(partner), partner_secret(session, partner, "signing_secret") or b"")
                except VaultError as exc:  # one damaged secret must not stop every other partner
                    log.warning("partner %s: its signing secret does not open: %s", partner.id, exc)
        return keys


_caches: weakref.WeakKeyDictionary[Engine, _SigningKeys] = weakref.WeakKeyDictionary()
_caches_lock = threading.Lock()


def _signing_keys(hotline: Hotline) -> _SigningKeys:
    with _caches_lock:
        return _caches.setdefault(hotline.db.engine, _SigningKeys())


def forget_signing_keys(hotline: Hotline) -> None:
    """Make the next signed request re-read the partners (after adding or removing one)."""
    with _caches_lock:
        _caches.pop(hotline.db.engine, None)


def authenticated_caller(hotline: Hotline, headers: Mapping[str, str], body: bytes = b"") -> Caller:
    """A signature over the body (empty for reads) if one is sent, else the API key (Bearer)."""
    if _header(headers, HEADER_SIGNATURE) is not None:
        return signed_caller(hotline, headers, body)
    bearer = _bearer(headers)
    if bearer is None:
        raise ApiProblem(401, "authentication required: an API key (Authorization: Bearer) or a signature",
                         headers=_CHALLENGE)
    with hotline.db.sessions() as session:
        partner = partner_for_api_key(session, bearer)
        if partner is None:
            raise ApiProblem(401, "the API key is not valid", headers=_CHALLENGE)
        return Caller.of(partner)


def _header(headers: Mapping[str, str], name: str) -> str | None:
    wanted = name.lower()
    for key, value in headers.items():
        if key.lower() == wanted:
            return value
    return None


def _bearer(headers: Mapping[str, str]) -> str | None:
    value = _header(headers, "authorization")
    if value is None:
        return None
    scheme, _, token = value.strip().partition(" ")
    return token.strip() if scheme.lower() == "bearer" and token.strip() else ""


def reading_caller(hotline: Hotline, headers: Mapping[str, str]) -> Caller:
    """A read (no body): signed over an empty body, or the API key."""
    return authenticated_caller(hotline, headers, b"")
