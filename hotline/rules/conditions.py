"""Checking a rule's `when` against the facts, with a plain-language sentence for each check."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum

from babel import Locale

from hotline.rules.directory import Directory
from hotline.rules.facts import CountryStatus, Facts
from hotline.rules.schema import HostingCondition, When
from hotline.rules.taxonomy import SiteType

_ENGLISH = Locale("en")


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


def check_when(when: When, facts: Facts, directory: Directory) -> list[Check]:
    """One Check per condition the rule sets, in a fixed, readable order."""
    checks: list[Check] = []
    classification = facts.classification
    if when.assessed is not None:
        assessed = classification is not None
        checks.append(Check(assessed == when.assessed, "assessed" if assessed else "not assessed yet"))
    if when.legal is not None:
        if classification is None:
            checks.append(Check(False, f"not assessed yet; needs an assessment of {_any(when.legal)}"))
        else:
            legal = classification.legal
            checks.append(_membership("assessed as", legal, when.legal))
    if when.content_type is not None:
        content_type = classification.content_type if classification else None
        checks.append(_membership("content type", content_type, when.content_type))
    if when.hosting is not None:
        passed = bool(hosting_categories(facts, directory) & set(when.hosting))
        text = describe_hosting(facts, directory)
        checks.append(Check(passed, text if passed else f"{text}; needs {_any(when.hosting)}"))
    if when.country is not None:
        checks.append(_membership("hosting country", facts.hosting.country, when.country))
    if when.platform is not None:
        platform = facts.hosting.platform
        text = f"on the platform {platform}" if platform else "not on a recognised platform"
        checks.append(Check((platform is not None) == when.platform, text))
    if when.site_type is not None:
        checks.append(_membership("site type", site_type_of(facts), when.site_type))
    if when.behind_cdn is not None:
        behind = facts.hosting.behind_cdn
        checks.append(Check(behind == when.behind_cdn, "behind a CDN" if behind else "not behind a CDN"))
    if when.from_partner is not None:
        from_partner = facts.from_partner
        text = "reported by a partner hotline" if from_partner else "not reported by a partner hotline"
        checks.append(Check(from_partner == when.from_partner, text))
    return checks


def _membership(subject: str, value: StrEnum | str | None, allowed: Iterable[StrEnum | str]) -> Check:
    allowed = list(allowed)
    shown = "unknown" if value is None else str(value)
    if value is not None and value in allowed:
        return Check(True, f"{subject} {shown}")
    return Check(False, f"{subject} {shown}; needs {_any(allowed)}")


def _any(values: Iterable[StrEnum | str]) -> str:
    names = [str(value) for value in values]
    return names[0] if len(names) == 1 else f"one of {', '.join(names)}"
