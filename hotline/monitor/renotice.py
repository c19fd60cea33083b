"""Re-notices: content still up long after a notice was delivered gets a follow-up to the same recipient.

Whether the follow-up is only proposed (an analyst approves it, rule "re-notice") or queued for sending
at once depends on the destination kind (MonitorOptions); either way the follow-up Forward carries
`escalation_of_id`, the notice it follows up. Each delivered notice is followed up once; every
escalation is in the audit log.
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.models import Forward, Proposal, ReportedUrl
from hotline.monitor.options import MonitorOptions
from hotline.outbox import RENOTICE_RULE as RULE
from hotline.outbox import follow_up
from hotline.triage.proposals import propose_follow_up

ACTOR = "monitor"


def renotice(session: Session, row: ReportedUrl, now: datetime, options: MonitorOptions) -> list[Forward | Proposal]:
    """Follow up every notice to this URL delivered at least `renotice_after` ago and not followed up yet."""
    made: list[Forward | Proposal] = []
    for forward in _overdue(session, row, now, options):
        if _followed_up(session, forward):
            continue
        if forward.destination_kind in options.renotice_send_kinds:
            made.append(_send(session, forward, now))
        else:
            made.append(_propose(session, forward, now))
    return made


def _overdue(session: Session, row: ReportedUrl, now: datetime, options: MonitorOptions) -> list[Forward]:
    # A forward made by approving a re-notice proposal is itself a follow-up: it is not followed up again.
    follow_ups = select(Proposal.id).where(Proposal.reported_url_id == row.id, Proposal.rule == RULE)
    return list(session.scalars(
        select(Forward)
        .where(Forward.reported_url_id == row.id, Forward.escalation_of_id.is_(None),
               or_(Forward.proposal_id.is_(None), Forward.proposal_id.not_in(follow_ups)),
               Forward.delivered_at.is_not(None), Forward.delivered_at <= now - options.renotice_after,
               Forward.destination_kind.in_(sorted(options.renotice_kinds)))
        .order_by(Forward.id)
    ))


def _followed_up(session: Session, forward: Forward) -> bool:
    escalated = session.scalar(select(Forward.id).where(Forward.escalation_of_id == forward.id).limit(1))
    if escalated is not None:
        return True
    assert forward.delivered_at is not None
    proposed = session.scalar(
        select(Proposal.id).where(Proposal.reported_url_id == forward.reported_url_id, Proposal.rule == RULE,
                                  Proposal.destination == forward.destination,
                                  Proposal.created_at >= forward.delivered_at).limit(1)
    )
    return proposed is not None


def _reason(forward: Forward, now: datetime) -> str:
    assert forward.delivered_at is not None
    hours = (now - forward.delivered_at).total_seconds() / 3600
    return (f"Still online {hours:.0f} h after the notice to {forward.destination} was delivered "
            f"({forward.delivered_at:%Y-%m-%d %H:%M} UTC): send a follow-up notice.")


def _send(session: Session, forward: Forward, now: datetime) -> Forward:
    queued = follow_up(session, forward, now)
    audit.record(session, ACTOR, "takedown.renotice", "reported_url", forward.reported_url_id, mode="sent",
                 forward_id=queued.id, escalation_of_id=forward.id, destination=forward.destination,
                 reason=_reason(forward, now))
    return queued


def _propose(session: Session, forward: Forward, now: datetime) -> Proposal:
    proposal = propose_follow_up(session, forward.reported_url, destination=forward.destination,
                                 destination_kind=forward.destination_kind, channel=forward.channel,
                                 address=forward.address, rule=RULE, reason=_reason(forward, now))
    audit.record(session, ACTOR, "takedown.renotice", "reported_url", forward.reported_url_id, mode="proposed",
                 proposal_id=proposal.id, escalation_of_id=forward.id, destination=forward.destination,
                 reason=proposal.reason)
    return proposal
