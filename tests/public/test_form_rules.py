"""Every validation rule of the public form, checked without a server."""

from __future__ import annotations

import pytest

from hotline.pipeline.intake import MAX_URLS_PER_REPORT
from hotline.web.public.form import (
    MAX_CONTACT_CHARS,
    MAX_DESCRIPTION_CHARS,
    MAX_URLS_CHARS,
    ReportForm,
    check_form,
    clean_text,
    read_form,
    url_reason,
)


def valid(**changes: object) -> ReportForm:
    form = ReportForm(urls_text="https://example.ro/a", category="csam", consent=True)
    for name, value in changes.items():
        setattr(form, name, value)
    return form


def test_a_complete_form_passes() -> None:
    checked = check_form(valid())
    assert checked.ok and checked.urls == ["https://example.ro/a"]


def test_at_least_one_address_is_required() -> None:
    assert check_form(valid(urls_text="  \n \n")).errors["urls"].text.startswith("Enter at least one")


def test_the_address_list_has_a_total_size_limit() -> None:
    checked = check_form(valid(urls_text="https://example.ro/" + "a" * MAX_URLS_CHARS))
    assert checked.errors["urls"].params == {"max": MAX_URLS_CHARS}


def test_the_number_of_addresses_is_limited() -> None:
    lines = "\n".join(f"https://example.ro/{n}" for n in range(MAX_URLS_PER_REPORT + 1))
    assert check_form(valid(urls_text=lines)).errors["urls"].params == {"max": MAX_URLS_PER_REPORT}


def test_invalid_addresses_come_back_with_reasons_and_valid_ones_stay_in_the_field() -> None:
    checked = check_form(valid(urls_text="https://example.ro/a\nftp://example.ro/f\nexample.ro/b\nhttp://intranet/"))
    assert not checked.ok
    assert checked.urls == ["https://example.ro/a", "example.ro/b"]
    assert checked.form.urls_text == "https://example.ro/a\nexample.ro/b"
    assert [(r.text, url_reason(r.reason)) for r in checked.rejected] == [
        ("ftp://example.ro/f", "Only addresses that start with http:// or https:// can be reported."),
        ("http://intranet/", "The site name has no ending such as .ro or .com."),
    ]


def test_duplicate_addresses_are_merged() -> None:
    assert check_form(valid(urls_text="example.ro/a\nHTTP://EXAMPLE.RO/a")).urls == ["example.ro/a"]


def test_unicode_addresses_are_accepted() -> None:
    checked = check_form(valid(urls_text="https://exemplu-ăîșț.ro/pagină"))
    assert checked.ok


@pytest.mark.parametrize(
    ("typed", "reason"),
    [
        ("http://example.ro/" + "a" * 5000, "The address is too long."),
        ("http://[::1", "The address is not written correctly."),
        ("javascript:alert(1)", "Only addresses that start with http:// or https:// can be reported."),
        ("http:///path", "The address has no site name."),
        ("localhostx/", "The site name has no ending such as .ro or .com."),
        ("http://exa mple.ro/", "The site name is not valid."),
        ("http://example.ro:0/", "The port number is not valid."),
    ],
)
def test_each_refused_address_gets_a_plain_reason(typed: str, reason: str) -> None:
    checked = check_form(valid(urls_text=typed))
    assert [url_reason(r.reason) for r in checked.rejected] == [reason]


def test_an_unknown_reason_still_gets_a_plain_message() -> None:
    assert url_reason("something new") == "This is not a web address we can check."


@pytest.mark.parametrize("category", ["", "csam-and-more", "CSAM"])
def test_a_known_category_is_required(category: str) -> None:
    assert check_form(valid(category=category)).errors["category"].text == "Choose what you saw."


@pytest.mark.parametrize("category", ["csam", "grooming", "adult-minors", "other"])
def test_every_offered_category_is_accepted(category: str) -> None:
    assert check_form(valid(category=category)).ok


def test_the_description_is_optional_but_limited() -> None:
    assert check_form(valid(description="")).ok
    assert check_form(valid(description="é" * MAX_DESCRIPTION_CHARS)).ok
    error = check_form(valid(description="é" * (MAX_DESCRIPTION_CHARS + 1))).errors["description"]
    assert error.params == {"max": MAX_DESCRIPTION_CHARS, "count": MAX_DESCRIPTION_CHARS + 1}


def test_the_contact_is_optional_but_limited() -> None:
    assert check_form(valid(contact="")).ok
    assert check_form(valid(contact="x" * MAX_CONTACT_CHARS)).ok
    assert "contact" in check_form(valid(contact="x" * (MAX_CONTACT_CHARS + 1))).errors


def test_consent_is_required() -> None:
    assert "consent" in check_form(valid(consent=False)).errors


def test_reading_takes_the_first_value_and_ignores_unknown_fields() -> None:
    form = read_form({"urls": ["a.ro", "b.ro"], "consent": ["yes"], "evil": ["x"], "website": ["bot"]})
    assert (form.urls_text, form.consent, form.honeypot) == ("a.ro", True, "bot")
    assert read_form({"consent": ["on"]}).consent is False


def test_text_is_nfc_normalised_and_control_characters_dropped() -> None:
    decomposed = "S\u0327i a\u0306"  # Ş and ă typed as base letter + combining mark
    assert clean_text(decomposed, multiline=False) == "\u015ei \u0103"
    assert clean_text("a\x00b\x1bc\u200bd", multiline=False) == "abcd"
    assert clean_text(" line 1\r\nline\t2\r ", multiline=True) == "line 1\nline\t2"
    assert clean_text("one\ntwo", multiline=False) == "onetwo"


def test_lengths_count_characters_not_bytes() -> None:
    form = read_form({"description": ["ț" * MAX_DESCRIPTION_CHARS]})
    assert len(form.description.encode()) > MAX_DESCRIPTION_CHARS
    assert "description" not in check_form(valid(description=form.description)).errors


def test_the_submission_id_is_kept_only_when_it_looks_like_one() -> None:
    assert read_form({"submission": ["Ab3_-" * 4]}).submission == "Ab3_-" * 4
    for bad in ("short", "x" * 65, "has space in it!!", "<script>alert(1)</script>"):
        assert read_form({"submission": [bad]}).submission == ""
