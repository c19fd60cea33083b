"""E-mail channel for police and ANCOM: a bilingual notice (Romanian first, then English) with a CSV
of the items and their hashes. The material itself is never attached, and URLs in the body are
defanged (hxxps://host[.]ro) so nobody opens one by accident; the CSV keeps them exact.
"""

from __future__ import annotations

import csv
import io
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.message import EmailMessage
from email.utils import format_datetime, formataddr
from functools import cache
from typing import Any

import jinja2

from .base import Notice, NoticeItem, Receipt
from .smtp import SmtpOptions, deliver, message_id_for, parse_recipients

# The attached CSV is a published format (recipients import it): its hash columns are listed here, by
# version, so a new internal hash kind never adds a column silently.
CSV_VERSION = 1
CSV_HASH_KINDS: dict[int, tuple[str, ...]] = {1: ("md5", "sha1", "sha256", "phash", "dhash", "pdq")}
CSV_COLUMNS = ("reference", "item", "url", "captured_at", "category", "severity", "ips", "country",
               "asn", "provider", "abuse_email", *CSV_HASH_KINDS[CSV_VERSION])

# Category labels in both languages; unknown categories are shown as given.
CATEGORY_LABELS: dict[str, tuple[str, str]] = {
    "csam": ("material cu abuz sexual asupra copiilor", "child sexual abuse material"),
    "csem": ("exploatare sexuală a copiilor", "child sexual exploitation"),
    "grooming": ("racolarea copiilor în scop sexual (grooming)", "grooming of children"),
    "adult_unprotected": ("conținut pentru adulți accesibil copiilor", "adult content open to children"),
    "other": ("alt conținut ilegal", "other illegal content"),
}

# (Romanian, English) opening paragraph per destination kind.
INTROS: dict[str, tuple[str, str]] = {
    "police": (
        ("Stimate doamne și domni,\n\n{org} vă transmite spre investigare adresele de mai jos, evaluate de "
        "analiștii noștri ca fiind conținut ilegal."),
        ("Dear Sir or Madam,\n\n{org} refers the URLs below, assessed by our analysts as illegal "
        "content, to you for investigation."),
    ),
    "regulator": (
        ("Stimate doamne și domni,\n\n{org} vă transmite adresele de mai jos, evaluate de analiștii noștri "
        "ca fiind conținut ilegal, în vederea luării măsurilor prevăzute de lege."),
        ("Dear Sir or Madam,\n\n{org} sends you the URLs below, assessed by our analysts as illegal "
        "content, for the measures provided by law."),
    ),
}
DEFAULT_INTRO = (
    ("Stimate doamne și domni,\n\n{org} vă semnalează adresele de mai jos, evaluate de analiștii noștri "
    "ca fiind conținut ilegal, și vă roagă să le eliminați."),
    ("Dear Sir or Madam,\n\n{org} notifies you of the URLs below, assessed by our analysts as illegal "
    "content, and asks you to remove them."),
)

_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class EmailForwarder:
    """Sends police / ANCOM notices to `notice.destination_address` (comma-separated addresses)."""

    smtp: SmtpOptions
    organisation: str = "Hotline"
    contact: str = ""  # e.g. "sesizari@example.ro, +40 ..." printed under the text
    html: bool = False

    def send(self, notice: Notice) -> Receipt:
        recipients = parse_recipients(notice.destination_address)
        message = build_notice_email(notice, self.smtp.sender, self.organisation, self.contact, self.html)
        message["To"] = ", ".join(recipients)
        return deliver(self.smtp, message, recipients)


def build_notice_email(
    notice: Notice, sender: str, organisation: str, contact: str = "", html: bool = False
) -> EmailMessage:
    """The complete message except To: headers, bilingual body, CSV attachment."""
    csv_name = f"{_file_safe(notice.reference)}-items.csv"
    context = _template_context(notice, organisation, contact, csv_name)
    message = EmailMessage()
    message["From"] = formataddr((organisation, sender))
    message["Subject"] = (f"[{notice.reference}] Sesizare conținut ilegal / Illegal content notice "
                          f"({len(notice.items)} URL)")
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id_for(notice.idempotency_key, sender.rpartition("@")[2] or "localhost")
    message["Auto-Submitted"] = "auto-generated"
    message["X-Hotline-Reference"] = notice.reference
    message.set_content(_templates().get_template("notice.txt").render(context))
    if html:
        message.add_alternative(_templates().get_template("notice.html").render(context), subtype="html")
    message.add_attachment(items_csv(notice), maintype="text", subtype="csv", filename=csv_name,
                           params={"charset": "utf-8"})
    message["Content-Language"] = "ro, en"  # after the body: making it multipart moves Content-* down
    return message


def items_csv(notice: Notice) -> bytes:
    """One row per item with its exact URL, hosting and hashes (UTF-8, header row first)."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(CSV_COLUMNS)
    for number, item in enumerate(notice.items, start=1):
        hosting, classification = item.hosting, item.classification
        row = [notice.reference, number, item.url, _iso(item.captured_at),
               classification.get("category", ""), classification.get("severity", ""),
               " ".join(hosting.get("ips") or []), hosting.get("country", ""), hosting.get("asn", ""),
               hosting.get("provider", ""), hosting.get("abuse_email", ""),
               *(item.hashes.get(kind, "") for kind in CSV_HASH_KINDS[CSV_VERSION])]
        writer.writerow([_no_formula(value) for value in row])
    return out.getvalue().encode("utf-8")


def defang(url: str) -> str:
    """hxxps://host[.]ro/path: readable, not clickable."""
    fanged = re.sub(r"^http", "hxxp", url, flags=re.IGNORECASE)
    scheme, sep, rest = fanged.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}{sep}{host.replace('.', '[.]')}{slash}{path}" if sep else fanged.replace(".", "[.]")


def _template_context(notice: Notice, organisation: str, contact: str, csv_name: str) -> dict[str, Any]:
    intro_ro, intro_en = INTROS.get(notice.destination_kind, DEFAULT_INTRO)
    return {
        "reference": notice.reference, "note": notice.note, "csv_name": csv_name,
        "organisation": organisation, "contact": contact,
        "intro_ro": intro_ro.format(org=organisation), "intro_en": intro_en.format(org=organisation),
        "items": [_item_view(item) for item in notice.items],
    }


def _item_view(item: NoticeItem) -> dict[str, Any]:
    category = str(item.classification.get("category", "other"))
    ro, en = CATEGORY_LABELS.get(category, (category, category))
    return {
        "url_defanged": defang(item.url), "category_ro": ro, "category_en": en,
        "severity": item.classification.get("severity"), "country": item.hosting.get("country"),
        "provider": item.hosting.get("provider"), "asn": item.hosting.get("asn"),
        "ips": ", ".join(item.hosting.get("ips") or []),
        "captured": item.captured_at.astimezone(UTC).strftime("%Y-%m-%d %H:%M:%S UTC")
        if item.captured_at else None,
    }


@cache
def _templates() -> jinja2.Environment:
    return jinja2.Environment(
        loader=jinja2.PackageLoader("forwarders", "templates"),
        autoescape=jinja2.select_autoescape(["html"]),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=True,
    )


def _no_formula(value: object) -> str:
    """Hosting data comes from strangers: keep a spreadsheet from running '=HYPERLINK(...)'."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_START) else text


def _iso(when: datetime | None) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z") if when else ""


def _file_safe(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-") or "notice"
