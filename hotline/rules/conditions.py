"""A rule's `when`: the conditions a rule may set, and for each a check with a plain-language sentence.

Adding a condition happens here: a field on `When` (its TOML key and type), a check function, and one
line in CHECKS. If it reads something the rules do not know yet, add that to Facts (facts.py) and fill it
in where the facts are built from the database (hotline/triage/facts.py). A test fails if a field of
When has no check.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Annotated, Any

from babel import Locale
from pydantic import BaseModel, BeforeValidator, ConfigDict, Field, field_validator

from hotline.rules.directory import Directory
from hotline.rules.facts import CountryStatus, Facts, normalise_country
from hotline.rules.taxonomy import ContentType, LegalAssessment, SiteType

_ENGLISH = Locale("en")


class HostingCondition(StrEnum):
    OURS = "ours"  # hosted in our own country
    NOT_OURS = "not-ours"  # hosted in a known country other than ours
    MEMBER = "member"  # another country that has an INHOPE member hotline in the directory
    NON_MEMBER = "non-member"  # another country without one
    UNKNOWN_BEHIND_CDN = "unknown-behind-cdn"  # origin hidden by a CDN
    UNKNOWN = "unknown"  # not located


def as_list(value: Any) -> Any:
    """A single TOML value where a list is allowed means a list of one."""
    return [value] if isinstance(value, str) else value


class When(BaseModel):
    """Conditions; all given ones must hold. A list means "any of these"."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    assessed: bool | None = None
    legal: Annotated[list[LegalAssessment], BeforeValidator(as_list), Field(min_length=1)] | None = None
    content_type: Annotated[list[ContentType], BeforeValidator(as_list), Field(min_length=1)] | None = None
    hosting: Annotated[list[HostingCondition], BeforeValidator(as_list), Field(min_length=1)] | None = None
    country: Annotated[list[str], BeforeValidator(as_list), Field(min_length=1)] | None = None
    platform: bool | None = None
    site_type: Annotated[list[SiteType], BeforeValidator(as_list), Field(min_length=1)] | None = None
    behind_cdn: bool | None = None
    from_partner: bool | None = None

    @field_validator("country")
    @classmethod
    def _normalise_countries(cls, value: list[str] | None) -> list[str] | None:
        return None if value is None else [normalise_country(code) for code in value]

    @property
    def needs_classification(self) -> bool:
        return self.legal is not None or self.content_type is not None or self.assessed is True


@dataclass(frozen=True)
class Check:
    passed: bool
    why: str


def country_name(code: str | None, lang: str = "en") -> str:
    """Country name from Babel's CLDR data ("NL" -> "Netherlands"); the code when CLDR lacks it."""
    if code is None:
        return "an unknown country"
    locale = _ENGLISH if lang == "en" else Locale(lang)
    return str(locale.territories.get(code, code))


def hosting_categories(facts: Facts, directory: Directory) -> set[HostingCondition]:
    """Every hosting condition the facts satisfy (e.g. NL: not-ours and member)."""
    hosting = facts.hosting
    if hosting.country_status is CountryStatus.UNKNOWN_BEHIND_CDN:
        return {HostingCondition.UNKNOWN_BEHIND_CDN}
    if hosting.country is None:
        return {HostingCondition.UNKNOWN}
    if hosting.country == facts.our_country:
        return {HostingCondition.OURS}
    if hosting.country in directory.member_countries():
        return {HostingCondition.NOT_OURS, HostingCondition.MEMBER}
    return {HostingCondition.NOT_OURS, HostingCondition.NON_MEMBER}


def describe_hosting(facts: Facts, directory: Directory) -> str:
    categories = hosting_categories(facts, directory)
    country = facts.hosting.country
    if HostingCondition.UNKNOWN_BEHIND_CDN in categories:
        return f"origin hidden behind {facts.hosting.cdn or 'a CDN'}"
    if HostingCondition.UNKNOWN in categories:
        return "hosting country unknown"
    place = f"hosted in {country_name(country)} ({country})"
    if HostingCondition.OURS in categories:
        return f"{place}, our own country"
    if HostingCondition.MEMBER in categories:
        return f"{place}, another country with an INHOPE member hotline"
    return f"{place}, a country without an INHOPE member hotline"


def site_type_of(facts: Facts) -> SiteType | None:
    """The analyst's site type wins over the one the locate stage guessed."""
    if facts.classification and facts.classification.site_type:
        return facts.classification.site_type
    return facts.hosting.site_type


# -- one check per condition: (what the rule wants, the facts, the directory) -> Check -----------------
def _assessed(wanted: bool, facts: Facts, directory: Directory) -> Check:
    assessed = facts.classification is not None
    return Check(assessed == wanted, "assessed" if assessed else "not assessed yet")


def _legal(wanted: list[LegalAssessment], facts: Facts, directory: Directory) -> Check:
    if facts.classification is None:
        return Check(False, f"not assessed yet; needs an assessment of {_any(wanted)}")
    return _membership("assessed as", facts.classification.legal, wanted)


def _content_type(wanted: list[ContentType], facts: Facts, directory: Directory) -> Check:
    content_type = facts.classification.content_type if facts.classification else None
    return _membership("content type", content_type, wanted)


def _hosting(wanted: list[HostingCondition], facts: Facts, directory: Directory) -> Check:
    passed = bool(hosting_categories(facts, directory) & set(wanted))
    text = describe_hosting(facts, directory)
    return Check(passed, text if passed else f"{text}; needs {_any(wanted)}")


def _country(wanted: list[str], facts: Facts, directory: Directory) -> Check:
    return _membership("hosting country", facts.hosting.country, wanted)


def _platform(wanted: bool, facts: Facts, directory: Directory) -> Check:
    platform = facts.hosting.platform
    text = f"on the platform {platform}" if platform else "not on a recognised platform"
    return Check((platform is not None) == wanted, text)


def _site_type(wanted: list[SiteType], facts: Facts, directory: Directory) -> Check:
    return _membership("site type", site_type_of(facts), wanted)


def _behind_cdn(wanted: bool, facts: Facts, directory: Directory) -> Check:
    behind = facts.hosting.behind_cdn
    return Check(behind == wanted, "behind a CDN" if behind else "not behind a CDN")


def _from_partner(wanted: bool, facts: Facts, directory: Directory) -> Check:
    text = "reported by a partner hotline" if facts.from_partner else "not reported by a partner hotline"
    return Check(facts.from_partner == wanted, text)


# The checks, in the order they are explained; every field of When has one (a test makes sure).
CHECKS: dict[str, Callable[[Any, Facts, Directory], Check]] = {
    "assessed": _assessed,
    "legal": _legal,
    "content_type": _content_type,
    "hosting": _hosting,
    "country": _country,
    "platform": _platform,
    "site_type": _site_type,
    "behind_cdn": _behind_cdn,
    "from_partner": _from_partner,
}


def check_when(when: When, facts: Facts, directory: Directory) -> list[Check]:
    """One Check per condition the rule sets, in a fixed, readable order."""
    return [check(getattr(when, name), facts, directory) for name, check in CHECKS.items()
            if getattr(when, name) is not None]


def _membership(subject: str, value: StrEnum | str | None, allowed: Iterable[StrEnum | str]) -> Check:
    allowed = list(allowed)
    shown = "unknown" if value is None else str(value)
    if value is not None and value in allowed:
        return Check(True, f"{subject} {shown}")
    return Check(False, f"{subject} {shown}; needs {_any(allowed)}")


def _any(values: Iterable[StrEnum | str]) -> str:
    names = [str(value) for value in values]
    return names[0] if len(names) == 1 else f"one of {', '.join(names)}"
