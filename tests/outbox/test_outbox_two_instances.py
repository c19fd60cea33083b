"""Two hotline instances forward to each other through the real partner intake API (/api/v1/reports),
each served by uvicorn on loopback: signed JSON out of one outbox, a report in the other's queue."""

from __future__ import annotations

import json

from outbox_support import PARTNER_DESTINATION, forwards, outbox_options, queue_forward, seed_url
from sqlalchemy import select, update

from hotline.models import Forward, Partner, Report, ReportSource, utcnow
from hotline.outbox import forward_until_idle
from hotline.web.api.partners import create_partner, seal_partner_secret


def _introduce(app, name: str, country: str, their_endpoint: str, issued_by_them) -> None:  # type: ignore[no-untyped-def]
    """`app` knows the other hotline: its own credentials for them, and theirs for forwarding to them."""
    with app.db.session() as session:
        partner = session.scalar(select(Partner).where(Partner.name == name))
        partner.endpoint = their_endpoint
        partner.outbound_key_id = issued_by_them.key_id
        partner.outbound_secret = seal_partner_secret(session, partner, "outbound_secret",
                                                      issued_by_them.signing_secret.encode())
        partner.directory_id = PARTNER_DESTINATION if country == "NL" else "hotline-ro-self"


def _issue(app, name: str, country: str):  # type: ignore[no-untyped-def]
    with app.db.session() as session:
        return create_partner(session, name, country=country)


def _partner_reports(app) -> list[Report]:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return list(session.scalars(select(Report).where(Report.source == ReportSource.PARTNER)))


def test_two_hotlines_forward_to_each_other_through_the_partner_api(make_hotline, live_server, tmp_path) -> None:
    # given a Romanian and a Dutch hotline, each serving its partner API on loopback
    ro = make_hotline(data_dir=tmp_path / "ro", sender_id="ro-safernet")
    nl = make_hotline(data_dir=tmp_path / "nl", sender_id="nl-offlimits")
    ro_url, nl_url = live_server(ro), live_server(nl)
    # and each has issued the other credentials and knows the other's endpoint
    ro_issued_to_nl = _issue(ro, "nl-offlimits", "NL")
    nl_issued_to_ro = _issue(nl, "ro-safernet", "RO")
    _introduce(ro, "nl-offlimits", "NL", f"{nl_url}/api/v1/reports", nl_issued_to_ro)
    _introduce(nl, "ro-safernet", "RO", f"{ro_url}/api/v1/reports", ro_issued_to_nl)
    # and each has an approved forward for the other (content hosted in the other's country)
    out_of_ro = queue_forward(ro, seed_url(ro, 1, country="NL"))
    out_of_nl = queue_forward(nl, seed_url(nl, 2, country="RO"), destination="hotline-ro-self")
    # when both outboxes run
    forward_until_idle(ro, options=outbox_options(sender_id="ro-safernet"))
    forward_until_idle(nl, options=outbox_options(sender_id="nl-offlimits"))
    # then each hotline has the other's report, once, under the forward's idempotency key
    [at_nl] = _partner_reports(nl)
    [at_ro] = _partner_reports(ro)
    assert (at_nl.idempotency_key, at_nl.partner_reference) == (out_of_ro.idempotency_key, "HL-2026-OB-00001")
    assert (at_ro.idempotency_key, at_ro.partner_reference) == (out_of_nl.idempotency_key, "HL-2026-OB-00002")
    assert at_nl.payload["items"][0]["classification"] == {
        "category": "csam", "severity": "baseline", "media_type": "image", "detection_method": "manual_review",
        "exploitation_type": None}
    # and each sender recorded the receiver's reference as its receipt
    [ro_forward] = forwards(ro)
    [nl_forward] = forwards(nl)
    assert json.loads(ro_forward.receipt)["id"] == at_nl.reference
    assert json.loads(nl_forward.receipt)["id"] == at_ro.reference

    # when the Romanian outbox sends the same forward again (as after a crash before its commit)
    with ro.db.session() as session:
        session.execute(update(Forward).values(state="queued", next_attempt_at=utcnow()))
    forward_until_idle(ro, options=outbox_options(sender_id="ro-safernet"))
    # then the Dutch hotline recognises it: no second report, the same receipt, marked duplicate
    assert len(_partner_reports(nl)) == 1
    [again] = forwards(ro)
    receipt = json.loads(again.receipt)
    assert again.state == "delivered" and receipt["id"] == at_nl.reference and receipt["duplicate"] is True
