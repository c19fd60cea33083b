"""Classification taxonomy, following ICCAM practice, with plain-language labels (English, Romanian).

Values are the stable strings stored in the database, written in rule files and typed on the command
line (`--legal baseline`). Labels are for people: `LegalAssessment.BASELINE.label("ro")`.
"""

from __future__ import annotations

from enum import StrEnum

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

LANGUAGES = ("en", "ro")


class LabelledEnum(StrEnum):
    """A str enum whose members carry a label per language."""

    def label(self, lang: str = "en") -> str:
        labels = _LABELS[self]
        return labels.get(lang, labels["en"])


class LegalAssessment(LabelledEnum):
    BASELINE = "baseline"
    NATIONAL = "national"
    NOT_ILLEGAL = "not-illegal"
    ADULT_MINORS = "adult-minors"
    OTHER_HARMFUL = "other-harmful"

    @property
    def is_illegal(self) -> bool:
        return self in (LegalAssessment.BASELINE, LegalAssessment.NATIONAL)


class ContentType(LabelledEnum):
    IMAGE = "image"
    VIDEO = "video"
    WEBSITE = "website"
    OTHER = "other"


class SiteType(LabelledEnum):
    """INHOPE's twelve site types."""

    WEBSITE = "website"
    IMAGE_HOST = "image-host"
    FILE_HOST = "file-host"
    FORUM = "forum"
    IMAGE_STORE = "image-store"
    BANNER_SITE = "banner-site"
    LINK_SITE = "link-site"
    SOCIAL_NETWORK = "social-network"
    BLOG = "blog"
    SEARCH_PROVIDER = "search-provider"
    REDIRECTOR = "redirector"
    WEB_ARCHIVE = "web-archive"


class AgeGroup(LabelledEnum):
    """ICCAM's apparent-age groups of the youngest child depicted."""

    INFANT_TODDLER = "infant-toddler"
    PRE_PUBESCENT = "pre-pubescent"
    PUBESCENT = "pubescent"
    UNKNOWN = "unknown"


class Gender(LabelledEnum):
    FEMALE = "female"
    MALE = "male"
    BOTH = "both"
    UNKNOWN = "unknown"


_LABELS: dict[LabelledEnum, dict[str, str]] = {
    LegalAssessment.BASELINE: {
        "en": "Illegal internationally (INTERPOL baseline)",
        "ro": "Ilegal la nivel internațional (criteriile INTERPOL)",
    },
    LegalAssessment.NATIONAL: {
        "en": "Illegal under national law only",
        "ro": "Ilegal doar conform legii naționale",
    },
    LegalAssessment.NOT_ILLEGAL: {"en": "Not illegal", "ro": "Nu este ilegal"},
    LegalAssessment.ADULT_MINORS: {
        "en": "Adult content accessible to minors",
        "ro": "Conținut pentru adulți accesibil minorilor",
    },
    LegalAssessment.OTHER_HARMFUL: {"en": "Other harmful content", "ro": "Alt conținut dăunător"},
    ContentType.IMAGE: {"en": "Image", "ro": "Imagine"},
    ContentType.VIDEO: {"en": "Video", "ro": "Video"},
    ContentType.WEBSITE: {"en": "Website", "ro": "Site web"},
    ContentType.OTHER: {"en": "Other", "ro": "Altul"},
    SiteType.WEBSITE: {"en": "Website", "ro": "Site web"},
    SiteType.IMAGE_HOST: {"en": "Image host", "ro": "Găzduire de imagini"},
    SiteType.FILE_HOST: {"en": "File host", "ro": "Găzduire de fișiere"},
    SiteType.FORUM: {"en": "Forum", "ro": "Forum"},
    SiteType.IMAGE_STORE: {"en": "Image store", "ro": "Magazin de imagini"},
    SiteType.BANNER_SITE: {"en": "Banner site", "ro": "Site de bannere"},
    SiteType.LINK_SITE: {"en": "Link site", "ro": "Site de linkuri"},
    SiteType.SOCIAL_NETWORK: {"en": "Social network", "ro": "Rețea socială"},
    SiteType.BLOG: {"en": "Blog", "ro": "Blog"},
    SiteType.SEARCH_PROVIDER: {"en": "Search provider", "ro": "Motor de căutare"},
    SiteType.REDIRECTOR: {"en": "Redirector", "ro": "Redirecționare"},
    SiteType.WEB_ARCHIVE: {"en": "Web archive", "ro": "Arhivă web"},
    AgeGroup.INFANT_TODDLER: {"en": "Infant or toddler", "ro": "Sugar sau copil mic"},
    AgeGroup.PRE_PUBESCENT: {"en": "Pre-pubescent", "ro": "Prepubertar"},
    AgeGroup.PUBESCENT: {"en": "Pubescent", "ro": "Pubertar"},
    AgeGroup.UNKNOWN: {"en": "Age not determined", "ro": "Vârstă nedeterminată"},
    Gender.FEMALE: {"en": "Female", "ro": "Feminin"},
    Gender.MALE: {"en": "Male", "ro": "Masculin"},
    Gender.BOTH: {"en": "Both", "ro": "Ambele"},
    Gender.UNKNOWN: {"en": "Not determined", "ro": "Nedeterminat"},
}


class Classification(BaseModel):
    """An analyst's (or a policy's) classification of one media item or URL.

    Age group and gender describe a child victim: required when the content is illegal (baseline or
    national), optional otherwise.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    legal: LegalAssessment
    content_type: ContentType | None = None
    site_type: SiteType | None = None
    age_group: AgeGroup | None = None
    gender: Gender | None = None
    notes: str = Field(default="", max_length=4000)

    @field_validator("notes", mode="before")
    @classmethod
    def _no_notes_is_empty(cls, value: object) -> object:
        return "" if value is None else value

    @model_validator(mode="after")
    def _victim_fields_match_legal(self) -> Classification:
        if self.legal.is_illegal:
            missing = [name for name in ("age_group", "gender") if getattr(self, name) is None]
            if missing:
                raise ValueError(
                    f"{' and '.join(missing)} required when legal is {self.legal.value} "
                    "(use 'unknown' if it cannot be determined)"
                )
        return self
