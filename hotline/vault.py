"""Secrets at rest: random keys sealed by the master key (hotline.sealing.keyring), kept in the database.

Two keys live here, each one SealedSecret row:

- ``audit``: the HMAC key of the audit chain (hotline.audit), with where the unkeyed part of a log
  written by an older version ends;
- ``columns``: the AES-GCM key of sealed columns: TOTP seeds, partner signing secrets, outbound keys.

The master key never enters the database, so whoever copies or writes the database alone can neither
read those secrets nor recompute the audit chain. A master-key rotation only re-seals these rows
(`reseal`, run by the evidence re-seal job), so every sealed column and every audit event stays readable.

A sealed column value is bound to its table, column and row (associated data): copied into another
row (say, an attacker's own TOTP seed into an admin's row) it does not open.
"""

from __future__ import annotations

import base64
import json
import os
import threading
from collections import Counter
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline.models import AuditEvent, Partner, SealedSecret, User
from hotline.sealing.envelope import EvidenceCryptoError, sealed_key_id

if TYPE_CHECKING:
    from hotline.sealing.keyring import Keyring

AUDIT = "audit"
COLUMNS = "columns"
KEYED_ACTION = "audit.keyed"  # the first keyed event of a log: the key must never silently change after it
_FIELD_MAGIC = b"HLF1"
_TEXT_PREFIX = "hlf1:"
_NONCE = 12


class VaultError(Exception):
    """A sealed secret is missing or does not open; the message says what to do, in one line."""


@dataclass(frozen=True)
class AuditKey:
    key: bytes
    legacy_until: int  # events up to this id were written unkeyed (plain SHA-256) by an older version
    legacy_head: str  # the hash of that event: rewriting the unkeyed part changes it


class Vault:
    """The process's view of the sealed keys; opened keys are kept in memory (they never change)."""

    def __init__(self, keyring: Keyring) -> None:
        self.keyring = keyring
        self._opened: dict[str, dict[str, Any]] = {}
        self._lock = threading.Lock()

    # -- the keys ------------------------------------------------------------------------------------
    def _context(self, name: str) -> bytes:
        return b"hotline-vault:" + name.encode()

    def _get(self, session: Session, name: str) -> dict[str, Any] | None:
        with self._lock:
            if name in self._opened:
                return self._opened[name]
        row = session.get(SealedSecret, name)
        if row is None:
            return None
        try:
            opened = json.loads(self.keyring.open(bytes(row.sealed), context=self._context(name)))
        except (EvidenceCryptoError, ValueError) as exc:
            raise VaultError(f"the sealed {name} key does not open with the master keys held ({exc}); "
                             "restore the keys from your keys backup") from None
        with self._lock:
            self._opened[name] = opened
        return opened  # type: ignore[no-any-return]

    def _create(self, session: Session, name: str, payload: dict[str, Any]) -> dict[str, Any]:
        sealed = self.keyring.seal(json.dumps(payload).encode(), context=self._context(name))
        session.add(SealedSecret(name=name, sealed=sealed))
        session.flush()
        with self._lock:
            self._opened[name] = payload
        return payload

    def forget(self) -> None:
        """Drop the opened keys (after a restore, or in tests that change the database underneath)."""
        with self._lock:
            self._opened.clear()

    def audit_key(self, session: Session) -> AuditKey | None:
        opened = self._get(session, AUDIT)
        if opened is None:
            return None
        return AuditKey(base64.b64decode(opened["key"]), int(opened["legacy_until"]), str(opened["legacy_head"]))

    def create_audit_key(self, session: Session) -> AuditKey:
        """A new audit key; the events written so far stay verifiable as they are (unkeyed).

        Refused when the log already has keyed events: a lost key must come back from a backup, or an
        attacker who deleted it could have the whole log re-chained without a key and called old."""
        if session.scalar(select(AuditEvent.id).where(AuditEvent.action == KEYED_ACTION).limit(1)) is not None:
            raise VaultError("the audit log is keyed but its key is missing from the database: restore the "
                             "database (table sealed_secret) from a backup; `hotline audit verify` cannot check it")
        last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
        payload = {"key": base64.b64encode(os.urandom(32)).decode(), "legacy_until": last.id if last else 0,
                   "legacy_head": last.hash if last else ""}
        opened = self._create(session, AUDIT, payload)
        return AuditKey(base64.b64decode(opened["key"]), int(opened["legacy_until"]), str(opened["legacy_head"]))

    def _column_key(self, session: Session, create: bool) -> bytes:
        opened = self._get(session, COLUMNS)
        if opened is None:
            if not create:
                raise VaultError("the key of sealed columns is missing from the database: restore the database "
                                 "from a backup (table sealed_secret)")
            opened = self._create(session, COLUMNS, {"key": base64.b64encode(os.urandom(32)).decode()})
        return base64.b64decode(opened["key"])

    # -- sealed columns ------------------------------------------------------------------------------
    def seal_bytes(self, session: Session, plaintext: bytes, binding: str) -> bytes:
        nonce = os.urandom(_NONCE)
        key = self._column_key(session, create=True)
        return _FIELD_MAGIC + nonce + AESGCM(key).encrypt(nonce, plaintext, binding.encode())

    def open_bytes(self, session: Session, sealed: bytes, binding: str) -> bytes:
        if not is_sealed_bytes(sealed):
            raise VaultError(f"{binding} is not sealed; run `hotline init` to seal the secrets stored in the clear")
        nonce = sealed[len(_FIELD_MAGIC):len(_FIELD_MAGIC) + _NONCE]
        try:
            return AESGCM(self._column_key(session, create=False)).decrypt(
                nonce, sealed[len(_FIELD_MAGIC) + _NONCE:], binding.encode())
        except InvalidTag:
            raise VaultError(f"{binding} does not open: it was changed or copied from another row") from None

    def seal_text(self, session: Session, plaintext: str, binding: str) -> str:
        return _TEXT_PREFIX + base64.b64encode(self.seal_bytes(session, plaintext.encode(), binding)).decode()

    def open_text(self, session: Session, sealed: str, binding: str) -> str:
        if not sealed.startswith(_TEXT_PREFIX):
            raise VaultError(f"{binding} is not sealed; run `hotline init` to seal the secrets stored in the clear")
        return self.open_bytes(session, base64.b64decode(sealed[len(_TEXT_PREFIX):]), binding).decode()

    # -- the master key's view -----------------------------------------------------------------------
    def key_usage(self, session: Session) -> Counter[str]:
        """How many sealed keys each master key (hex id) sealed."""
        counts: Counter[str] = Counter()
        for sealed in session.scalars(select(SealedSecret.sealed)):
            try:
                counts[sealed_key_id(bytes(sealed)).hex()] += 1
            except EvidenceCryptoError:
                continue
        return counts

    def reseal(self, session: Session) -> int:
        """Seal every key again under the current master key (after a rotation); how many changed."""
        current = self.keyring.current.id
        changed = 0
        for row in session.scalars(select(SealedSecret)):
            if sealed_key_id(bytes(row.sealed)) == current:
                continue
            plain = self.keyring.open(bytes(row.sealed), context=self._context(row.name))
            row.sealed = self.keyring.seal(plain, context=self._context(row.name))
            changed += 1
        return changed


def is_sealed_bytes(value: bytes) -> bool:
    return value.startswith(_FIELD_MAGIC) and len(value) > len(_FIELD_MAGIC) + _NONCE + 16


def vault_of(session: Session) -> Vault:
    """The vault of the app whose database made this session (hotline.app puts itself in session.info)."""
    app = session.info.get("hotline")
    if app is None:
        raise VaultError("this database session has no hotline app: make sessions with app.db")
    vault: Vault = app.vault
    return vault


# -- the sealed columns, by name: one place says how each is bound -----------------------------------------
def totp_binding(user: User) -> str:
    return f"user.totp_secret:{user.id}"


def partner_binding(partner: Partner, column: str) -> str:
    return f"partner.{column}:{partner.id}"


def seal_plain_columns(session: Session) -> int:
    """Seal the secrets an older version stored in the clear (`hotline init` runs this); how many."""
    vault = vault_of(session)
    count = 0
    for user in session.scalars(select(User).where(User.totp_secret.is_not(None))):
        if user.totp_secret and not user.totp_secret.startswith(_TEXT_PREFIX):
            user.totp_secret = vault.seal_text(session, user.totp_secret, totp_binding(user))
            count += 1
    for partner in session.scalars(select(Partner)):
        for column in ("signing_secret", "outbound_secret"):
            value = getattr(partner, column)
            if value and not is_sealed_bytes(bytes(value)):
                setattr(partner, column, vault.seal_bytes(session, bytes(value), partner_binding(partner, column)))
                count += 1
        if partner.outbound_api_key and not partner.outbound_api_key.startswith(_TEXT_PREFIX):
            partner.outbound_api_key = vault.seal_text(session, partner.outbound_api_key,
                                                       partner_binding(partner, "outbound_api_key"))
            count += 1
    return count


def ensure_column_key(session: Session) -> None:
    """Create the key of sealed columns if this database has none yet (`hotline init`)."""
    vault_of(session)._column_key(session, create=True)
