"""The assessment form of the item page: reading it (the URL's verdict and one row per media item) and
checking it in the form's own words, so a mistake is shown next to the field with everything kept as
typed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from hotline.i18n import N_
from hotline.rules.taxonomy import AgeGroup, ContentType, Gender, LabelledEnum, LegalAssessment, SiteType

FIELDS: dict[str, type[LabelledEnum]] = {
    "legal": LegalAssessment,
    "content_type": ContentType,
    "site_type": SiteType,
    "age_group": AgeGroup,
    "gender": Gender,
}
ITEM_FIELDS = ("legal", "age_group")  # what an item may say differently from the URL's verdict
MAX_NOTES = 4000


def item_field(media_id: int, name: str) -> str:
    """The form name of one media item's field: item-12-legal."""
    return f"item-{media_id}-{name}"


@dataclass(frozen=True)
class FormError:
    """A sentence for one field, in the catalogue's words (translated when the page is rendered)."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)

    def __str__(self) -> str:
        return self.text % self.params if self.params else self.text


@dataclass
class AssessForm:
    """What the analyst typed, and what is wrong with it (field name -> sentence)."""

    values: dict[str, str] = field(default_factory=dict)
    items: dict[int, dict[str, str]] = field(default_factory=dict)
    errors: dict[str, FormError] = field(default_factory=dict)

    @property
    def classification(self) -> dict[str, str]:
        return {name: self.values.get(name, "") for name in (*FIELDS, "notes")}

    def item_classifications(self) -> dict[int, dict[str, str]]:
        return {media_id: fields for media_id, fields in self.items.items() if any(fields.values())}


def read(form: Mapping[str, Any], media_ids: list[int]) -> AssessForm:
    typed = AssessForm()
    for name in (*FIELDS, "notes", "media_item_id"):
        value = form.get(name, "")
        typed.values[name] = value.strip() if isinstance(value, str) and name != "notes" else str(value or "")
    for media_id in media_ids:
        typed.items[media_id] = {}
        for name in ITEM_FIELDS:
            value = form.get(item_field(media_id, name), "")
            typed.items[media_id][name] = value.strip() if isinstance(value, str) else ""
    _check(typed)
    return typed


def _check(typed: AssessForm) -> None:
    errors = typed.errors
    for name, enum in FIELDS.items():
        value = typed.values[name]
        if value and value not in {m.value for m in enum}:
            errors[name] = FormError(N_("Choose one of the listed values."))
    if not typed.values["legal"]:
        errors["legal"] = FormError(N_("Choose a legal assessment."))
    if len(typed.values["notes"]) > MAX_NOTES:
        errors["notes"] = FormError(N_("Notes can be at most %(most)s characters; they are %(now)s."),
                                    {"most": MAX_NOTES, "now": len(typed.values["notes"])})
    url_legal = typed.values["legal"]
    if _illegal(url_legal):
        if not typed.values["age_group"]:
            errors["age_group"] = FormError(N_("Choose an age group: an illegal assessment needs one "
                                               "(“Age not determined” when you cannot tell)."))
        if not typed.values["gender"]:
            errors["gender"] = FormError(N_("Choose a gender: an illegal assessment needs one "
                                            "(“Not determined” when you cannot tell)."))
    for media_id, fields in typed.items.items():
        for name in ITEM_FIELDS:
            if fields[name] and fields[name] not in {m.value for m in FIELDS[name]}:
                errors[item_field(media_id, name)] = FormError(N_("Choose one of the listed values."))
        if _illegal(fields["legal"]) and url_legal and not _illegal(url_legal):
            # The rules read the URL's verdict: an illegal item under a legal one would close the URL.
            errors[item_field(media_id, "legal")] = FormError(N_(
                "This item is illegal: choose an illegal verdict for the URL too (it is the most serious of its items)."))


def _illegal(legal: str) -> bool:
    return legal in (LegalAssessment.BASELINE.value, LegalAssessment.NATIONAL.value)
