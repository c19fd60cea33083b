"""The chain itself: appending under the database's write turn, keyed hashes, and checking it all."""

from __future__ import annotations

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hotline.models import AuditEvent, utcnow
from hotline.vault import KEYED_ACTION, AuditKey, VaultError, vault_of

if TYPE_CHECKING:
    from hotline.audit.anchors import Anchor

GENESIS = "0" * 64
_PG_LOCK = 7243001  # the advisory lock every writer of the chain takes on PostgreSQL


def take_write_turn(session: Session) -> None:
    """Make this transaction the database's only writer until it ends, in every process.

    On SQLite, Python's driver opens a transaction only at the first write, so a read of the last event
    followed by an insert could interleave with another process's; `BEGIN IMMEDIATE` takes SQLite's own
    write lock before the read (waiting up to the busy timeout). A transaction that already wrote holds
    that lock already. On PostgreSQL a transaction-scoped advisory lock does the same for the chain."""
    connection = session.connection()
    dialect = connection.dialect.name
    if dialect == "postgresql":
        session.execute(text(f"SELECT pg_advisory_xact_lock({_PG_LOCK})"))
    elif dialect == "sqlite":
        raw = connection.connection.dbapi_connection
        assert raw is not None
        if not raw.in_transaction:
            raw.execute("BEGIN IMMEDIATE")


def _legacy_digest(prev_hash: str, event: AuditEvent) -> str:
    """How versions before the keyed chain hashed (plain SHA-256, no number): kept to check their events."""
    body = json.dumps(
        {"prev": prev_hash, "at": event.at.isoformat(), "actor": event.actor, "action": event.action,
         "subject_type": event.subject_type, "subject_id": event.subject_id, "detail": event.detail},
        sort_keys=True, separators=(",", ":"), default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def _keyed_digest(key: bytes, prev_hash: str, event: AuditEvent) -> str:
    body = json.dumps(
        {"seq": event.id, "prev": prev_hash, "at": event.at.isoformat(), "actor": event.actor,
         "action": event.action, "subject_type": event.subject_type, "subject_id": event.subject_id,
         "detail": event.detail},
        sort_keys=True, separators=(",", ":"), default=str,
    )
    return hmac.new(key, body.encode(), hashlib.sha256).hexdigest()


def _digest(key: AuditKey, prev_hash: str, event: AuditEvent) -> str:
    if event.id <= key.legacy_until:
        return _legacy_digest(prev_hash, event)
    return _keyed_digest(key.key, prev_hash, event)


def key_fingerprint(key: AuditKey) -> str:
    """Names the key in anchors without giving it away: a replaced key shows."""
    return hmac.new(key.key, b"hotline-audit-key-id", hashlib.sha256).hexdigest()[:16]


def _append(session: Session, key: AuditKey, actor: str, action: str, subject_type: str | None,
            subject_id: object, detail: dict[str, Any]) -> AuditEvent:
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    prev_hash = last.hash if last else GENESIS
    event = AuditEvent(
        id=(last.id if last else 0) + 1,  # numbered without gaps: a missing number is a deleted event
        at=utcnow(),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        detail=json.loads(json.dumps(detail, default=str)),
        prev_hash=prev_hash,
    )
    event.hash = _keyed_digest(key.key, prev_hash, event)
    session.add(event)
    session.flush()
    return event


def _key_for_writing(session: Session) -> AuditKey:
    vault = vault_of(session)
    key = vault.audit_key(session)
    if key is None:  # a database upgraded without `hotline init` since: key it now, in this transaction
        key = vault.create_audit_key(session)
        _append(session, key, "system", KEYED_ACTION, None, None,
                {"unkeyed_until": key.legacy_until, "unkeyed_head": key.legacy_head})
    return key


def record(
    session: Session,
    actor: str,
    action: str,
    subject_type: str | None = None,
    subject_id: object = None,
    **detail: Any,
) -> AuditEvent:
    """Append an event in the caller's transaction (so it commits or vanishes with the action)."""
    take_write_turn(session)
    return _append(session, _key_for_writing(session), actor, action, subject_type, subject_id, detail)


def ensure_keyed(session: Session) -> None:
    """Key the chain of this database if it is not yet (`hotline init`, after an upgrade)."""
    take_write_turn(session)
    _key_for_writing(session)


@dataclass
class Problem:
    event_id: int
    message: str


def verify(session: Session, anchors: Iterable[Anchor] = ()) -> list[Problem]:
    """Walk the chain; every edited, inserted or deleted event shows as a problem, and so does an end
    cut off or rewritten since an anchor (`anchors`, from hotline.audit.anchors.read_anchors)."""
    try:
        key = vault_of(session).audit_key(session)
    except VaultError as exc:
        return [Problem(0, str(exc))]
    first = session.scalars(select(AuditEvent).order_by(AuditEvent.id).limit(1)).first()
    if key is None:
        if first is None:
            return []
        return [Problem(first.id, "the audit key is missing from the database, so the log cannot be checked: "
                                  "restore the table sealed_secret from a backup")]
    anchored = {a.sequence: a for a in anchors}
    problems: dict[int, list[str]] = {}
    expected_prev, expected_id, last_id = GENESIS, None, 0
    seen_hashes: dict[int, str] = {}
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        found: list[str] = []
        if event.prev_hash != expected_prev:
            found.append("does not follow the event before it (one was deleted or changed)")
        elif expected_id is not None and event.id > key.legacy_until and event.id != expected_id:
            found.append(f"follows event {expected_id - 1} but is numbered {event.id}")
        if _digest(key, event.prev_hash, event) != event.hash:
            found.append("its content was changed after it was written")
        if event.id == key.legacy_until and event.hash != key.legacy_head:
            found.append("the events written before the log was keyed were rewritten")
        if found:
            problems[event.id] = found
        if event.id in anchored:
            seen_hashes[event.id] = event.hash
        expected_prev, expected_id, last_id = event.hash, event.id + 1, event.id
    if key.legacy_until and first is not None and first.id > key.legacy_until:
        problems.setdefault(first.id, []).append("the events written before the log was keyed were deleted")
    fingerprint = key_fingerprint(key)
    for number, mark in sorted(anchored.items()):
        if mark.key and mark.key != fingerprint:
            problems.setdefault(min(number, last_id), []).append(
                f"the audit key is not the one anchored on {mark.at}: it was replaced")
        elif number > last_id:
            problems.setdefault(last_id, []).append(
                f"the log ends at event {last_id} but event {number} was anchored on {mark.at}: "
                "events were deleted from the end")
        elif number not in seen_hashes:
            problems.setdefault(number, []).append(f"event {number}, anchored on {mark.at}, is missing")
        elif seen_hashes[number] != mark.hash:
            problems.setdefault(number, []).append(
                f"differs from its anchor of {mark.at}: the log was rewritten from here or earlier")
    return [Problem(event_id, "; ".join(messages)) for event_id, messages in sorted(problems.items())]
