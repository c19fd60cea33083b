"""Auto-forward policies at work: assess and forward verified known material without an analyst.

The rules decide (hotline.rules.policy, pure, no database); this module acts for one URL waiting in
`triaged` with no assessment yet. When an enabled policy qualifies and policies are not paused, it
records the classification as made by the policy (Assessment.policy = the policy id, assessor NULL:
never a person), regenerates the proposals and approves them, so the forwards are in the outbox, in
one transaction, through the same service analysts use (hotline.triage.assessment). Every decision of an
enabled policy is an AuditEvent on the URL naming the lists, matches and distances behind it; the
workspace's item history shows them. Whatever does not qualify waits for an analyst; its `policy.wait`
event is written again only when the decision or its reasons change, so re-applying the policies to
what still waits does not repeat the same event.

Wiring: the triage stage (hotline/pipeline/triage.py) runs the policies over the rows it has just
proposed for, each URL in its own transaction; `hotline policy apply` runs them over everything still
waiting (e.g. after a pause ends). Supervisors stop them all with one switch (`set_policies_paused`).
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from hotline import audit
from hotline.auth import has_role, unsaved_actor
from hotline.errors import Refused
from hotline.models import (
    Assessment,
    AuditEvent,
    HashList,
    Match,
    ReportedUrl,
    Setting,
    UrlState,
    User,
    put_setting,
)
from hotline.triage.assessment import approve_url, assess, claim_holder
from hotline.triage.facts import build_facts

if TYPE_CHECKING:
    from hotline.app import Hotline
    from hotline.rules import HashMatchFact, PolicyDecision

ACTION_FORWARD = "policy.forward"  # a policy assessed the URL and approved its forwards
ACTION_WAIT = "policy.wait"  # an enabled policy did not qualify: the URL waits for an analyst


@dataclass(frozen=True)
class PolicyOutcome:
    url_id: int
    forwarded: bool
    policy_id: str | None
    why: str
    forward_ids: tuple[int, ...] = field(default=())


def policy_actor(policy_id: str) -> User:
    """Who acts for a policy: a User never stored, so assessor and approver ids stay NULL (not a person)."""
    return unsaved_actor(f"policy:{policy_id}")


def policies_enabled(app: Hotline) -> bool:
    return any(policy.enabled for policy in app.ruleset.policy)


POLICIES_PAUSED = "auto_forward_paused"


def policies_paused(session: Session) -> bool:
    """The supervisors' one switch that stops every auto-forward policy."""
    setting = session.get(Setting, POLICIES_PAUSED)
    return bool(setting and setting.value.get("paused"))


def set_policies_paused(session: Session, actor: User, paused: bool) -> None:
    """Flip that switch; only a supervisor (or admin) may, and the change is audited under their name."""
    if not has_role(actor, "supervisor"):
        raise Refused("only a supervisor can pause or resume the auto-forward policies")
    put_setting(session, POLICIES_PAUSED, {"paused": paused})
    audit.record(session, actor.name, "setting.policies_paused", "setting", POLICIES_PAUSED, paused=paused)


def auto_forward_many(app: Hotline, url_ids: Iterable[int]) -> list[PolicyOutcome]:
    """Apply the policies to each URL in its own transaction; off (no queries at all) unless enabled."""
    if not policies_enabled(app):
        return []
    outcomes = []
    for url_id in url_ids:
        try:
            with app.db.session() as session:
                outcome = auto_forward(app, session, url_id)
        except Refused as exc:
            # Something changed under us (e.g. an analyst claimed it): nothing was written; it waits.
            with app.db.session() as session:
                record_wait(session, "policy", url_id, why=str(exc))
            outcome = PolicyOutcome(url_id, False, None, str(exc))
        if outcome is not None:
            outcomes.append(outcome)
    return outcomes


def waiting_ids(session: Session) -> list[int]:
    """URLs in triaged that nobody (person or policy) has assessed yet."""
    assessed = exists().where(Assessment.reported_url_id == ReportedUrl.id)
    stmt = select(ReportedUrl.id).where(ReportedUrl.state == UrlState.TRIAGED, ~assessed).order_by(ReportedUrl.id)
    return list(session.scalars(stmt))


def auto_forward(app: Hotline, session: Session, url_id: int) -> PolicyOutcome | None:
    """Decide for one URL in the caller's transaction; None when no policy applies to it at all."""
    from hotline.rules import evaluate_policies, qualifying_decision

    row = session.scalar(select(ReportedUrl).where(ReportedUrl.id == url_id).with_for_update())
    if row is None or row.state != UrlState.TRIAGED or row.assessments:
        return None
    enabled = {policy.id for policy in app.ruleset.policy if policy.enabled}
    if not enabled:
        return None
    facts, _provisional = build_facts(app, session, row)
    # A reporter's category is only a provisional classification: for the policies the URL is unassessed.
    facts = facts.model_copy(update={"classification": None})
    decisions = [d for d in evaluate_policies(facts, app.ruleset, paused=policies_paused(session))
                 if d.policy_id in enabled]
    decision = qualifying_decision(decisions)
    if decision is not None and decision.classification is not None:
        blocker = _blocker(app, session, row, facts, decision)
        if blocker is None:
            return _forward(app, session, row, decision)
        decisions = [d.model_copy(update={"qualifies": False, "why": f"{d.why}, but {blocker}"})
                     if d is decision else d for d in decisions]
    for undecided in decisions:
        record_wait(session, f"policy:{undecided.policy_id}", row.id, policy=undecided.policy_id,
                    why=undecided.why, matches=_evidence(session, facts.hash_matches))
    why = "; ".join(f"{d.policy_id}: {d.why}" for d in decisions)
    return PolicyOutcome(row.id, False, None, why)


def record_wait(session: Session, actor: str, url_id: int, **detail: Any) -> AuditEvent | None:
    """Audit that `actor` leaves the URL to an analyst, unless its latest such event says the same already."""
    latest = session.scalars(
        select(AuditEvent)
        .where(AuditEvent.action == ACTION_WAIT, AuditEvent.subject_type == "reported_url",
               AuditEvent.subject_id == str(url_id), AuditEvent.actor == actor)
        .order_by(AuditEvent.id.desc())
        .limit(1)
    ).first()
    # Compare as stored (JSON), so tuples, enums or dates in `detail` match what was written before.
    if latest is not None and latest.detail == json.loads(json.dumps(detail, default=str)):
        return None
    return audit.record(session, actor, ACTION_WAIT, "reported_url", url_id, **detail)


def _blocker(app: Hotline, session: Session, row: ReportedUrl, facts: Any, decision: PolicyDecision) -> str | None:
    """Why a qualifying policy must still leave the URL to an analyst, if anything does."""
    from hotline.rules import evaluate

    if claim_holder(row) is not None:
        return "an analyst has claimed the item"
    routed = evaluate(facts.model_copy(update={"classification": decision.classification}), app.ruleset,
                      app.directory)
    if not routed.proposals:
        return f"the rules propose no forward yet ({routed.no_forward_reason or 'no rule applies'})"
    return None


def _forward(app: Hotline, session: Session, row: ReportedUrl, decision: PolicyDecision) -> PolicyOutcome:
    actor = policy_actor(decision.policy_id)
    assert decision.classification is not None
    audit.record(session, actor.name, ACTION_FORWARD, "reported_url", row.id, policy=decision.policy_id,
                 why=decision.why, reason=decision.reason, evidence=_evidence(session, decision.evidence))
    assessed = assess(app, session, row.id, actor, decision.classification)
    assessed.assessment.policy = decision.policy_id  # made by the policy, not by a person
    session.flush()
    forwards = approve_url(app, session, row.id, actor).forwards
    return PolicyOutcome(row.id, True, decision.policy_id, decision.why, tuple(f.id for f in forwards))


def _evidence(session: Session, matches: Iterable[HashMatchFact]) -> list[dict[str, Any]]:
    """Hash matches as the audit keeps them: media item, list, verdict, distance, confirmations, match ids."""
    evidence = []
    for fact in matches:
        match_ids = list(session.scalars(
            select(Match.id).join(HashList, Match.hash_list_id == HashList.id)
            .where(Match.media_item_id == int(fact.media_ref), HashList.name == fact.list_name,
                   Match.distance == fact.distance)
            .order_by(Match.id)
        )) if fact.media_ref.isdigit() else []
        evidence.append({"media_item_id": fact.media_ref, "list": fact.list_name, "verdict": fact.verdict.value,
                         "trusted": fact.trusted, "distance": fact.distance, "confirmations": fact.confirmations,
                         "match_ids": match_ids})
    return evidence
