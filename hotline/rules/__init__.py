"""Jurisdiction rules: where an assessed item is forwarded, and why, in words a person can check.

Pure logic, no database. The triage stage builds `Facts` for one URL, calls `evaluate`, and stores each
`ProposalOut` as a Proposal row (or records `no_forward_reason`).

Public API::

    from hotline.rules import (
        Classification, LegalAssessment, ContentType, SiteType, AgeGroup, Gender,   # taxonomy
        Facts, HostingFacts, CountryStatus, HashMatchFact,                          # input
        RuleSet, default_ruleset, load_ruleset,                                     # rule files
        Directory, Destination, DestinationKind, ChannelKind,                       # partner directory
        evaluate, Evaluation, ProposalOut, RuleTrace,                               # routing
        evaluate_policies, qualifying_decision, PolicyDecision,                     # auto-forward (issue 12)
        explain, evaluation_json, check_file, FileProblems,                         # CLI text
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

`FileProblems.problems` lists one line per problem: ``file:line: rule "id", key when.legal[0]: message``.
Labels for people: ``LegalAssessment.BASELINE.label("ro")``.
"""

from hotline.rules.directory import ChannelKind, Destination, DestinationKind, Directory, check_directory_file
from hotline.rules.engine import Evaluation, ProposalOut, RuleTrace, evaluate
from hotline.rules.explain import check_file, evaluation_json, explain
from hotline.rules.facts import CountryStatus, Facts, HashMatchFact, HostingFacts
from hotline.rules.policy import PolicyDecision, evaluate_policies, qualifying_decision
from hotline.rules.schema import RuleSet, default_ruleset, load_ruleset
from hotline.rules.source import FileProblems
from hotline.rules.taxonomy import AgeGroup, Classification, ContentType, Gender, LegalAssessment, SiteType

__all__ = [
    "AgeGroup", "ChannelKind", "Classification", "ContentType", "CountryStatus", "Destination",
    "DestinationKind", "Directory", "Evaluation", "Facts", "FileProblems", "Gender", "HashMatchFact",
    "HostingFacts", "LegalAssessment", "PolicyDecision", "ProposalOut", "RuleSet", "RuleTrace", "SiteType",
    "check_directory_file", "check_file", "default_ruleset", "evaluate", "evaluate_policies",
    "evaluation_json", "explain", "load_ruleset", "qualifying_decision",
]
