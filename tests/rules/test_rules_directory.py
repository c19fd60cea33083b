"""The partner directory: shipped data, admin overrides (admin file wins), validation."""

from __future__ import annotations

import pytest

from hotline.rules import Directory, Facts, FileProblems, check_directory_file, check_file, evaluate

from .builders import assessed, hosted_in


def test_shipped_directory_has_partners_police_and_regulator(directory: Directory) -> None:
    assert directory.partner_for_country("NL").name.startswith("Offlimits")
    assert directory.partner_for_country("gb").id == "hotline-gb-iwf"
    assert directory.partner_for_country("UK").id == "hotline-gb-iwf"
    assert directory.partner_for_country("US").name == "NCMEC CyberTipline"
    assert directory.partner_for_country("RO") is None  # we are the Romanian hotline
    assert directory.partner_for_country("KZ") is None
    assert directory.destination("police-ro").name == "Romanian Police (IGPR)"
    assert directory.destination("ancom").kind == "regulator"
    assert {"NL", "GB", "DE", "FR", "US"} <= directory.member_countries()


def test_shipped_endpoints_are_placeholders_until_configured(directory: Directory) -> None:
    assert all(not d.configured and d.endpoint == "configure-me" for d in directory.all())


def test_country_with_several_hotlines_uses_the_primary(directory: Directory) -> None:
    germans = [d for d in directory.all() if d.kind == "hotline" and d.country == "DE"]
    assert len(germans) == 3
    assert directory.partner_for_country("DE").primary


def test_unknown_destination_is_a_clear_key_error(directory: Directory) -> None:
    with pytest.raises(KeyError, match="no destination 'nope' in the partner directory"):
        directory.destination("nope")


def test_admin_file_overrides_only_the_keys_it_sets(write) -> None:
    # Given an admin file that configures IWF's endpoint, adds a hotline and removes Offlimits
    admin = write("directory.toml", '''
[[destination]]
id = "hotline-gb-iwf"
endpoint = "https://iwf.example.test/api"

[[destination]]
id = "hotline-xx-test"
kind = "hotline"
name = "Test Hotline"
country = "MT"
inhope_member = true
channel = "email"
endpoint = "reports@hotline.example.test"

[[destination]]
id = "hotline-nl-offlimits"
disabled = true
''')

    # When the directory is loaded with it
    directory = Directory.load([admin])

    # Then the admin values win and everything else stays as shipped
    iwf = directory.destination("hotline-gb-iwf")
    assert (iwf.endpoint, iwf.name, iwf.configured) == ("https://iwf.example.test/api", "Internet Watch Foundation (IWF)", True)
    assert directory.partner_for_country("MT").name == "Test Hotline"
    assert directory.partner_for_country("NL") is None and "NL" not in directory.member_countries()
    assert check_directory_file(admin) == []


def test_override_changes_routing(write, ruleset) -> None:
    # Given Offlimits removed by the admin, Dutch-hosted illegal content has no member hotline any more
    admin = write("directory.toml", '[[destination]]\nid = "hotline-nl-offlimits"\ndisabled = true\n')

    evaluation = evaluate(Facts(classification=assessed("baseline"), hosting=hosted_in("NL")), ruleset,
                          Directory.load([admin]))

    assert [p.rule_id for p in evaluation.proposals] == ["non-member-country-police"]


def test_later_admin_file_wins_over_earlier(write) -> None:
    first = write("a.toml", '[[destination]]\nid = "ancom"\nendpoint = "first@example.test"\n')
    second = write("b.toml", '[[destination]]\nid = "ancom"\nendpoint = "second@example.test"\n')

    assert Directory.load([first, second]).destination("ancom").endpoint == "second@example.test"


def test_invalid_override_names_file_line_destination_and_key(write) -> None:
    text = '[[destination]]\nid = "ancom"\nendpoint = "x@example.test"\n\n[[destination]]\nid = "police-ro"\nchannel = "pigeon"\n'
    admin = write("directory.toml", text)

    (problem,) = check_directory_file(admin, channels=["partner-api", "email", "x-arf", "web-form"])

    assert problem == (f'{admin}:7: destination "police-ro", key channel: unknown channel \'pigeon\': choose from '
                       'partner-api, email, x-arf, web-form')
    assert check_file(admin, channels=["partner-api", "email", "x-arf", "web-form"]) == [problem]  # rules check too


def test_new_entry_missing_keys_is_reported_at_its_id(write) -> None:
    admin = write("directory.toml", '# my additions\n[[destination]]\nid = "hotline-new"\nname = "New"\n')

    problems = check_directory_file(admin)

    assert problems and all(p.startswith(f'{admin}:3: destination "hotline-new"') for p in problems)
    assert any("key kind: Field required" in p for p in problems)


def test_duplicate_ids_and_unknown_tables_are_reported(write) -> None:
    admin = write("directory.toml", '[partner]\nx = 1\n[[destination]]\nid = "ancom"\n[[destination]]\nid = "ancom"\n')

    with pytest.raises(FileProblems) as caught:
        Directory.load([admin])

    text = "\n".join(caught.value.problems)
    assert f"{admin}:1: key partner: unknown table" in text
    assert f"{admin}:6: destination \"ancom\", key id: duplicate id 'ancom'" in text
