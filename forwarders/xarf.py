"""X-ARF v4 reports for hosting providers, platforms and content owners.

One report per item (abuse desks parse one report per message): category `content`, type `csam`
(classification.severity -> X-ARF `classification`) or `csem` (grooming and other exploitation;
classification.exploitation_type, default "grooming" for category "grooming"). Each report is
validated against the X-ARF v4 schemas shipped in `forwarders/schemas/xarf/` (draft 2020-12, $refs
resolved through a `referencing` registry: no network) before it leaves.

Reports never carry media (no `evidence` payloads): URL, hosting facts and hashes only. The report_id
is a UUID derived from the idempotency key and the item number, so a resend carries the same id.
"""

from __future__ import annotations

import json
import re
import uuid
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.message import EmailMessage, MIMEPart
from email.utils import format_datetime, formataddr
from functools import cache
from importlib import resources
from importlib.resources.abc import Traversable
from pathlib import Path
from typing import Any, cast
from urllib.parse import urlsplit

import jsonschema
import referencing
import requests
from jsonschema.exceptions import best_match
from referencing.jsonschema import DRAFT202012

from . import _http
from ._http import HttpOptions
from .base import Notice, NoticeItem, PermanentFailure, Receipt, asn_number
from .smtp import SmtpOptions, deliver, message_id_for, parse_recipients

XARF_VERSION = "4.2.0"
# The hash kinds our X-ARF reports carry in hash_values, by X-ARF version: a published format.
HASH_KINDS: dict[str, tuple[str, ...]] = {"4.2.0": ("md5", "sha1", "sha256", "pdq")}
# Only csam's schema has hash_values (open to more kinds, so PDQ fits); on csem it is an unknown field.
TYPES_WITH_HASHES = frozenset({"csam"})
MASTER_SCHEMA_ID = "https://xarf.org/schemas/v4/xarf-v4-master.json"
USER_AGENT = "hotline-xarf/1"  # ARF's User-Agent: what generated the report
# Our reference travels as a tag (X-ARF has no field for the reporter's own reference).
REFERENCE_TAG = "hotline-reference:"
_DOMAIN = re.compile(r"^([a-z0-9]+(-[a-z0-9]+)*\.)+[a-z]{2,}$")  # the schema's `domain` pattern
_UUID_NAMESPACE = uuid.UUID("6f1b0e53-3c47-4c1e-9b8a-5a8f2f4b7d10")  # ours: report ids never collide

CSAM_DETECTION = {"hash_match", "ai_detection", "manual_review", "user_report", "automated_scan"}
CSEM_DETECTION = {"behavioral_analysis", "keyword_detection", "user_report", "ai_detection",
                  "manual_review", "law_enforcement_referral"}


class XarfError(ValueError):
    """A notice cannot become a valid X-ARF report (unmapped category or schema violation)."""


@dataclass(frozen=True, slots=True)
class XarfContact:
    """X-ARF `reporter` / `sender`: organisation, contact e-mail, domain."""

    org: str
    contact: str
    domain: str

    def as_dict(self) -> dict[str, str]:
        return {"org": self.org, "contact": self.contact, "domain": self.domain}


def build_reports(notice: Notice, reporter: XarfContact, sender: XarfContact | None = None,
                  now: datetime | None = None) -> list[dict[str, Any]]:
    """One validated X-ARF report per item; raises XarfError."""
    reports = [build_report(notice, number, item, reporter, sender, now)
               for number, item in enumerate(notice.items, start=1)]
    for report in reports:
        validate_report(report)
    return reports


def build_report(notice: Notice, number: int, item: NoticeItem, reporter: XarfContact,
                 sender: XarfContact | None = None, now: datetime | None = None) -> dict[str, Any]:
    """The X-ARF report for one item (not yet validated)."""
    host = (urlsplit(item.url).hostname or "").lower()
    ips = list(item.hosting.get("ips") or [])
    when = item.captured_at or now or datetime.now(UTC)
    report: dict[str, Any] = {
        "xarf_version": XARF_VERSION,
        "report_id": str(uuid.uuid5(_UUID_NAMESPACE, f"{notice.idempotency_key}/{number}")),
        "timestamp": _iso(when),
        "reporter": reporter.as_dict(),
        "sender": (sender or reporter).as_dict(),
        "source_identifier": ips[0] if ips else host,
        "category": "content",
        "url": item.url,
        "evidence_source": "manual_review",
        "verified_at": _iso(when),
        "verification_method": "manual",
        "description": (f"{reporter.org} reference {notice.reference}, item {number}: assessed by an "
                        "analyst as illegal; please remove it. No media attached: URL and hashes only."),
    }
    report.update(_type_fields(item.classification))
    hashes = {kind: item.hashes[kind].lower() for kind in HASH_KINDS[XARF_VERSION] if item.hashes.get(kind)}
    if hashes and report["type"] in TYPES_WITH_HASHES:
        report["hash_values"] = hashes
    if _DOMAIN.match(host):
        report["domain"] = host
    _add_hosting(report, item.hosting)
    severity = item.classification.get("severity")
    report["tags"] = [f"hotline:{report['type']}", reference_tag(notice.reference)] + (
        [f"classification:{str(severity).lower()}"] if severity else [])
    return report


def reference_tag(reference: str) -> str:
    """`hotline-reference:hl-2026-…`: X-ARF tags are lower case (our references match either way)."""
    return REFERENCE_TAG + (re.sub(r"[^a-z0-9_+-]+", "-", reference.lower()).strip("-_+") or "none")


def _type_fields(classification: Mapping[str, Any]) -> dict[str, Any]:
    category = str(classification.get("category", ""))
    detection = str(classification.get("detection_method") or "manual_review")
    media_type = classification.get("media_type")
    if category == "csam":
        severity = classification.get("severity")
        if not severity:
            raise XarfError("a csam item needs classification.severity (baseline, A1, A2, B1 or B2)")
        fields: dict[str, Any] = {"type": "csam", "classification": severity,
                                  "detection_method": detection if detection in CSAM_DETECTION
                                  else "manual_review"}
        if media_type:
            fields["media_type"] = media_type
        return fields
    if category in ("csem", "grooming"):
        exploitation = classification.get("exploitation_type") or ("grooming" if category == "grooming"
                                                                    else None)
        if not exploitation:
            raise XarfError("a csem item needs classification.exploitation_type (e.g. grooming)")
        return {"type": "csem", "exploitation_type": exploitation,
                "detection_method": detection if detection in CSEM_DETECTION else "manual_review"}
    raise XarfError(f"no X-ARF content type for category {category!r}; send it by e-mail instead")


def _add_hosting(report: dict[str, Any], hosting: Mapping[str, Any]) -> None:
    if hosting.get("provider"):
        report["hosting_provider"] = str(hosting["provider"])
    asn = asn_number(hosting.get("asn"))
    if asn is not None:
        report["asn"] = asn
    country = str(hosting.get("country") or "").upper()
    if re.fullmatch(r"[A-Z]{2}", country):
        report["country_code"] = country


# --- validation ---------------------------------------------------------------------------------

def validate_report(report: Mapping[str, Any], schema_dir: Path | None = None) -> None:
    """Raise XarfError naming the first problem; `schema_dir` swaps in another copy of schemas/v4."""
    validator = _validator(str(schema_dir) if schema_dir else None)
    error = best_match(validator.iter_errors(report))
    if error is not None:
        where = "/" + "/".join(str(p) for p in error.absolute_path)
        message = error.message
        if len(message) > 200:  # anyOf/oneOf messages quote the whole report: name the rule instead
            rule = "/".join(str(p) for p in error.schema_path)
            message = (f"fails schema rule {rule} (category {report.get('category')!r}, "
                       f"type {report.get('type')!r})")
        raise XarfError(f"X-ARF report invalid at {where}: {message}")


@cache
def _validator(schema_dir: str | None) -> jsonschema.protocols.Validator:
    root: Traversable = Path(schema_dir) if schema_dir else resources.files("forwarders") / "schemas/xarf/v4"
    schemas = {doc["$id"]: doc for doc in _json_files(root)}
    registry: referencing.Registry[Any] = referencing.Registry().with_resources(
        (uri, DRAFT202012.create_resource(doc)) for uri, doc in schemas.items())
    master = schemas[MASTER_SCHEMA_ID]
    validator_class = jsonschema.validators.validator_for(master)
    validator: jsonschema.protocols.Validator = validator_class(
        master, registry=registry, format_checker=validator_class.FORMAT_CHECKER)
    return validator


def _json_files(folder: Traversable) -> Iterator[dict[str, Any]]:
    for entry in folder.iterdir():
        if entry.is_dir():
            yield from _json_files(entry)
        elif entry.name.endswith(".json"):
            loaded: dict[str, Any] = json.loads(entry.read_text(encoding="utf-8"))
            yield loaded


# --- sending --------------------------------------------------------------------------------------

@dataclass
class XarfEmailForwarder:
    """One message per item to `notice.destination_address` (the abuse contact), report as JSON attachment."""

    smtp: SmtpOptions
    reporter: XarfContact
    sender: XarfContact | None = None

    def send(self, notice: Notice) -> Receipt:
        recipients = parse_recipients(notice.destination_address)
        reports = _reports_or_permanent(notice, self.reporter, self.sender)
        receipts = []
        for number, report in enumerate(reports, start=1):
            message = xarf_email(notice, number, report, self.smtp.sender, self.reporter.org)
            message["To"] = ", ".join(recipients)
            receipts.append(deliver(self.smtp, message, recipients))
        return _combined(receipts)


def xarf_email(notice: Notice, number: int, report: Mapping[str, Any], sender: str, org: str) -> EmailMessage:
    """The X-ARF v4 mail binding: `multipart/report; report-type=feedback-report` (RFC 6522) holding a
    human text, a `message/feedback-report` part saying `Feedback-Type: xarf` (so ARF parsers hand the
    message to an X-ARF parser, and plain ARF parsers leave it alone) and the report as `xarf.json`."""
    message = EmailMessage()
    message["From"] = formataddr((org, sender))
    message["Subject"] = f"[{notice.reference}] X-ARF abuse report: content/{report['type']} ({number}/" \
                         f"{len(notice.items)})"
    message["Date"] = format_datetime(datetime.now(UTC))
    message["Message-ID"] = message_id_for(notice.idempotency_key, sender.rpartition("@")[2] or "localhost",
                                           part=number)
    message["Auto-Submitted"] = "auto-generated"
    message.set_content(
        f"{org} reports content assessed by an analyst as illegal ({report['type']}) and asks for its "
        f"removal.\n\nReport id: {report['report_id']}\nOur reference: {notice.reference}\nURL: "
        f"{report['url']}\n\nThe machine-readable X-ARF v4 report is attached (xarf.json). No media is "
        "attached.\n"
    )
    message.make_mixed()  # a container holding the text; it becomes the report below
    message.set_type("multipart/report")
    message.set_param("report-type", "feedback-report")
    message.attach(cast(EmailMessage, _feedback_report_part()))  # typeshed: attach wants the subclass
    json_part = MIMEPart()
    json_part.set_content(json.dumps(report, indent=2, ensure_ascii=False).encode("utf-8"), maintype="application",
                          subtype="json", disposition="attachment", filename="xarf.json", params={"name": "xarf.json"})
    message.attach(cast(EmailMessage, json_part))
    return message


def _feedback_report_part() -> MIMEPart:
    """RFC 5965's machine-readable part with X-ARF's own (unregistered) feedback type."""
    part = MIMEPart()
    part["Content-Type"] = "message/feedback-report"
    part["Content-Disposition"] = "inline"
    part.set_payload(f"Feedback-Type: xarf\nUser-Agent: {USER_AGENT}\nVersion: 1\n")
    return part


@dataclass
class XarfHttpForwarder:
    """POSTs each report to a platform's reporting endpoint (`endpoint`, or the notice's address)."""

    reporter: XarfContact
    sender: XarfContact | None = None
    endpoint: str | None = None
    headers: Mapping[str, str] = field(default_factory=dict)  # e.g. {"Authorization": "Bearer ..."}
    http: HttpOptions = field(default_factory=HttpOptions)
    session: requests.Session | None = None

    def send(self, notice: Notice) -> Receipt:
        reports = _reports_or_permanent(notice, self.reporter, self.sender)
        if self.session is None:
            self.session = _http.new_session(self.http)
        receipts = []
        for number, report in enumerate(reports, start=1):
            headers = {"Content-Type": "application/json", **self.headers,
                       "Idempotency-Key": f"{notice.idempotency_key}.{number}"}
            body = json.dumps(report, sort_keys=True, separators=(",", ":")).encode("utf-8")
            response = _http.post(self.session, self.endpoint or notice.destination_address, body, headers,
                                  self.http)
            receipts.append(Receipt(id=_platform_id(response) or str(report["report_id"]),
                                    text=response.text[:500], received_at=datetime.now(UTC),
                                    duplicate=response.status_code == 409))
        return _combined(receipts)


def _platform_id(response: requests.Response) -> str:
    try:
        answer = response.json()
    except ValueError:
        return ""
    if isinstance(answer, dict):
        for key in ("receipt", "id", "report_id", "ticket"):
            if answer.get(key):
                return str(answer[key])
    return ""


def _reports_or_permanent(notice: Notice, reporter: XarfContact,
                          sender: XarfContact | None) -> list[dict[str, Any]]:
    try:
        return build_reports(notice, reporter, sender)
    except XarfError as exc:
        raise PermanentFailure(f"notice {notice.reference}: {exc}") from exc


def _combined(receipts: list[Receipt]) -> Receipt:
    """One receipt for the forward: ids and answers of every message, in item order."""
    return Receipt(id=" ".join(r.id for r in receipts), text=" | ".join(r.text for r in receipts),
                   received_at=receipts[-1].received_at, duplicate=all(r.duplicate for r in receipts))


def _iso(when: datetime) -> str:
    return when.astimezone(UTC).isoformat().replace("+00:00", "Z")
