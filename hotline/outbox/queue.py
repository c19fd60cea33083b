"""Approved proposal -> Forward row (the outbox), in the caller's transaction.

The delivery worker sends what this writes; nothing here touches the network. The channel and
address are fixed now (from the proposal, the partner directory, the Partner table or the hosting
record's abuse contact; channels are hotline.outbox.channels') so analysts see where a forward will go
before it is sent. Before each attempt the worker (and `retry`) takes a directory destination's address
from the directory as it is then, so a corrected address is used (`readdress`, audited).
"""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.models import Assessment, Forward, Hosting, Proposal, utcnow
from hotline.outbox.channels import PARTNER_API, X_ARF, choose, partner_for, usable
from hotline.rules.directory import Directory

ACTOR = "outbox"
# The rule name of a follow-up notice (a re-notice) to a recipient whose content is still online.
RENOTICE_RULE = "re-notice"

# Forward states. "held" waits for a person (police clearance) before it becomes "queued".
QUEUED, SENDING, DELIVERED, FAILED, HELD = "queued", "sending", "delivered", "failed", "held"


@dataclass(frozen=True)
class Contact:
    channel: str
    address: str | None


def new_idempotency_key() -> str:
    """Random, so a reinstalled hotline (ids start again at 1) never repeats a key a partner has seen."""
    return f"fwd-{uuid.uuid4()}"


def enqueue(
    session: Session,
    proposal: Proposal,
    *,
    directory: Directory | None = None,
    hosting: Hosting | None = None,
    assessment: Assessment | None = None,
    actor: str = ACTOR,
    now: datetime | None = None,
    idempotency_key: str | None = None,
) -> Forward:
    """Write the Forward for an approved `proposal` (flushed, audited, not committed)."""
    now = now or utcnow()
    contact = resolve_contact(session, proposal.destination, proposal.destination_kind,
                              proposal.channel, proposal.address, directory, hosting)
    held = proposal.not_before is None and _names_clearance(proposal.condition)
    forward = Forward(
        reported_url_id=proposal.reported_url_id,
        proposal_id=proposal.id,
        destination=proposal.destination,
        destination_kind=proposal.destination_kind,
        channel=contact.channel,
        address=contact.address,
        idempotency_key=idempotency_key or new_idempotency_key(),
        # A hold with no time limit ("after police clearance") waits for `release`; one with a
        # delay simply becomes due then ("whichever comes first": release makes it due earlier).
        state=HELD if held else QUEUED,
        attempts=0,
        next_attempt_at=proposal.not_before or now,
        payload={
            "assessment_id": assessment.id if assessment is not None else None,
            "rule": proposal.rule,
            "hold": proposal.condition,
        },
        created_at=now,
        escalation_of_id=_escalated_notice(session, proposal),
    )
    session.add(forward)
    session.flush()
    audit.record(session, actor, "forward.queued", "forward", forward.id, reported_url_id=forward.reported_url_id,
                 destination=forward.destination, channel=forward.channel, state=forward.state,
                 idempotency_key=forward.idempotency_key, escalation_of_id=forward.escalation_of_id)
    return forward


def follow_up(session: Session, forward: Forward, now: datetime) -> Forward:
    """Queue a re-notice of a delivered `forward` to the same recipient, by the same channel, at once.

    Its idempotency key derives from the original's (a repeat is the same follow-up), and
    `escalation_of_id` names the notice it follows up. Flushed, audited, not committed.
    """
    follow = Forward(
        reported_url_id=forward.reported_url_id,
        destination=forward.destination,
        destination_kind=forward.destination_kind,
        channel=forward.channel,
        address=forward.address,
        idempotency_key=f"{forward.idempotency_key}-renotice",
        state=QUEUED,
        next_attempt_at=now,
        payload={**(forward.payload or {}), "renotice": True, "original_forward_id": forward.id,
                 "original_delivered_at": forward.delivered_at.isoformat() if forward.delivered_at else None},
        escalation_of_id=forward.id,
        created_at=now,
    )
    session.add(follow)
    session.flush()
    audit.record(session, ACTOR, "forward.queued", "forward", follow.id, reported_url_id=follow.reported_url_id,
                 destination=follow.destination, channel=follow.channel, state=follow.state,
                 idempotency_key=follow.idempotency_key, escalation_of_id=follow.escalation_of_id)
    return follow


def _escalated_notice(session: Session, proposal: Proposal) -> int | None:
    """For an approved re-notice: the latest notice already delivered to that destination, which it follows up."""
    if proposal.rule != RENOTICE_RULE:
        return None
    return session.scalar(
        select(Forward.id)
        .where(Forward.reported_url_id == proposal.reported_url_id, Forward.destination == proposal.destination,
               Forward.delivered_at.is_not(None))
        .order_by(Forward.delivered_at.desc(), Forward.id.desc())
        .limit(1)
    )


def _names_clearance(hold: str | None) -> bool:
    # The rules' hold texts: "after police clearance" (no limit) or "..., or after 72 h at the latest".
    return bool(hold) and "clearance" in str(hold) and "at the latest" not in str(hold)


def awaits_clearance(forward: Forward) -> bool:
    """A forward that must wait until a person records police clearance (`release`)."""
    payload = forward.payload or {}
    return _names_clearance(payload.get("hold")) and not payload.get("released_at")


def readdress(session: Session, forward: Forward, directory: Directory | None, actor: str = ACTOR) -> bool:
    """Point a forward to a directory destination at the address the directory gives now (an admin may
    have corrected it since the forward was queued); audited. True when the address changed."""
    known = directory.get(forward.destination) if directory is not None else None
    address = usable(known.endpoint) if known is not None else None
    if address is None or address == forward.address:
        return False
    before = forward.address
    forward.address = address
    forward.channel = choose(forward.channel, forward.destination_kind, address)
    audit.record(session, actor, "forward.readdressed", "forward", forward.id, reported_url_id=forward.reported_url_id,
                 destination=forward.destination, address_before=before, address=address, channel=forward.channel)
    return True


def resolve_contact(
    session: Session,
    destination: str,
    destination_kind: str,
    channel: str | None,
    address: str | None,
    directory: Directory | None = None,
    hosting: Hosting | None = None,
) -> Contact:
    """The channel the worker will use and where to (a channel of hotline.outbox.channels)."""
    address = usable(address)
    if address is None and directory is not None:
        known = directory.get(destination)
        if known is not None:
            channel = channel or known.channel
            address = usable(known.endpoint)
    if channel in (None, PARTNER_API) and destination_kind == "hotline":
        partner = partner_for(session, destination, address)
        if partner is not None:
            return Contact(PARTNER_API, usable(partner.endpoint) or address)
    if address is None and destination_kind in ("hosting-provider", "cdn") and hosting and hosting.abuse_email:
        channel, address = channel or X_ARF, hosting.abuse_email
    return Contact(choose(channel, destination_kind, address), address)
