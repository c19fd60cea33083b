"""Evaluating a rule set against the facts of one URL: proposals, or an explicit reason not to forward.

Order and precedence:
- rules are considered by priority (lowest first; equal priorities keep file order);
- a matching rule adds its destinations; a destination already proposed is not proposed twice
  (the earlier rule keeps it);
- `stop = true` on a matching rule ends the evaluation;
- a matching `no_forward` rule closes the item and ends the evaluation, unless earlier rules already
  proposed forwards: then it is recorded as overruled and evaluation goes on.
An item that is not yet assessed only meets rules that need no classification (no `legal`,
`content_type` or `assessed = true` condition); when nothing applies its no-forward reason says it waits
for an analyst.
"""

from __future__ import annotations

from datetime import timedelta

from pydantic import BaseModel, ConfigDict

from forwarders.base import DestinationKind
from hotline.rules.conditions import check_when, country_name
from hotline.rules.directory import Directory
from hotline.rules.facts import Facts
from hotline.rules.routes import Target, Unresolved, resolve
from hotline.rules.schema import Rule, RuleSet, Then

POLICE_CLEARANCE = "police-clearance"


class ProposalOut(BaseModel):
    """One proposed forward; the pipeline stores it as a Proposal row."""

    model_config = ConfigDict(frozen=True)

    destination_id: str
    destination_kind: DestinationKind
    destination_name: str
    channel: str | None  # the directory's; None: the outbox picks one by kind and address
    endpoint: str | None  # None: no contact known yet; the analyst must supply one
    rule_id: str
    reason: str
    after: str | None = None  # "police-clearance": hold until the police clear it
    not_before: timedelta | None = None  # hold at most this long (with `after`: whichever comes first)

    @property
    def hold(self) -> str | None:
        return hold_text(self.after, self.not_before)


class RuleTrace(BaseModel):
    model_config = ConfigDict(frozen=True)

    rule_id: str
    matched: bool
    why: str
    considered: bool = True  # False: an earlier rule stopped the evaluation before this one


class Evaluation(BaseModel):
    """Either at least one proposal or a no-forward reason, plus how every rule was judged."""

    model_config = ConfigDict(frozen=True)

    proposals: list[ProposalOut]
    no_forward_reason: str | None
    no_forward_rule: str | None  # the rule that closed the item; None when nothing applied
    trace: list[RuleTrace]


def hold_text(after: str | None, delay: timedelta | None) -> str | None:
    if after == POLICE_CLEARANCE and delay:
        return f"after police clearance, or after {format_delay(delay)} at the latest"
    if after == POLICE_CLEARANCE:
        return "after police clearance"
    if delay:
        return f"after {format_delay(delay)}"
    return None


def format_delay(delay: timedelta) -> str:
    minutes = int(delay.total_seconds() // 60)
    if minutes % 60:
        return f"{minutes} minutes"
    hours = minutes // 60
    return "1 hour" if hours == 1 else f"{hours} hours"


def evaluate(facts: Facts, ruleset: RuleSet, directory: Directory) -> Evaluation:
    proposals: list[ProposalOut] = []
    trace: list[RuleTrace] = []
    closed_by: Rule | None = None
    rules = ruleset.ordered_rules()
    for position, rule in enumerate(rules):
        checks = check_when(rule.when, facts, directory)
        failed = [check.why for check in checks if not check.passed]
        if failed:
            trace.append(RuleTrace(rule_id=rule.id, matched=False, why="; ".join(failed)))
            continue
        conditions = "; ".join(check.why for check in checks) or "no conditions"
        if rule.no_forward:
            if proposals:
                trace.append(RuleTrace(rule_id=rule.id, matched=True, why=f"{conditions}; overruled: "
                                       "earlier rules already proposed forwards, so the item is not closed"))
                if rule.stop:
                    _skip_rest(trace, rules[position + 1:], rule)
                    break
                continue
            trace.append(RuleTrace(rule_id=rule.id, matched=True, why=f"{conditions}; closes the item"))
            closed_by = rule
            _skip_rest(trace, rules[position + 1:], rule)
            break
        notes = _add_proposals(rule, facts, directory, proposals)
        trace.append(RuleTrace(rule_id=rule.id, matched=True, why="; ".join([conditions, *notes])))
        if rule.stop:
            _skip_rest(trace, rules[position + 1:], rule)
            break
    if closed_by is not None:
        reason = render(closed_by.reason, facts, directory, None, None)
        return Evaluation(proposals=[], no_forward_reason=reason, no_forward_rule=closed_by.id, trace=trace)
    no_forward = None if proposals else _nothing_applied(facts)
    return Evaluation(proposals=proposals, no_forward_reason=no_forward, no_forward_rule=None, trace=trace)


def _add_proposals(rule: Rule, facts: Facts, directory: Directory, proposals: list[ProposalOut]) -> list[str]:
    """Append the rule's proposals; return notes for the trace (skipped or unresolved destinations)."""
    notes = []
    for then in rule.then:
        try:
            target = resolve(then.to, facts, directory)
        except Unresolved as exc:
            notes.append(f"{then.to}: not proposed, {exc}")
            continue
        earlier = next((p for p in proposals if p.destination_id == target.id), None)
        if earlier is not None:
            notes.append(f"{target.id}: already proposed by rule {earlier.rule_id}")
            continue
        proposals.append(_proposal(rule, then, target, facts, directory))
        notes.append(f"proposes {target.name} ({target.id})")
    return notes


def _proposal(rule: Rule, then: Then, target: Target, facts: Facts, directory: Directory) -> ProposalOut:
    return ProposalOut(
        destination_id=target.id,
        destination_kind=target.kind,
        destination_name=target.name,
        channel=target.channel,
        endpoint=target.endpoint,
        rule_id=rule.id,
        reason=render(then.reason or rule.reason, facts, directory, target, then),
        after=then.after,
        not_before=then.delay,
    )


def render(template: str, facts: Facts, directory: Directory, target: Target | None, then: Then | None) -> str:
    """Fill a reason template; unknown facts read as plain words, never as "None"."""
    hosting = facts.hosting
    partner = directory.partner_for_country(hosting.country) if hosting.country else None
    classification = facts.classification
    values = {
        "country": hosting.country or "unknown",
        "country_name": country_name(hosting.country),
        "our_country": facts.our_country,
        "our_country_name": country_name(facts.our_country),
        "destination": target.id if target else "none",
        "destination_name": target.name if target else "none",
        "partner_name": partner.name if partner else "no INHOPE member hotline",
        "platform": hosting.platform or "an unrecognised platform",
        "cdn": hosting.cdn or "a CDN",
        "provider": hosting.provider or "(provider not known)",
        "abuse_email": hosting.abuse_email or "(no abuse contact known)",
        "legal": classification.legal.label() if classification else "not assessed",
        "hold": (hold_text(then.after, then.delay) if then else None) or "now",
    }
    return template.format(**values)


def _skip_rest(trace: list[RuleTrace], rest: list[Rule], stopper: Rule) -> None:
    for rule in rest:
        why = f"not considered: rule {stopper.id} matched and stops the evaluation"
        trace.append(RuleTrace(rule_id=rule.id, matched=False, why=why, considered=False))


def _nothing_applied(facts: Facts) -> str:
    if facts.classification is None:
        return "Not assessed yet: no rule applies before an analyst assesses the content."
    if not facts.hosting.located:
        return "Hosting location unknown: no rule applies until the host is located."
    return "No rule applies to this item: an analyst decides where it goes."
