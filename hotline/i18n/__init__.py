"""Message catalogues (Babel, gettext): Romanian and English.

Sources are `locale/<lang>/LC_MESSAGES/messages.po`; the compiled `.mo` files sit next to them and are
committed. After editing a `.po` file run `python -m hotline.i18n compile` (and `check` to see that
every message the templates and code use is translated).
"""

from __future__ import annotations

import functools
from pathlib import Path

from babel.support import Translations

LOCALE_DIR = Path(__file__).parent / "locale"
DOMAIN = "messages"
LANGUAGES: tuple[str, ...] = ("ro", "en")
DEFAULT_LANGUAGE = "ro"


def N_(message: str) -> str:
    """Marks a message for extraction; it is translated later, when the page is rendered."""
    return message


@functools.cache
def translations(language: str) -> Translations:
    if language not in LANGUAGES:
        raise ValueError(f"no catalogue for language {language!r}; choose one of {', '.join(LANGUAGES)}")
    loaded = Translations.load(str(LOCALE_DIR), [language], domain=DOMAIN)
    if not isinstance(loaded, Translations):  # Babel returns NullTranslations when the .mo is missing
        raise FileNotFoundError(f"compiled catalogue for {language!r} is missing: python -m hotline.i18n compile")
    return loaded


def negotiate_language(accept_language: str | None, default: str = DEFAULT_LANGUAGE) -> str:
    """Pick ro or en from an Accept-Language header, honouring q-values; `default` when neither fits."""
    best, best_q = default, 0.0
    for part in (accept_language or "").split(",")[:20]:
        tag, _, params = part.strip().partition(";")
        primary = tag.strip().lower().split("-")[0]
        if primary not in LANGUAGES:
            continue
        q = 1.0
        for param in params.split(";"):
            name, _, value = param.strip().partition("=")
            if name.strip() == "q":
                try:
                    q = float(value)
                except ValueError:
                    q = 0.0
        # Strictly greater: earlier entries win ties, as browsers list them by preference.
        if q > best_q:
            best, best_q = primary, q
    return best if best_q > 0 else default
