"""The facts about one reported URL that the rules look at.

The triage stage builds a `Facts` from the database (assessment, hosting record, hash matches); the
rules never touch the database themselves, so they can be tested and explained on their own.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from hotline.rules.taxonomy import Classification, LegalAssessment, SiteType

# ISO 3166 has no "UK" or "EL", but registries and people use them.
_COUNTRY_ALIASES = {"UK": "GB", "EL": "GR"}


def normalise_country(code: str) -> str:
    """Upper-case two-letter ISO 3166-1 code, with the common aliases mapped ("uk" -> "GB")."""
    upper = code.strip().upper()
    if len(upper) != 2 or not upper.isalpha():
        raise ValueError(f"country must be a two-letter ISO code such as RO or NL, not {code!r}")
    return _COUNTRY_ALIASES.get(upper, upper)


# Site types other parts of hotline use (the locate stage's platform list) -> INHOPE's twelve.
_SITE_TYPE_SYNONYMS = {
    "file-locker": SiteType.FILE_HOST,
    "blog-host": SiteType.BLOG,
    "free-hosting": SiteType.WEBSITE,
    "paste": SiteType.WEBSITE,
    "video": SiteType.WEBSITE,
    "messaging": SiteType.SOCIAL_NETWORK,
}


def inhope_site_type(name: str | None) -> SiteType | None:
    """INHOPE site type for a site-type name ("file-locker" -> file-host); None when unknown or empty."""
    if not name:
        return None
    key = name.strip().lower().replace("_", "-").replace(" ", "-")
    if key in set(SiteType):
        return SiteType(key)
    return _SITE_TYPE_SYNONYMS.get(key)


class CountryStatus(StrEnum):
    KNOWN = "known"
    UNKNOWN_BEHIND_CDN = "unknown-behind-cdn"
    UNKNOWN = "unknown"


class HostingFacts(BaseModel):
    """Where the content is hosted, as far as the locate stage found out."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    country: str | None = None
    country_status: CountryStatus = CountryStatus.UNKNOWN
    behind_cdn: bool = False
    cdn: str | None = None
    cdn_abuse_channel: str | None = None  # the CDN's abuse e-mail or form, when the locate stage knows it
    platform: str | None = None
    site_type: SiteType | None = None
    reporting_channel: str | None = None  # the platform's own report form/e-mail, when known
    abuse_email: str | None = None
    provider: str | None = None

    @field_validator("country")
    @classmethod
    def _normalise_country(cls, value: str | None) -> str | None:
        return None if value is None else normalise_country(value)

    @field_validator("site_type", mode="before")
    @classmethod
    def _inhope_site_type(cls, value: object) -> object:
        # Other stages have their own site-type names ("file-locker"); map them, drop what has no match.
        return inhope_site_type(value) if isinstance(value, str) else value

    @model_validator(mode="after")
    def _status_matches_country(self) -> HostingFacts:
        if (self.country_status is CountryStatus.KNOWN) != (self.country is not None):
            raise ValueError("country_status 'known' goes with a country code, and only with one")
        if self.country_status is CountryStatus.UNKNOWN_BEHIND_CDN and not self.behind_cdn:
            raise ValueError("country_status 'unknown-behind-cdn' needs behind_cdn = true")
        return self

    @property
    def located(self) -> bool:
        """Known country, or hidden behind a CDN whose abuse desk can name the origin."""
        return self.country_status is not CountryStatus.UNKNOWN


class HashMatchFact(BaseModel):
    """One media item of the URL matched an entry of a hash list (input to auto-forward policies)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    media_ref: str
    list_name: str
    verdict: LegalAssessment
    trusted: bool = False
    distance: int = Field(default=0, ge=0)  # 0 for exact (cryptographic) matches
    confirmations: int = Field(default=0, ge=0)  # analysts who confirmed the list entry


class Facts(BaseModel):
    """Everything the rules may look at for one reported URL."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    classification: Classification | None = None  # None: not yet assessed
    hosting: HostingFacts = HostingFacts()
    from_partner: bool = False  # the report was forwarded to us by a partner hotline
    media_count: int = Field(default=0, ge=0)  # media items captured on the URL
    hash_matches: tuple[HashMatchFact, ...] = ()
    our_country: str = "RO"

    @field_validator("our_country")
    @classmethod
    def _normalise_our_country(cls, value: str) -> str:
        return normalise_country(value)
