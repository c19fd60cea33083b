"""The shipped Romanian rule set, one row per rule (and per branch that matters)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest

from hotline.rules import Directory, Facts, HostingFacts, RuleSet, evaluate

from .builders import assessed, behind_cdn, hosted_in


@dataclass(frozen=True)
class Row:
    rule: str  # the shipped rule this row is about
    legal: str
    hosting: HostingFacts
    destinations: tuple[str, ...]  # expected proposals, in order
    closed_by: str | None = None
    rule_matches: bool = True  # False: the row shows when the rule stands aside


ROWS = [
    Row("not-illegal-close", "not-illegal", hosted_in("RO"), (), closed_by="not-illegal-close"),
    Row("not-illegal-close", "not-illegal", hosted_in("NL", platform="facebook"), (), closed_by="not-illegal-close"),
    Row("ro-illegal-police-first", "baseline", hosted_in("RO", provider="Gazduire SRL", abuse_email="abuse@gazduire.example"),
        ("police-ro", "hosting-provider:gazduire-srl")),
    Row("ro-illegal-police-first", "national", hosted_in("RO"), ("police-ro", "hosting-provider:unknown-hosting-provider")),
    Row("member-country-hotline", "baseline", hosted_in("NL"), ("hotline-nl-offlimits",)),
    Row("member-country-hotline", "national", hosted_in("GB"), ("hotline-gb-iwf",)),
    Row("member-country-hotline", "baseline", hosted_in("DE"), ("hotline-de-eco",)),
    Row("member-country-hotline", "baseline", hosted_in("US"), ("hotline-us-ncmec",)),
    Row("non-member-country-police", "baseline", hosted_in("KZ"), ("police-ro",)),
    Row("non-member-country-police", "national", hosted_in("VN"), ("police-ro",)),
    Row("platform-owner", "baseline", hosted_in("US", platform="Instagram", site_type="social-network"),
        ("hotline-us-ncmec", "platform-meta")),
    Row("platform-owner", "baseline", hosted_in("RO", platform="imgur", site_type="image-host"),
        ("police-ro", "hosting-provider:unknown-hosting-provider", "platform-imgur")),
    Row("platform-owner", "baseline", hosted_in("KZ", platform="vk"), ("police-ro", "platform:vk")),
    Row("platform-owner", "other-harmful", hosted_in("US", platform="tiktok"), ("platform-tiktok",)),
    Row("platform-owner", "adult-minors", hosted_in("NL", platform="reddit"), ("platform-reddit",)),
    Row("ro-adult-minors-ancom", "adult-minors", hosted_in("RO"), ("ancom",)),
    Row("ro-adult-minors-ancom", "adult-minors", hosted_in("RO", platform="x"), ("platform-x", "ancom")),
    Row("cdn-origin-request", "baseline", behind_cdn("Cloudflare"), ("cdn-cloudflare",)),
    Row("cdn-origin-request", "national", behind_cdn("SomeUnlistedCDN"), ("cdn:someunlistedcdn",)),
    # Origin found behind the CDN: routed by the origin's country, the CDN is no longer asked.
    Row("cdn-origin-request", "baseline", hosted_in("NL", behind_cdn=True, cdn="Cloudflare"), ("hotline-nl-offlimits",),
        rule_matches=False),
    Row("adult-minors-abroad-close", "adult-minors", hosted_in("NL"), (), closed_by="adult-minors-abroad-close"),
    Row("adult-minors-abroad-close", "adult-minors", behind_cdn(), (), closed_by="adult-minors-abroad-close"),
    Row("other-harmful-close", "other-harmful", hosted_in("RO"), (), closed_by="other-harmful-close"),
]


@pytest.mark.parametrize("row", ROWS, ids=lambda row: f"{row.rule}-{row.legal}-{row.hosting.country or 'cdn'}")
def test_shipped_rule(row: Row, ruleset: RuleSet, directory: Directory) -> None:
    # Given an item assessed and located as in the row
    facts = Facts(classification=assessed(row.legal), hosting=row.hosting)

    # When the shipped rules are evaluated
    evaluation = evaluate(facts, ruleset, directory)

    # Then exactly the expected destinations are proposed, or the item is closed by the expected rule
    assert tuple(p.destination_id for p in evaluation.proposals) == row.destinations
    assert evaluation.no_forward_rule == row.closed_by
    assert (evaluation.no_forward_reason is None) == bool(row.destinations)
    matched = {step.rule_id for step in evaluation.trace if step.matched}
    assert (row.rule in matched) == row.rule_matches
    for proposal in evaluation.proposals:
        assert proposal.reason and "{" not in proposal.reason and "None" not in proposal.reason
        assert proposal.rule_id in matched


def test_every_shipped_rule_has_a_row(ruleset: RuleSet) -> None:
    assert {rule.id for rule in ruleset.rule} == {row.rule for row in ROWS}


def test_notice_to_romanian_host_waits_for_police_clearance_or_72_hours(ruleset: RuleSet, directory: Directory) -> None:
    facts = Facts(classification=assessed("baseline"), hosting=hosted_in("RO", provider="Gazduire SRL"))

    police, host = evaluate(facts, ruleset, directory).proposals

    assert (police.after, police.not_before) == (None, None)
    assert host.after == "police-clearance" and host.not_before == timedelta(hours=72)
    assert "Gazduire SRL" in host.reason and "after police clearance" in host.reason


def test_partner_reason_names_country_and_hotline(ruleset: RuleSet, directory: Directory) -> None:
    facts = Facts(classification=assessed("baseline"), hosting=hosted_in("NL"))

    (proposal,) = evaluate(facts, ruleset, directory).proposals

    assert proposal.reason == (
        "Illegal content hosted in Netherlands: forwarded to Offlimits (formerly EOKM / Meldpunt Kinderporno), "
        "the INHOPE member hotline there."
    )
    assert proposal.destination_kind == "hotline" and proposal.channel == "partner-api"


def test_not_illegal_reason_is_recorded(ruleset: RuleSet, directory: Directory) -> None:
    evaluation = evaluate(Facts(classification=assessed("not-illegal"), hosting=hosted_in("RO")), ruleset, directory)

    assert evaluation.proposals == []
    assert evaluation.no_forward_reason == "Assessed as not illegal: no forward; the report is closed with this reason."
    assert all(not step.considered for step in evaluation.trace[1:])


def test_unassessed_item_waits_for_an_analyst(ruleset: RuleSet, directory: Directory) -> None:
    evaluation = evaluate(Facts(hosting=hosted_in("RO")), ruleset, directory)

    assert evaluation.proposals == [] and evaluation.no_forward_rule is None
    assert evaluation.no_forward_reason is not None and "Not assessed yet" in evaluation.no_forward_reason
    assert all("not assessed yet" in step.why for step in evaluation.trace)


def test_our_country_is_a_fact_not_hard_coded(ruleset: RuleSet, directory: Directory) -> None:
    # Given a deployment whose own country is NL, and an item hosted in NL
    facts = Facts(classification=assessed("baseline"), hosting=hosted_in("NL"), our_country="nl")

    evaluation = evaluate(facts, ruleset, directory)

    # Then "hosted in our country" means NL: the home rule matches, and the trace says why no police
    assert evaluation.proposals[0].destination_kind == "hosting-provider"
    assert any("no police destination for NL" in step.why for step in evaluation.trace)
