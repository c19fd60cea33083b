"""Rule files written by people: every problem names the file, the line, the rule and the key."""

from __future__ import annotations

from datetime import timedelta

import pytest

from hotline.rules import FileProblems, check_file, load_ruleset

GOOD = '''\
name = "test"

[[rule]]
id = "first"
description = "A correct rule."
reason = "Forwarded to {destination_name}."
[rule.when]
legal = ["baseline"]
[[rule.then]]
to = "police"

[[rule]]
id = "second"
description = "Another correct rule."
reason = "Hosted in {country_name}."
[rule.when]
legal = ["national"]
hosting = "member"
[[rule.then]]
to = "partner-hotline-of-hosting-country"
[[rule.then]]
to = "hosting-provider"
delay = "1d12h"
'''


def broken(old: str, new: str, count: int = 1) -> str:
    assert old in GOOD
    return GOOD.replace(old, new, count)


def line_of(text: str, needle: str, occurrence: int = 1) -> int:
    lines = [number for number, line in enumerate(text.splitlines(), start=1) if needle in line]
    return lines[occurrence - 1]


def only_problem(path) -> str:
    problems = check_file(path)
    assert len(problems) == 1, problems
    return problems[0]


def test_good_file_and_shipped_defaults_have_no_problems(write) -> None:
    assert check_file(write("good.toml", GOOD)) == []
    ruleset = load_ruleset(write("good.toml", GOOD))
    assert ruleset.rule[1].then[1].delay == timedelta(days=1, hours=12)


def test_shipped_rule_file_checks_clean() -> None:
    from importlib import resources

    path = resources.files("hotline.rules").joinpath("default_ro.toml")
    assert check_file(str(path)) == []


@pytest.mark.parametrize(
    ("old", "new", "rule", "key", "line_needle", "words"),
    [
        ('legal = ["national"]', 'legal = ["nationall"]', "second", "when.legal[0]", '"nationall"', "'national'"),
        ('hosting = "member"', 'hosting = "members"', "second", "when.hosting[0]", '"members"', "'member'"),
        ('hosting = "member"', 'hostng = "member"', "second", "when.hostng", "hostng", "unknown key"),
        ('delay = "1d12h"', 'delay = "tomorrow"', "second", "then[1].delay", "tomorrow", "72h"),
        ('to = "police"', 'to = "The Police!"', "first", "then[0].to", "The Police!", "directory id"),
        ("{country_name}", "{contry}", "second", "reason", "{contry}", "unknown field {contry}"),
        ('description = "A correct rule."\n', "", "first", "description", 'id = "first"', "Field required"),
        ('id = "second"', 'id = "Second Rule"', "Second Rule", "id", "Second Rule", "pattern"),
    ],
    ids=["bad-legal", "bad-hosting", "typo-key", "bad-delay", "bad-to", "bad-template", "missing", "bad-id"],
)
def test_problem_names_file_line_rule_and_key(write, old, new, rule, key, line_needle, words) -> None:
    # Given a correct file with one mistake
    text = broken(old, new)
    path = write("rules.toml", text)

    # When it is checked
    problem = only_problem(path)

    # Then the one line says where (file:line), which rule and key, and what is wrong
    assert problem.startswith(f"{path}:{line_of(text, line_needle)}: rule \"{rule}\", key {key}: "), problem
    assert words in problem


def test_forward_and_close_together_is_one_problem_at_the_rule(write) -> None:
    text = broken('to = "police"', 'to = "police"\n[[rule]]\nid = "both"\ndescription = "x"\nreason = "r."\n'
                  'no_forward = true\n[[rule.then]]\nto = "ancom"')
    path = write("rules.toml", text)

    problem = only_problem(path)

    line = line_of(text, 'id = "both"')
    assert problem.startswith(f'{path}:{line}: rule "both": ')
    assert "either forwards" in problem


def test_duplicate_id_points_at_the_second_one(write) -> None:
    text = broken('id = "second"', 'id = "first"')
    path = write("rules.toml", text)

    problem = only_problem(path)

    line = line_of(text, 'id = "first"', 2)
    assert problem == f"{path}:{line}: rule \"first\", key id: duplicate id 'first'"


def test_toml_syntax_error_has_the_line(write) -> None:
    text = broken('legal = ["baseline"]', 'legal = ["baseline"')
    path = write("rules.toml", text)

    problem = only_problem(path)

    # tomllib reports the line where it noticed the mistake: here the one after the unclosed array
    line = line_of(text, 'legal = ["baseline"') + 1
    assert problem.startswith(f"{path}:{line}: TOML syntax error: Unclosed array")


def test_unknown_directory_destination_is_reported_with_its_line(write) -> None:
    text = broken('to = "police"', 'to = "police-xx"')
    path = write("rules.toml", text)

    problem = only_problem(path)

    assert problem == (
        f"{path}:{line_of(text, 'police-xx')}: rule \"first\", key then[0].to: "
        "no destination 'police-xx' in the partner directory"
    )


def test_several_problems_are_all_reported(write) -> None:
    text = broken('legal = ["national"]', 'legal = ["x"]').replace('to = "police"', 'to = "Police"')
    problems = check_file(write("rules.toml", text))

    assert len(problems) == 2
    assert 'rule "first"' in problems[0] and 'rule "second"' in problems[1]


def test_load_raises_file_problems(write) -> None:
    with pytest.raises(FileProblems) as caught:
        load_ruleset(write("rules.toml", "[[rule]]\n"))
    assert caught.value.problems and all("rules.toml" in problem for problem in caught.value.problems)


def test_missing_file_is_one_clear_line(tmp_path) -> None:
    (problem,) = check_file(tmp_path / "absent.toml")
    assert problem.startswith(f"{tmp_path / 'absent.toml'}: cannot read the file")


def test_policy_table_is_validated_too(write) -> None:
    text = GOOD + '\n[[policy]]\nid = "auto"\ndescription = "x"\nreason = "r."\n[policy.when]\nmax_distance = -1\n'
    path = write("rules.toml", text)

    problem = only_problem(path)

    assert problem.startswith(f"{path}:{line_of(text, 'max_distance')}: policy \"auto\", key when.max_distance: ")
