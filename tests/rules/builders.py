"""Builders for facts in the rules tests."""

from __future__ import annotations

from hotline.rules import Classification, HostingFacts


def assessed(legal: str) -> Classification:
    """A valid classification for any legal assessment (victim fields only where required)."""
    if legal in ("baseline", "national"):
        return Classification(legal=legal, age_group="pre-pubescent", gender="female")
    return Classification(legal=legal)


def hosted_in(country: str, **extra: object) -> HostingFacts:
    return HostingFacts(country=country, country_status="known", **extra)


def behind_cdn(cdn: str | None = "Cloudflare", **extra: object) -> HostingFacts:
    return HostingFacts(country_status="unknown-behind-cdn", behind_cdn=True, cdn=cdn, **extra)
