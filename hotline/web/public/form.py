"""The public report form: reading and checking what the reporter typed, with no web framework in sight.

Messages are English source strings marked with N_ and translated when the page is rendered, so the
same checks serve both languages.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass, field
from typing import Any

from hotline.i18n import N_
from hotline.pipeline.intake import MAX_URLS_PER_REPORT, REPORT_CATEGORIES, Rejected, check_urls

# The codes triage reads (hotline.triage.facts.PROVISIONAL_LEGAL); labels are in routes.py.
CATEGORIES = REPORT_CATEGORIES
MAX_BODY_BYTES = 64 * 1024  # the whole form as sent
MAX_URLS_CHARS = 20_000
MAX_DESCRIPTION_CHARS = 5_000
MAX_CONTACT_CHARS = 320
MAX_FIELD_CHARS = 200  # hidden fields: token, honeypot, consent, category
FIELD_NAMES = ("urls", "category", "description", "contact", "consent", "website", "csrf_token", "submission")
_SUBMISSION = re.compile(r"^[A-Za-z0-9_-]{16,64}$")

# Control characters are dropped; newlines and tabs survive only where a field has several lines.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff]")
_CONTROL_SINGLE_LINE = re.compile(r"[\x00-\x1f\x7f-\x9f\u200b\u2028\u2029\ufeff]")


@dataclass(frozen=True)
class Message:
    """A translatable message and its parameters (`text % params` after translation)."""

    text: str
    params: dict[str, Any] = field(default_factory=dict)


@dataclass
class ReportForm:
    urls_text: str = ""
    category: str = ""
    description: str = ""
    contact: str = ""
    consent: bool = False
    honeypot: str = ""
    csrf_token: str = ""
    # Random per page: the same form sent twice (double click, reload) makes one report.
    submission: str = ""


@dataclass
class CheckedForm:
    form: ReportForm
    errors: dict[str, Message] = field(default_factory=dict)
    urls: list[str] = field(default_factory=list)  # valid lines, as typed
    rejected: list[Rejected] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors


def clean_text(value: str, *, multiline: bool) -> str:
    """NFC-normalised, without control characters, with Unix newlines, trimmed."""
    text = unicodedata.normalize("NFC", value.replace("\r\n", "\n").replace("\r", "\n"))
    text = (_CONTROL if multiline else _CONTROL_SINGLE_LINE).sub("", text)
    return text.strip()


def read_form(fields: dict[str, list[str]]) -> ReportForm:
    """Take the first value of each known field; unknown fields are ignored."""

    def first(name: str) -> str:
        values = fields.get(name) or [""]
        return values[0]

    return ReportForm(
        urls_text=clean_text(first("urls"), multiline=True),
        category=clean_text(first("category"), multiline=False)[:MAX_FIELD_CHARS],
        description=clean_text(first("description"), multiline=True),
        contact=clean_text(first("contact"), multiline=False),
        consent=first("consent") == "yes",
        honeypot=first("website")[:MAX_FIELD_CHARS],
        csrf_token=first("csrf_token")[:1000],
        submission=first("submission") if _SUBMISSION.match(first("submission")) else "",
    )


def check_form(form: ReportForm) -> CheckedForm:
    checked = CheckedForm(form=form)
    _check_urls(checked)
    if form.category not in CATEGORIES:
        checked.errors["category"] = Message(N_("Choose what you saw."))
    if len(form.description) > MAX_DESCRIPTION_CHARS:
        checked.errors["description"] = Message(
            N_("The description is too long: at most %(max)d characters, you wrote %(count)d."),
            {"max": MAX_DESCRIPTION_CHARS, "count": len(form.description)},
        )
    if len(form.contact) > MAX_CONTACT_CHARS:
        checked.errors["contact"] = Message(
            N_("The contact details are too long: at most %(max)d characters."), {"max": MAX_CONTACT_CHARS}
        )
    if not form.consent:
        checked.errors["consent"] = Message(N_("Tick the box to agree, so that we can handle your report."))
    return checked


def _check_urls(checked: CheckedForm) -> None:
    text = checked.form.urls_text
    if len(text) > MAX_URLS_CHARS:
        checked.errors["urls"] = Message(
            N_("The list of addresses is too long: at most %(max)d characters."), {"max": MAX_URLS_CHARS}
        )
        return
    lines = [line.strip() for line in text.split("\n") if line.strip()]
    if not lines:
        checked.errors["urls"] = Message(N_("Enter at least one web address (URL)."))
        return
    if len(lines) > MAX_URLS_PER_REPORT:
        checked.errors["urls"] = Message(
            N_("Enter at most %(max)d addresses in one report."), {"max": MAX_URLS_PER_REPORT}
        )
        return
    accepted, rejected = check_urls(lines)
    checked.urls = [typed for typed, _url in accepted]
    checked.rejected = rejected
    if rejected:
        # The valid lines stay in the field; the others are listed with the reason.
        checked.form.urls_text = "\n".join(checked.urls)
        checked.errors["urls"] = Message(
            N_("Some addresses cannot be used. Correct them and add them again, or send the report without them.")
        )


def url_reason(reason: str) -> str:
    """A plain-language, translatable reason for a URL the normaliser refused."""
    for needle, message in _URL_REASONS:
        if needle in reason:
            return message
    return N_("This is not a web address we can check.")


_URL_REASONS: tuple[tuple[str, str], ...] = (
    ("longer than", N_("The address is too long.")),
    ("control characters", N_("The address contains characters that cannot be part of a web address.")),
    ("malformed", N_("The address is not written correctly.")),
    ("only http and https", N_("Only addresses that start with http:// or https:// can be reported.")),
    ("no host name", N_("The address has no site name.")),
    ("has no domain", N_("The site name has no ending such as .ro or .com.")),
    ("is not valid", N_("The site name is not valid.")),
    ("port", N_("The port number is not valid.")),
    ("at most", N_("Too many addresses in one report.")),
)
