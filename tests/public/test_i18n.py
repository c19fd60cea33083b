"""Catalogues: complete, compiled, loaded with Babel; the language comes from the path or the browser."""

from __future__ import annotations

import pytest

from hotline.i18n import negotiate_language, translations
from hotline.i18n.__main__ import extract, problems


def test_every_message_is_translated_and_the_mo_files_are_current() -> None:
    assert len(extract()) > 50
    assert problems() == []


def test_a_translation_changed_in_the_po_file_makes_the_compiled_catalogue_stale(tmp_path, monkeypatch) -> None:
    import shutil

    import hotline.i18n.__main__ as catalogues

    # given a copy of the catalogues whose Romanian .po says something new for one message
    shutil.copytree(catalogues.LOCALE_DIR, tmp_path / "locale")
    monkeypatch.setattr(catalogues, "LOCALE_DIR", tmp_path / "locale")
    po = catalogues.po_path("ro")
    po.write_text(po.read_text(encoding="utf-8").replace('"Trimiteți raportarea"', '"Trimiteți"'), encoding="utf-8")
    # then the check names the stale .mo, and compiling mends it
    assert catalogues.stale("ro") and not catalogues.stale("en")
    catalogues.compile_all()
    assert not catalogues.stale("ro")


def test_romanian_and_english_catalogues_load() -> None:
    assert translations("ro").gettext("Send the report") == "Trimiteți raportarea"
    assert translations("en").gettext("Send the report") == "Send the report"
    with pytest.raises(ValueError):
        translations("de")


@pytest.mark.parametrize(
    ("header", "expected"),
    [
        ("en-GB,en;q=0.9", "en"),
        ("ro-RO,ro;q=0.9,en;q=0.8", "ro"),
        ("de-DE,de;q=0.9,en;q=0.5,ro;q=0.4", "en"),
        ("fr", "ro"),
        ("", "ro"),
        (None, "ro"),
        ("en;q=0, ro;q=0", "ro"),
        ("EN", "en"),
        ("en;q=abc,ro;q=0.1", "ro"),
    ],
)
def test_accept_language_picks_the_preferred_catalogue(header: str | None, expected: str) -> None:
    assert negotiate_language(header) == expected
