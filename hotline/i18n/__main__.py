"""`python -m hotline.i18n compile|check|update`: keep the catalogues in step with the code.

compile  writes every locale/<lang>/LC_MESSAGES/messages.mo from its .po file
check    fails if a message used in the templates or code is missing or untranslated, or a .mo file
         says something other than its .po file (compared message by message, not byte by byte: Babel
         versions lay out the same catalogue differently)
update   adds newly extracted messages to each .po file (untranslated, marked fuzzy for Romanian)
"""

from __future__ import annotations

import io
import sys
from pathlib import Path

from babel.messages.catalog import Catalog
from babel.messages.extract import extract_from_dir
from babel.messages.mofile import read_mo, write_mo
from babel.messages.pofile import read_po, write_po

from hotline.i18n import DOMAIN, LANGUAGES, LOCALE_DIR

PACKAGE = Path(__file__).resolve().parents[1]
# Where messages come from: the public pages' and the workspace's templates, and the Python modules that
# mark them with N_ (the workspace's code, and the item states it shows from triage).
SOURCES = (PACKAGE / "web" / "public", PACKAGE / "web" / "workspace", PACKAGE / "triage")
METHODS = [("**/templates/**.html", "jinja2.ext:babel_extract"), ("**.py", "python")]
KEYWORDS = {"_": None, "N_": None, "gettext": None}


def po_path(language: str) -> Path:
    return LOCALE_DIR / language / "LC_MESSAGES" / f"{DOMAIN}.po"


def extract() -> Catalog:
    catalog = Catalog(domain=DOMAIN)
    for source in SOURCES:
        for filename, lineno, message, comments, context in extract_from_dir(
            str(source), METHODS, keywords=KEYWORDS, comment_tags=("TRANSLATORS:",)
        ):
            catalog.add(message, None, [(filename, lineno)], auto_comments=comments, context=context)
    return catalog


def load(language: str) -> Catalog:
    with po_path(language).open("rb") as fh:
        return read_po(fh, locale=language, domain=DOMAIN)


def compiled(language: str) -> bytes:
    buffer = io.BytesIO()
    write_mo(buffer, load(language))
    return buffer.getvalue()


def messages(catalog: Catalog) -> dict[object, object]:
    """What a catalogue translates: id -> translation, for the entries gettext would use."""
    return {m.id: m.string for m in catalog if m.id and m.string and not m.fuzzy}


def stale(language: str) -> bool:
    """True when the compiled catalogue is missing or translates differently from its .po file."""
    mo = po_path(language).with_suffix(".mo")
    if not mo.exists():
        return True
    with mo.open("rb") as fh:
        return messages(read_mo(fh)) != messages(load(language))


def compile_all() -> None:
    for language in LANGUAGES:
        po_path(language).with_suffix(".mo").write_bytes(compiled(language))


def problems() -> list[str]:
    wanted = {m.id for m in extract() if m.id}
    found: list[str] = []
    for language in LANGUAGES:
        catalog = load(language)
        for message_id in sorted(wanted):
            message = catalog.get(message_id)
            if message is None or not message.string or message.fuzzy:
                found.append(f"{language}: not translated: {message_id!r}")
        if stale(language):
            found.append(f"{language}: {DOMAIN}.mo is stale: run python -m hotline.i18n compile")
    return found


def update() -> None:
    template = extract()
    for language in LANGUAGES:
        catalog = load(language)
        for message in template:
            if message.id and message.id not in catalog:
                # English source strings are their own translation.
                catalog.add(message.id, message.id if language == "en" else "", message.locations,
                            flags=() if language == "en" else ("fuzzy",))
        with po_path(language).open("wb") as fh:
            write_po(fh, catalog, width=100, sort_output=True)


def main(argv: list[str]) -> int:
    command = argv[0] if argv else "check"
    if command == "compile":
        compile_all()
    elif command == "update":
        update()
    elif command == "check":
        issues = problems()
        for line in issues:
            print(line)
        return 1 if issues else 0
    else:
        print(__doc__)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
