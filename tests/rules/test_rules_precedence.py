"""Conflicts and precedence: priority order, stop, duplicates, closing rules, unassessed items."""

from __future__ import annotations

from hotline.rules import Directory, Facts, evaluate, load_ruleset

from .builders import assessed, hosted_in

ILLEGAL_IN_NL = Facts(classification=assessed("baseline"), hosting=hosted_in("NL"))


def rule(rule_id: str, priority: int, *, when: str = 'legal = ["baseline"]', then: str = 'to = "police"',
         extra: str = "") -> str:
    then_part = f"[[rule.then]]\n{then}\n" if then else "no_forward = true\n"
    return (
        f'[[rule]]\nid = "{rule_id}"\ndescription = "test rule"\npriority = {priority}\n'
        f'reason = "Reason of {rule_id}."\n{extra}\n{then_part}[rule.when]\n{when}\n'
    )


def test_rules_run_by_priority_not_file_order(write, directory: Directory) -> None:
    # Given two matching rules written in the opposite order of their priorities
    path = write("r.toml", rule("second", 20, then='to = "ancom"') + rule("first", 10))

    evaluation = evaluate(ILLEGAL_IN_NL, load_ruleset(path), directory)

    assert [step.rule_id for step in evaluation.trace] == ["first", "second"]
    assert [p.rule_id for p in evaluation.proposals] == ["first", "second"]


def test_equal_priorities_keep_file_order(write, directory: Directory) -> None:
    path = write("r.toml", rule("b", 10, then='to = "ancom"') + rule("a", 10))

    evaluation = evaluate(ILLEGAL_IN_NL, load_ruleset(path), directory)

    assert [step.rule_id for step in evaluation.trace] == ["b", "a"]


def test_stop_ends_evaluation_and_trace_says_so(write, directory: Directory) -> None:
    path = write("r.toml", rule("stopper", 1, extra="stop = true") + rule("later", 2, then='to = "ancom"'))

    evaluation = evaluate(ILLEGAL_IN_NL, load_ruleset(path), directory)

    assert [p.destination_id for p in evaluation.proposals] == ["police-ro"]
    later = evaluation.trace[1]
    assert (later.rule_id, later.matched, later.considered) == ("later", False, False)
    assert "stopper" in later.why


def test_stop_on_a_rule_that_does_not_match_changes_nothing(write, directory: Directory) -> None:
    path = write("r.toml", rule("stopper", 1, when='legal = ["national"]', extra="stop = true") + rule("later", 2))

    evaluation = evaluate(ILLEGAL_IN_NL, load_ruleset(path), directory)

    assert [p.rule_id for p in evaluation.proposals] == ["later"]


def test_same_destination_is_proposed_once_by_the_earlier_rule(write, directory: Directory) -> None:
    path = write("r.toml", rule("early", 1) + rule("late", 2))

    evaluation = evaluate(ILLEGAL_IN_NL, load_ruleset(path), directory)

    assert [(p.destination_id, p.rule_id) for p in evaluation.proposals] == [("police-ro", "early")]
    assert "already proposed by rule early" in evaluation.trace[1].why


def test_closing_rule_first_wins_over_later_forwards(write, directory: Directory) -> None:
    path = write("r.toml", rule("close", 1, then="") + rule("forward", 2))

    evaluation = evaluate(ILLEGAL_IN_NL, load_ruleset(path), directory)

    assert evaluation.proposals == []
    assert (evaluation.no_forward_rule, evaluation.no_forward_reason) == ("close", "Reason of close.")
    assert not evaluation.trace[1].considered


def test_closing_rule_after_forwards_is_overruled(write, directory: Directory) -> None:
    path = write("r.toml", rule("forward", 1) + rule("close", 2, then="") + rule("more", 3, then='to = "ancom"'))

    evaluation = evaluate(ILLEGAL_IN_NL, load_ruleset(path), directory)

    assert [p.rule_id for p in evaluation.proposals] == ["forward", "more"]
    assert evaluation.no_forward_reason is None
    assert "overruled" in evaluation.trace[1].why


def test_disabled_rule_is_ignored(write, directory: Directory) -> None:
    path = write("r.toml", rule("off", 1, extra="enabled = false") + rule("on", 2, then='to = "ancom"'))

    evaluation = evaluate(ILLEGAL_IN_NL, load_ruleset(path), directory)

    assert [step.rule_id for step in evaluation.trace] == ["on"]


def test_unassessed_item_meets_only_rules_without_classification(write, directory: Directory) -> None:
    # Given a rule that needs no assessment (e.g. hash-list driven) and one that needs it
    path = write("r.toml", rule("any-item-in-nl", 1, when='country = ["NL"]', then='to = "partner-hotline-of-hosting-country"')
                 + rule("needs-legal", 2))

    evaluation = evaluate(Facts(hosting=hosted_in("NL")), load_ruleset(path), directory)

    assert [(p.rule_id, p.destination_id) for p in evaluation.proposals] == [("any-item-in-nl", "hotline-nl-offlimits")]
    assert "not assessed yet" in evaluation.trace[1].why


def test_unresolvable_destination_is_explained_not_proposed(write, directory: Directory) -> None:
    # Given a rule sending to the partner hotline of a country that has none in the directory
    path = write("r.toml", rule("partner", 1, then='to = "partner-hotline-of-hosting-country"'))
    facts = Facts(classification=assessed("baseline"), hosting=hosted_in("KZ"))

    evaluation = evaluate(facts, load_ruleset(path), directory)

    assert evaluation.proposals == [] and evaluation.no_forward_rule is None
    assert "no INHOPE member hotline for KZ" in evaluation.trace[0].why
    assert evaluation.no_forward_reason == "No rule applies to this item: an analyst decides where it goes."


def test_conditions_on_site_type_content_type_cdn_and_partner(write, directory: Directory) -> None:
    when = ('site_type = ["forum"]\ncontent_type = "video"\nbehind_cdn = false\nfrom_partner = true\n'
            'assessed = true\nhosting = ["member", "non-member"]')
    ruleset = load_ruleset(write("r.toml", rule("narrow", 1, when=when)))
    classification = assessed("baseline").model_copy(update={"content_type": "video", "site_type": "forum"})

    matching = Facts(classification=classification, hosting=hosted_in("NL"), from_partner=True)
    not_from_partner = matching.model_copy(update={"from_partner": False})

    assert evaluate(matching, ruleset, directory).proposals
    miss = evaluate(not_from_partner, ruleset, directory)
    assert miss.proposals == [] and miss.trace[0].why == "not reported by a partner hotline"
