"""Two hotlines talk: our own partner forwarder delivers to our own intake API, exactly once."""

from __future__ import annotations

from api_support import count_reports
from sqlalchemy import select

from forwarders.base import Notice, NoticeItem
from forwarders.partner import PartnerForwarder
from hotline.models import Report, ReportSource


def test_the_partner_forwarder_delivers_to_the_intake_api_and_a_resend_is_a_duplicate(api_sqlite) -> None:
    # given instance B (served) that knows instance A as partner "nl-meldpunt"
    hotline_b, client, creds = api_sqlite
    forwarder = PartnerForwarder(sender_id="nl-meldpunt", key_id=creds.key_id, secret=creds.signing_secret,
                                 endpoint=f"{client.base_url}/api/v1/reports")
    notice = Notice(
        reference="NL-2026-000123", idempotency_key="fwd-8c1e5a0f", destination_kind="partner",
        destination_address=f"{client.base_url}/api/v1/reports", language="en",
        items=[NoticeItem(url="https://gallery.example-synth.ro/p/7",
                          hosting={"ips": ["5.2.130.10"], "country": "RO", "asn": 8708},
                          classification={"category": "csam", "severity": "A1"},
                          hashes={"sha256": "cd" * 32, "pdq": "ef" * 32})],
    )
    # when A sends the notice, then resends it after a (simulated) lost answer
    first = forwarder.send(notice)
    again = forwarder.send(notice)
    # then B recorded one report and A holds B's receipt both times
    assert first.id and first.id == again.id
    assert (first.duplicate, again.duplicate) == (False, True)
    assert count_reports(hotline_b) == 1
    with hotline_b.db.sessions() as session:
        report = session.scalar(select(Report))
        assert report.reference == first.id and report.source == ReportSource.PARTNER
        assert report.partner_reference == "NL-2026-000123"
        assert report.urls[0].reported_url.url == "https://gallery.example-synth.ro/p/7"
