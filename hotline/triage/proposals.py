"""Proposals: where the rules say a URL goes, each with rule and reason, kept as Proposal rows."""

from __future__ import annotations

from typing import TYPE_CHECKING

from sqlalchemy.orm import Session

from hotline.models import Proposal, ReportedUrl, utcnow
from hotline.outbox.channels import choose
from hotline.triage.facts import Prefetched, build_facts

if TYPE_CHECKING:
    from hotline.app import Hotline
    from hotline.rules import Evaluation


def propose(app: Hotline, session: Session, row: ReportedUrl, known: Prefetched | None = None,
            *, flush: bool = True) -> Evaluation:
    """Replace the row's pending proposals with what the rules say now (in the caller's transaction).

    A caller proposing for a batch passes what it read for all of it (`known`) and flushes once itself."""
    from hotline.rules import evaluate

    facts, provisional = build_facts(app, session, row, known)
    evaluation = evaluate(facts, app.ruleset, app.directory)
    for old in row.proposals:
        if old.state == "pending":
            old.state = "superseded"
    now = utcnow()
    for out in evaluation.proposals:
        reason = provisional + out.reason if provisional else out.reason
        row.proposals.append(
            Proposal(
                destination=out.destination_id,
                destination_kind=str(out.destination_kind),
                rule=out.rule_id,
                reason=reason,
                # What the outbox will send it by, shown before approval (None: not known yet).
                channel=choose(out.channel, str(out.destination_kind), out.endpoint)
                if out.channel or out.endpoint else None,
                address=out.endpoint,
                condition=out.hold,
                not_before=now + out.not_before if out.not_before else None,
            )
        )
    if not evaluation.proposals:
        row.state_reason = evaluation.no_forward_reason
    if flush:
        session.flush()
    return evaluation


def propose_follow_up(session: Session, row: ReportedUrl, *, destination: str, destination_kind: str,
                      channel: str | None, address: str | None, rule: str, reason: str) -> Proposal:
    """A proposal to notify a recipient again (takedown monitoring asks when content stays online)."""
    proposal = Proposal(reported_url_id=row.id, destination=destination, destination_kind=destination_kind,
                        rule=rule, reason=reason, channel=channel, address=address, state="pending",
                        created_at=utcnow())
    session.add(proposal)
    session.flush()
    return proposal
