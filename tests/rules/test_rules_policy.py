"""Auto-forward policies (issue 12): only verified known material qualifies."""

from __future__ import annotations

import pytest

from hotline.rules import Facts, HashMatchFact, evaluate, evaluate_policies, load_ruleset, qualifying_decision

from .builders import hosted_in

POLICY = '''
[[rule]]
id = "member-country-hotline"
description = "x"
reason = "Forwarded to {partner_name}."
[rule.when]
legal = ["baseline"]
hosting = "member"
[[rule.then]]
to = "partner-hotline-of-hosting-country"

[[policy]]
id = "trusted-baseline"
description = "All media matched a trusted baseline list entry within radius 10, confirmed twice."
enabled = true
reason = "Verified known material: assessed by policy."
[policy.when]
trusted = true
verdict = "baseline"
max_distance = 10
min_confirmations = 2
'''


def match(ref: str, *, distance: int = 0, trusted: bool = True, confirmations: int = 3,
          verdict: str = "baseline") -> HashMatchFact:
    return HashMatchFact(media_ref=ref, list_name="icse-baseline", verdict=verdict, trusted=trusted,
                         distance=distance, confirmations=confirmations)


@pytest.fixture
def policy_rules(write):
    return load_ruleset(write("rules.toml", POLICY))


def facts(*matches: HashMatchFact, media_count: int = 2) -> Facts:
    return Facts(hosting=hosted_in("NL"), media_count=media_count, hash_matches=matches)


def test_fully_matched_page_is_assessed_by_policy_and_routed(policy_rules, directory) -> None:
    # Given both media items matched a trusted baseline entry within the radius
    item = facts(match("img-1"), match("img-2", distance=10))

    # When the policies are evaluated
    decision = qualifying_decision(evaluate_policies(item, policy_rules))

    # Then the policy qualifies, names its evidence, and its classification routes the item
    assert decision is not None and decision.policy_id == "trusted-baseline"
    assert decision.classification.legal == "baseline" and "policy trusted-baseline" in decision.classification.notes
    assert [m.media_ref for m in decision.evidence] == ["img-1", "img-2"]
    routed = evaluate(item.model_copy(update={"classification": decision.classification}), policy_rules, directory)
    assert [p.destination_id for p in routed.proposals] == ["hotline-nl-offlimits"]


@pytest.mark.parametrize(
    ("matches", "why"),
    [
        ((match("img-1"), match("img-2", distance=11)), "distance 11 > 10"),
        ((match("img-1"), match("img-2", trusted=False)), "is not trusted"),
        ((match("img-1"),), "only 1 of 2 media items"),
        ((match("img-1"), match("img-2", confirmations=1)), "1 confirmations < 2"),
        ((match("img-1"), match("img-2", verdict="national")), "verdict national"),
        ((), "no qualifying hash-list match"),
    ],
    ids=["near-miss-radius", "untrusted-list", "partly-matched", "too-few-confirmations", "other-verdict", "none"],
)
def test_near_misses_wait_for_an_analyst(policy_rules, matches, why) -> None:
    (decision,) = evaluate_policies(facts(*matches), policy_rules)

    assert not decision.qualifies and decision.classification is None
    assert why in decision.why


def test_pausing_stops_every_policy(policy_rules) -> None:
    (decision,) = evaluate_policies(facts(match("img-1"), match("img-2")), policy_rules, paused=True)

    assert not decision.qualifies and "paused" in decision.why


def test_policy_never_overrides_an_analyst(policy_rules) -> None:
    from .builders import assessed

    item = facts(match("img-1"), match("img-2")).model_copy(update={"classification": assessed("not-illegal")})

    (decision,) = evaluate_policies(item, policy_rules)

    assert not decision.qualifies and decision.why == "already assessed by an analyst"


def test_shipped_policy_is_off_by_default(ruleset) -> None:
    decisions = evaluate_policies(facts(match("img-1"), match("img-2")), ruleset)

    assert decisions and all(not d.qualifies and d.why == "policy is off" for d in decisions)


def test_policy_explanation_shows_list_match_and_distance(policy_rules) -> None:
    from hotline.rules import explain_policies

    text = explain_policies(evaluate_policies(facts(match("img-1"), match("img-2", distance=7)), policy_rules))

    assert "[matched]  trusted-baseline: 2 of 2 media items matched icse-baseline within distance 7" in text
    assert "img-2: list icse-baseline, verdict baseline, distance 7, 3 confirmations" in text
