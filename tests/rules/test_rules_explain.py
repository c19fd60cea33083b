"""`hotline rules explain`: every rule considered, and why it matched or not."""

from __future__ import annotations

import json

from hotline.rules import Facts, evaluate, evaluation_json, explain

from .builders import assessed, hosted_in


def test_explain_lists_every_rule_with_its_reason_then_the_proposals(ruleset, directory) -> None:
    facts = Facts(classification=assessed("baseline"), hosting=hosted_in("RO", provider="Gazduire SRL"))

    text = explain(evaluate(facts, ruleset, directory), title="URL 1: http://gallery.example-synth.ro/")

    lines = text.splitlines()
    assert lines[0] == "URL 1: http://gallery.example-synth.ro/"
    for rule in ruleset.rule:
        assert any(f" {rule.id}: " in line for line in lines), rule.id
    assert "  [matched]  ro-illegal-police-first: assessed as baseline; hosted in Romania (RO), our own country;" in text
    assert "  [no match] member-country-hotline: hosted in Romania (RO), our own country; needs member" in text
    assert "  1. Romanian Police (IGPR) (police-ro, police) by rule ro-illegal-police-first" in text
    assert "     held: send after police clearance, or after 72 hours at the latest" in text


def test_explain_shows_the_no_forward_reason_and_skipped_rules(ruleset, directory) -> None:
    evaluation = evaluate(Facts(classification=assessed("not-illegal"), hosting=hosted_in("RO")), ruleset, directory)

    text = explain(evaluation)

    assert "  [skipped]  platform-owner: not considered: rule not-illegal-close matched and stops the evaluation" in text
    assert text.endswith("No forward (rule not-illegal-close): Assessed as not illegal: no forward; "
                         "the report is closed with this reason.")


def test_json_form_is_serialisable_with_holds_in_seconds(ruleset, directory) -> None:
    facts = Facts(classification=assessed("national"), hosting=hosted_in("RO"))

    data = json.loads(json.dumps(evaluation_json(evaluate(facts, ruleset, directory))))

    host = data["proposals"][1]
    assert (host["after"], host["not_before_seconds"]) == ("police-clearance", 72 * 3600)
    assert host["endpoint"] is None and "no_forward_reason" in data and len(data["trace"]) == len(ruleset.rule)
