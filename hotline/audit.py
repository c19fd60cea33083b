"""The audit log: append-only, each event chained to the previous one by its hash.

Editing or deleting any event breaks the chain from that point, and `verify` says where.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select, text
from sqlalchemy.orm import Session

from hotline.models import AuditEvent, utcnow

GENESIS = "0" * 64


def _digest(prev_hash: str, event: AuditEvent) -> str:
    body = json.dumps(
        {
            "prev": prev_hash,
            "at": event.at.isoformat(),
            "actor": event.actor,
            "action": event.action,
            "subject_type": event.subject_type,
            "subject_id": event.subject_id,
            "detail": event.detail,
        },
        sort_keys=True,
        separators=(",", ":"),
        default=str,
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    session: Session,
    actor: str,
    action: str,
    subject_type: str | None = None,
    subject_id: object = None,
    **detail: Any,
) -> AuditEvent:
    """Append an event in the caller's transaction (so it commits or vanishes with the action)."""
    if session.bind is not None and session.bind.dialect.name == "postgresql":
        # Serialise writers so two events never chain to the same predecessor.
        session.execute(text("SELECT pg_advisory_xact_lock(7243001)"))
    last = session.scalars(select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)).first()
    prev_hash = last.hash if last else GENESIS
    event = AuditEvent(
        at=utcnow(),
        actor=actor,
        action=action,
        subject_type=subject_type,
        subject_id=None if subject_id is None else str(subject_id),
        detail=json.loads(json.dumps(detail, default=str)),
        prev_hash=prev_hash,
    )
    event.hash = _digest(prev_hash, event)
    session.add(event)
    session.flush()
    return event


@dataclass
class Problem:
    event_id: int
    message: str


def verify(session: Session) -> list[Problem]:
    """Walk the chain; every edited, inserted or deleted event shows as a problem."""
    problems: list[Problem] = []
    expected_prev = GENESIS
    for event in session.scalars(select(AuditEvent).order_by(AuditEvent.id)).yield_per(1000):
        if event.prev_hash != expected_prev:
            problems.append(Problem(event.id, "does not follow the event before it (one was deleted or changed)"))
        if _digest(event.prev_hash, event) != event.hash:
            problems.append(Problem(event.id, "its content was changed after it was written"))
        expected_prev = event.hash
    return problems
