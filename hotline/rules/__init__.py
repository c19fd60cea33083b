"""Jurisdiction rules: where an assessed item is forwarded, and why, in words a person can check.

Pure logic, no database. The triage stage builds `Facts` for one URL, calls `evaluate`, and stores each
`ProposalOut` as a Proposal row (or records `no_forward_reason`).

Public API::

    from hotline.rules import (
        Classification, LegalAssessment, ContentType, SiteType, AgeGroup, Gender,   # taxonomy
        Facts, HostingFacts, CountryStatus, HashMatchFact,                          # input
        RuleSet, default_ruleset, load_ruleset,                                     # rule files
        Directory, Destination, DestinationKind,                                    # partner directory
        evaluate, Evaluation, ProposalOut, RuleTrace,                               # routing
        evaluate_policies, qualifying_decision, PolicyDecision,                     # auto-forward (issue 12)
        explain, explain_policies, evaluation_json, check_file, FileProblems,       # CLI text
        inhope_site_type,                                                           # "file-locker" -> file-host
    )

    ruleset = default_ruleset()                     # or load_ruleset(path); raises FileProblems
    directory = Directory.load([admin_file])        # shipped directory, admin file wins
    facts = Facts(
        classification=Classification(legal="baseline", age_group="pre-pubescent", gender="female"),
        hosting=HostingFacts(country="NL", country_status="known", provider="Example BV"),
    )
    evaluation = evaluate(facts, ruleset, directory)
    evaluation.proposals            # [ProposalOut(destination_id="hotline-nl-offlimits", rule_id=..., reason=...)]
    evaluation.no_forward_reason    # set exactly when there are no proposals
    print(explain(evaluation, title="URL 1: http://..."))   # `hotline rules explain REF`, per URL
    evaluation_json(evaluation)     # dict for --json
    check_file(path)                # [] when fine, else one line per problem: `hotline rules check FILE`

    decisions = evaluate_policies(facts_without_assessment, ruleset, paused=settings_switch)
    decision = qualifying_decision(decisions)   # None: wait for an analyst
    # if decision: record decision.classification as made by policy decision.policy_id (AuditEvent with
    # decision.evidence), then evaluate() with it and approve the proposals automatically.

Semantics (details in engine.py): rules run by priority (lowest first, ties in file order); a matching
rule adds its destinations (a destination is proposed once, by the first rule); `stop = true` ends the
evaluation; a `no_forward` rule closes the item unless forwards were already proposed. Items not yet
assessed only meet rules with no `legal`/`content_type`/`assessed = true` condition. Every result has
proposals or a `no_forward_reason`; `no_forward_rule` names the rule that closed it (None: nothing
applied, e.g. not assessed or not located). Hosting provider notices carry `after="police-clearance"`
and/or `not_before=timedelta` holds: the forwarder must not send before clearance or the delay, whichever
comes first.

`FileProblems.problems` lists one line per problem: ``file:line: rule "id", key when.legal[0]: message``.
Labels for people: ``LegalAssessment.BASELINE.label("ro")``.
"""

from forwarders.base import DestinationKind
from hotline.datafiles import FileProblems
from hotline.rules.directory import Destination, Directory, check_directory_file
from hotline.rules.engine import Evaluation, ProposalOut, RuleTrace, evaluate
from hotline.rules.explain import check_file, evaluation_json, explain, explain_policies
from hotline.rules.facts import CountryStatus, Facts, HashMatchFact, HostingFacts, inhope_site_type
from hotline.rules.policy import PolicyDecision, evaluate_policies, qualifying_decision
from hotline.rules.schema import RuleSet, default_ruleset, load_ruleset
from hotline.rules.taxonomy import AgeGroup, Classification, ContentType, Gender, LegalAssessment, SiteType

__all__ = [
    "AgeGroup", "Classification", "ContentType", "CountryStatus", "Destination",
    "DestinationKind", "Directory", "Evaluation", "Facts", "FileProblems", "Gender", "HashMatchFact",
    "HostingFacts", "LegalAssessment", "PolicyDecision", "ProposalOut", "RuleSet", "RuleTrace", "SiteType",
    "check_directory_file", "check_file", "default_ruleset", "evaluate", "evaluate_policies",
    "evaluation_json", "explain", "explain_policies", "inhope_site_type", "load_ruleset",
    "qualifying_decision",
]
