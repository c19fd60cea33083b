"""The classification taxonomy: values, labels in English and Romanian, validation."""

from __future__ import annotations

import pytest
from pydantic import ValidationError

from hotline.rules import AgeGroup, Classification, ContentType, Gender, LegalAssessment, SiteType

ALL_ENUMS = [LegalAssessment, ContentType, SiteType, AgeGroup, Gender]


def test_inhope_has_twelve_site_types() -> None:
    assert len(SiteType) == 12
    assert {"image-host", "file-host", "social-network", "web-archive", "redirector"} <= set(SiteType)


@pytest.mark.parametrize("enum", ALL_ENUMS, ids=lambda e: e.__name__)
def test_every_value_has_english_and_romanian_labels(enum) -> None:
    for member in enum:
        english, romanian = member.label("en"), member.label("ro")
        assert english and romanian
        assert member.label("de") == english  # unknown language falls back to English


def test_labels_read_as_plain_language() -> None:
    assert LegalAssessment.BASELINE.label() == "Illegal internationally (INTERPOL baseline)"
    assert LegalAssessment.ADULT_MINORS.label("ro") == "Conținut pentru adulți accesibil minorilor"


def test_illegal_classification_needs_age_group_and_gender() -> None:
    with pytest.raises(ValidationError, match="age_group and gender required when legal is baseline"):
        Classification(legal="baseline")
    with pytest.raises(ValidationError, match="gender required when legal is national"):
        Classification(legal="national", age_group="pubescent")


def test_other_assessments_need_no_victim_fields() -> None:
    for legal in ("not-illegal", "adult-minors", "other-harmful"):
        assert Classification(legal=legal).age_group is None


def test_full_classification_round_trips_as_strings() -> None:
    classification = Classification(
        legal="baseline", content_type="video", site_type="forum", age_group="infant-toddler",
        gender="both", notes="seen twice",
    )
    data = classification.model_dump(mode="json")
    assert data == {"legal": "baseline", "content_type": "video", "site_type": "forum",
                    "age_group": "infant-toddler", "gender": "both", "notes": "seen twice"}
    assert Classification.model_validate(data) == classification


def test_unknown_values_and_keys_are_refused() -> None:
    with pytest.raises(ValidationError, match="legal"):
        Classification(legal="illegal")
    with pytest.raises(ValidationError, match="colour"):
        Classification(legal="not-illegal", colour="red")


def test_missing_notes_read_as_empty() -> None:
    assert Classification(legal="not-illegal", notes=None).notes == ""
