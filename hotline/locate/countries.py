"""Country names as registries write them ("UNITED STATES") to ISO 3166 alpha-2 codes."""

from __future__ import annotations

from functools import lru_cache

from babel import Locale


@lru_cache(maxsize=1)
def _codes_by_name() -> dict[str, str]:
    names = {
        name.upper(): code
        for code, name in Locale("en").territories.items()
        if len(code) == 2 and code.isalpha()
    }
    names.update({code: code for code in names.values()})  # a bare code is its own answer
    return names


def country_code(name: str) -> str | None:
    """The two-letter code for an English country name or code, or None when unknown."""
    return _codes_by_name().get(name.strip().upper())
