"""X-ARF reports: built from notices, valid against the reference schemas, sent by mail or HTTP."""

from __future__ import annotations

import email
import email.policy
import json
from pathlib import Path

import pytest
import xarf
from fwd_support import PartnerEndpoint, SmtpServer, synthetic_item

from forwarders.base import PermanentFailure, TemporaryFailure
from forwarders.smtp import SmtpOptions
from forwarders.xarf import (
    HASH_KINDS,
    XARF_VERSION,
    XarfContact,
    XarfEmailForwarder,
    XarfError,
    XarfHttpForwarder,
    build_reports,
    validate_report,
)

REFERENCE = Path(__file__).resolve().parents[2].parent / "shared" / "reference" / "xarf"
PACKAGED = Path(__file__).resolve().parents[2] / "forwarders" / "schemas" / "xarf"
needs_reference = pytest.mark.skipif(not REFERENCE.is_dir(),
                                     reason=f"X-ARF reference schemas not found at {REFERENCE}")
US = XarfContact("Hotline Sintetic", "sesizari@hotline-synth.ro", "hotline-synth.ro")


def grooming_item() -> object:
    return synthetic_item(3, classification={"category": "grooming", "detection_method": "user_report"})


@needs_reference
def test_our_reports_validate_against_the_reference_schemas(make_notice) -> None:
    # Given a notice with a csam item and a grooming item
    notice = make_notice(kind="hosting-provider", address="abuse@hosting-synth.ro",
                         items=[synthetic_item(1), grooming_item()])
    # When we build X-ARF reports
    csam, csem = build_reports(notice, US)
    # Then they are valid against the schemas in ../shared, not only against our packaged copy
    for report in (csam, csem):
        validate_report(report, schema_dir=REFERENCE / "schemas" / "v4")
    assert (csam["category"], csam["type"], csam["classification"]) == ("content", "csam", "A1")
    assert csam["hash_values"]["sha256"] == notice.items[0].hashes["sha256"]
    assert csam["source_identifier"] == "5.2.130.10" and csam["country_code"] == "RO"
    assert (csem["type"], csem["exploitation_type"], csem["detection_method"]) == \
        ("csem", "grooming", "user_report")
    assert "evidence" not in csam  # never media


@needs_reference
@pytest.mark.parametrize("sample", ["content-csam.json", "content-csem.json"])
def test_packaged_validator_accepts_the_reference_samples(sample: str) -> None:
    validate_report(json.loads((REFERENCE / "samples" / "v4" / sample).read_text()))


@needs_reference
def test_packaged_schemas_match_the_reference_copy() -> None:
    reference = sorted(p.relative_to(REFERENCE / "schemas") for p in (REFERENCE / "schemas").rglob("*.json"))
    for relative in reference:
        assert (PACKAGED / relative).read_bytes() == (REFERENCE / "schemas" / relative).read_bytes(), relative
    assert (PACKAGED / "LICENSE").read_bytes() == (REFERENCE / "LICENSE").read_bytes()


@pytest.mark.parametrize(("change", "complaint"), [
    (lambda r: r.pop("classification"), "'classification' is a required property"),
    (lambda r: r.update(classification="Z9"), "/classification"),
    (lambda r: r.update(type="nonsense"), "type 'nonsense'"),
    (lambda r: r.update(report_id="not-a-uuid"), "/report_id"),
    (lambda r: r["hash_values"].update(sha256="abc"), "/hash_values/sha256"),
    (lambda r: r["reporter"].pop("contact"), "/reporter"),
])
def test_invalid_reports_are_rejected(make_notice, change, complaint: str) -> None:  # type: ignore[no-untyped-def]
    [report] = build_reports(make_notice(items=1), US)
    change(report)
    with pytest.raises(XarfError, match="X-ARF report invalid") as caught:
        validate_report(report)
    assert complaint in str(caught.value) and len(str(caught.value)) < 300


def test_report_ids_are_stable_across_resends(make_notice) -> None:
    notice = make_notice(items=2)
    first, again = build_reports(notice, US), build_reports(notice, US)
    assert [r["report_id"] for r in first] == [r["report_id"] for r in again]
    assert first[0]["report_id"] != first[1]["report_id"]


@pytest.mark.parametrize(("classification", "complaint"), [
    ({"category": "csam"}, "needs classification.severity"),
    ({"category": "csem"}, "needs classification.exploitation_type"),
    ({"category": "adult_unprotected"}, "no X-ARF content type"),
])
def test_unmappable_items_are_refused_clearly(make_notice, classification: dict[str, str],
                                              complaint: str) -> None:
    notice = make_notice(items=[synthetic_item(1, classification=classification)])
    with pytest.raises(XarfError, match=complaint):
        build_reports(notice, US)


def test_sent_by_mail_to_the_abuse_contact_as_json_attachment(smtp_server: SmtpServer, make_notice) -> None:
    # Given a hosting notice with two items
    notice = make_notice(kind="hosting-provider", address="abuse@hosting-synth.ro", key="fwd-xarf-0001")
    smtp = SmtpOptions("127.0.0.1", smtp_server.port, sender="sesizari@hotline-synth.ro", timeout=5)
    # When it is sent
    receipt = XarfEmailForwarder(smtp, US).send(notice)
    # Then each item went as its own message with a valid X-ARF JSON attachment
    messages = [email.message_from_bytes(m.content, policy=email.policy.default)
                for m in smtp_server.handler.messages]
    assert [m["To"] for m in messages] == ["abuse@hosting-synth.ro"] * 2
    assert [m["Message-ID"] for m in messages] == ["<hotline.fwd-xarf-0001.1@hotline-synth.ro>",
                                                   "<hotline.fwd-xarf-0001.2@hotline-synth.ro>"]
    assert receipt.id.split() == [m["Message-ID"] for m in messages]
    for message, item in zip(messages, notice.items, strict=True):
        report = xarf_json(message)
        validate_report(report)
        assert report["url"] == item.url


def xarf_json(message: email.message.EmailMessage) -> dict[str, object]:
    """The report of an X-ARF v4 mail, after checking the binding's MIME structure part by part."""
    assert message.get_content_type() == "multipart/report"
    assert message.get_param("report-type") == "feedback-report"
    assert "X-XARF" not in message  # the header of X-ARF 0.2, not of v4's binding
    human, feedback, attachment = message.iter_parts()  # exactly three, in this order
    assert human.get_content_type() == "text/plain"
    assert feedback.get_content_type() == "message/feedback-report"
    fields = {k.lower(): str(v) for sub in feedback.get_payload() for k, v in sub.items()}
    assert fields == {"feedback-type": "xarf", "user-agent": "hotline-xarf/1", "version": "1"}
    assert attachment.get_content_type() == "application/json"
    assert attachment.get_filename() == "xarf.json" and attachment.get_content_disposition() == "attachment"
    report: dict[str, object] = json.loads(attachment.get_content())
    assert str(report["report_id"]) in human.get_content()
    return report


@pytest.mark.parametrize("items", [[synthetic_item(1)], [grooming_item()]], ids=["csam", "csem"])
def test_the_xarf_library_parses_our_reports_without_errors_or_warnings(  # type: ignore[no-untyped-def]
        make_notice, items) -> None:
    [report] = build_reports(make_notice(items=items, reference="HL-2026-ABCD-EF12"), US)

    parsed = xarf.parse(json.dumps(report), strict=False)

    assert (parsed.errors, parsed.warnings) == ([], [])
    assert parsed.report is not None and parsed.report.report_id == report["report_id"]
    assert "hotline-reference:hl-2026-abcd-ef12" in report["tags"]
    assert "reporter_reference" not in report


def test_pdq_travels_in_hash_values_of_a_csam_report(make_notice) -> None:
    [csam, csem] = build_reports(make_notice(items=[synthetic_item(1), grooming_item()]), US)

    assert set(csam["hash_values"]) == set(HASH_KINDS[XARF_VERSION]) and "pdq" in csam["hash_values"]
    assert "hash_values" not in csem  # csem's schema has no such field


def test_unmappable_notice_is_a_permanent_failure_and_nothing_is_sent(smtp_server: SmtpServer,
                                                                      make_notice) -> None:
    notice = make_notice(kind="hosting-provider", address="abuse@hosting-synth.ro",
                         items=[synthetic_item(1, classification={"category": "other"})])
    smtp = SmtpOptions("127.0.0.1", smtp_server.port, sender="sesizari@hotline-synth.ro", timeout=5)
    with pytest.raises(PermanentFailure, match="no X-ARF content type"):
        XarfEmailForwarder(smtp, US).send(notice)
    assert smtp_server.handler.messages == []


def test_posted_to_a_platform_endpoint(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    partner_endpoint.mode = "plain"
    forwarder = XarfHttpForwarder(US, endpoint=partner_endpoint.url, headers={"Authorization": "Bearer t"})
    receipt = forwarder.send(make_notice(kind="platform", address="unused", key="fwd-plat-1"))
    assert receipt.id == "PLAT-1 PLAT-2"
    reports = [json.loads(body) for body in partner_endpoint.received]
    for report in reports:
        validate_report(report)
    assert [h["Idempotency-Key"] for h in partner_endpoint.received_headers] == ["fwd-plat-1.1", "fwd-plat-1.2"]
    assert partner_endpoint.received_headers[0]["Authorization"] == "Bearer t"


def test_platform_outage_is_temporary(partner_endpoint: PartnerEndpoint, make_notice) -> None:
    partner_endpoint.mode, partner_endpoint.status = "status", 503
    partner_endpoint.headers = {"Retry-After": "60"}
    with pytest.raises(TemporaryFailure) as caught:
        XarfHttpForwarder(US, endpoint=partner_endpoint.url).send(make_notice(kind="platform"))
    assert caught.value.retry_after == 60.0
