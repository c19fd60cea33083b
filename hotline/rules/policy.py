"""Auto-forward policies (issue 12): assess and forward verified known material without an analyst.

A policy qualifies only when it is enabled, policies are not paused, no analyst has assessed the item
yet, and (with `all_media_matched`) every media item on the URL matched a qualifying hash-list entry:
trusted list (when required), one of the named lists (when given), a listed verdict, at or under the
distance radius, with enough analyst confirmations. The decision carries the matches that triggered
it, for the AuditEvent and the item page; the caller records the classification as made by the policy
(never as a person), then runs `evaluate` with it and approves the proposals.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict

from hotline.rules.facts import Facts, HashMatchFact
from hotline.rules.schema import Policy, PolicyWhen, RuleSet
from hotline.rules.taxonomy import Classification


class PolicyDecision(BaseModel):
    model_config = ConfigDict(frozen=True)

    policy_id: str
    qualifies: bool
    why: str
    reason: str  # the policy's plain-language reason, for the record when it qualifies
    classification: Classification | None = None  # set when it qualifies
    evidence: tuple[HashMatchFact, ...] = ()  # the matches that made it qualify


def evaluate_policies(facts: Facts, ruleset: RuleSet, *, paused: bool = False) -> list[PolicyDecision]:
    """One decision per policy in the rule file, in file order."""
    return [_decide(policy, facts, paused) for policy in ruleset.policy]


def qualifying_decision(decisions: list[PolicyDecision]) -> PolicyDecision | None:
    """The first policy that qualifies, if any."""
    return next((decision for decision in decisions if decision.qualifies), None)


def _decide(policy: Policy, facts: Facts, paused: bool) -> PolicyDecision:
    def no(why: str) -> PolicyDecision:
        return PolicyDecision(policy_id=policy.id, qualifies=False, why=why, reason=policy.reason)

    if not policy.enabled:
        return no("policy is off")
    if paused:
        return no("all policies are paused by a supervisor")
    if facts.classification is not None:
        return no("already assessed by an analyst")
    if facts.media_count == 0:
        return no("no media items on the URL")
    evidence = [match for match in facts.hash_matches if _qualifies(match, policy.when)]
    matched = {match.media_ref for match in evidence}
    if not evidence:
        return no(_near_misses(facts.hash_matches, policy.when) or "no qualifying hash-list match")
    if policy.when.all_media_matched and len(matched) < facts.media_count:
        detail = _near_misses(facts.hash_matches, policy.when)
        why = f"only {len(matched)} of {facts.media_count} media items matched a qualifying entry"
        return no(f"{why}; {detail}" if detail else why)
    classification = Classification(
        legal=policy.assess_as, age_group=policy.age_group, gender=policy.gender,
        notes=f"Assessed by policy {policy.id}",
    )
    lists = ", ".join(sorted({match.list_name for match in evidence}))
    worst = max(match.distance for match in evidence)
    why = f"{len(matched)} of {facts.media_count} media items matched {lists} within distance {worst}"
    return PolicyDecision(
        policy_id=policy.id, qualifies=True, why=why, reason=policy.reason,
        classification=classification, evidence=tuple(evidence),
    )


def _qualifies(match: HashMatchFact, when: PolicyWhen) -> bool:
    return not _failures(match, when)


def _failures(match: HashMatchFact, when: PolicyWhen) -> list[str]:
    failures = []
    if when.trusted and not match.trusted:
        failures.append(f"list {match.list_name} is not trusted")
    if when.lists is not None and match.list_name not in when.lists:
        failures.append(f"list {match.list_name} is not one of {', '.join(when.lists)}")
    if match.verdict not in when.verdict:
        failures.append(f"verdict {match.verdict.value}")
    if match.distance > when.max_distance:
        failures.append(f"distance {match.distance} > {when.max_distance}")
    if match.confirmations < when.min_confirmations:
        failures.append(f"{match.confirmations} confirmations < {when.min_confirmations}")
    return failures


def _near_misses(matches: tuple[HashMatchFact, ...], when: PolicyWhen) -> str:
    misses = [f"{match.media_ref}: {', '.join(_failures(match, when))}" for match in matches if _failures(match, when)]
    return "not qualifying: " + "; ".join(misses) if misses else ""
