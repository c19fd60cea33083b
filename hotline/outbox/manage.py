"""What people do with forwards: list them, re-queue a failed one, release a held one, and record
one a person sent by hand (a destination with no automatic channel)."""

from __future__ import annotations

import json
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.models import Forward, utcnow
from hotline.outbox.channels import needs_a_person
from hotline.outbox.queue import DELIVERED, FAILED, HELD, QUEUED, readdress
from hotline.outbox.worker import record_first_delivery
from hotline.rules.directory import Directory

STATES = ("queued", "sending", "delivered", "failed", "held")


class ForwardRefused(Exception):
    """The action does not apply to this forward; the message says why in one line."""


def list_forwards(session: Session, state: str | None = None, limit: int = 500) -> list[dict[str, Any]]:
    if state is not None and state not in STATES:
        raise ForwardRefused(f"unknown state {state!r}; use one of {', '.join(STATES)}")
    stmt = select(Forward).order_by(Forward.id.desc()).limit(limit)
    if state is not None:
        stmt = stmt.where(Forward.state == state)
    return [forward_view(f) for f in session.scalars(stmt)]


def forward_view(forward: Forward) -> dict[str, Any]:
    receipt = _receipt(forward.receipt)
    return {
        "id": forward.id,
        "reported_url_id": forward.reported_url_id,
        "destination": forward.destination,
        "destination_kind": forward.destination_kind,
        "channel": forward.channel,
        "address": forward.address,
        "state": forward.state,
        "attempts": forward.attempts,
        "next_attempt_at": forward.next_attempt_at.isoformat(),
        "last_error": forward.last_error,
        "receipt": receipt.get("id") if receipt else None,
        "duplicate": bool(receipt.get("duplicate")) if receipt else False,
        "idempotency_key": forward.idempotency_key,
        "created_at": forward.created_at.isoformat(),
        "delivered_at": forward.delivered_at.isoformat() if forward.delivered_at else None,
    }


def retry_forward(session: Session, forward_id: int, actor: str, directory: Directory | None = None) -> Forward:
    """Queue a failed forward again, due now, with a fresh maximum-age window (same idempotency key), to
    the address the partner directory gives now when it names the destination."""
    forward = _get(session, forward_id)
    if forward.state != FAILED:
        raise ForwardRefused(f"forward {forward_id} is {forward.state}; only a failed forward can be retried")
    readdress(session, forward, directory, actor)
    now = utcnow()
    forward.state, forward.next_attempt_at = QUEUED, now
    forward.payload = {**(forward.payload or {}), "requeued_at": now.isoformat()}
    audit.record(session, actor, "forward.requeued", "forward", forward.id,
                 reported_url_id=forward.reported_url_id, last_error=forward.last_error)
    return forward


def release_forward(session: Session, forward_id: int, actor: str) -> Forward:
    """Police clearance given: a held (or delayed) forward becomes due now."""
    forward = _get(session, forward_id)
    if forward.state not in (HELD, QUEUED):
        raise ForwardRefused(f"forward {forward_id} is {forward.state}; only a held or queued one can be released")
    now = utcnow()
    forward.state, forward.next_attempt_at = QUEUED, min(forward.next_attempt_at, now)
    forward.payload = {**(forward.payload or {}), "released_at": now.isoformat()}
    audit.record(session, actor, "forward.released", "forward", forward.id,
                 reported_url_id=forward.reported_url_id)
    return forward


def record_sent_by_hand(session: Session, forward_id: int, actor: str, note: str,
                        now: datetime | None = None) -> Forward:
    """A person sent a manual forward themselves: mark it delivered with their note as the receipt.

    Only a forward the worker cannot send (channel manual) that is queued or failed; the follow-on
    effects are those of an automatic delivery (first delivery, takedown monitoring).
    """
    note = note.strip()
    if not note:
        raise ForwardRefused("say how it was sent (the note), e.g. the web form's confirmation number")
    forward = _get(session, forward_id)
    if not needs_a_person(forward):
        raise ForwardRefused(f"forward {forward_id} goes out by {forward.channel}; only a manual forward "
                             "can be recorded as sent by hand")
    if forward.state not in (QUEUED, FAILED):
        raise ForwardRefused(f"forward {forward_id} is {forward.state}; only a queued or failed manual forward "
                             "can be recorded as sent by hand")
    now = now or utcnow()
    forward.state, forward.delivered_at, forward.next_attempt_at = DELIVERED, now, now
    forward.receipt, forward.last_error = note, None
    audit.record(session, actor, "forward.sent-by-hand", "forward", forward.id,
                 reported_url_id=forward.reported_url_id, destination=forward.destination, note=note)
    record_first_delivery(session, forward, now)
    return forward


def _get(session: Session, forward_id: int) -> Forward:
    forward = session.get(Forward, forward_id, with_for_update=True)
    if forward is None:
        raise ForwardRefused(f"there is no forward {forward_id}")
    return forward


def _receipt(text: str | None) -> dict[str, Any] | None:
    if not text:
        return None
    try:
        value = json.loads(text)
    except ValueError:
        return {"id": text[:100]}
    return value if isinstance(value, dict) else {"id": str(value)}
