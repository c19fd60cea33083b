"""Reading a report's state, and partners' feedback about reports we forwarded to them."""

from __future__ import annotations

import time

from api_support import add_partner, encode, payload, post_report, signed
from sqlalchemy import select

from hotline.models import AuditEvent, Forward, ReportedUrl, UrlState
from hotline.pipeline.intake import submit_report


def test_a_partner_reads_the_state_of_its_report_with_its_key_or_a_signature(api_sqlite) -> None:
    hotline, client, creds = api_sqlite
    receipt = post_report(client, creds, payload(urls=("https://a.example-synth.nl/", "https://b.example-synth.nl/"))
                          ).json()["receipt"]
    with hotline.db.session() as session:
        row = session.scalar(select(ReportedUrl).where(ReportedUrl.url == "https://b.example-synth.nl/"))
        row.state = UrlState.FORWARDED
    by_key = client.get(f"/api/v1/reports/{receipt}", headers={"Authorization": f"Bearer {creds.api_key}"})
    by_signature = client.get(f"/api/v1/reports/{receipt.lower()}", headers=signed(b"", creds))
    assert by_key.status_code == by_signature.status_code == 200
    assert by_key.json() == by_signature.json()
    assert by_key.json()["status"] == "received"
    assert [i["status"] for i in by_key.json()["items"]] == ["received", "forwarded"]


def test_reading_needs_valid_credentials_and_shows_only_own_reports(api_sqlite) -> None:
    hotline, client, creds = api_sqlite
    other = add_partner(hotline, "be-childfocus")
    receipt = post_report(client, creds, payload()).json()["receipt"]
    with hotline.db.session() as session:
        public = submit_report(session, ["https://c.example-synth.ro/"]).report.reference
    assert client.get(f"/api/v1/reports/{receipt}").status_code == 401
    bad_key = creds.api_key[:-4] + "AAAA"
    assert client.get(f"/api/v1/reports/{receipt}", headers={"Authorization": f"Bearer {bad_key}"}).status_code == 401
    stale = signed(b"", creds, timestamp=int(time.time()) - 3600)
    assert client.get(f"/api/v1/reports/{receipt}", headers=stale).status_code == 401
    for reference, who in ((receipt, other), (public, creds)):
        answer = client.get(f"/api/v1/reports/{reference}", headers={"Authorization": f"Bearer {who.api_key}"})
        assert answer.status_code == 404


def forwarded_to(hotline, partner_name: str, key: str = "fwd-ours-0001") -> int:  # type: ignore[no-untyped-def]
    """A URL we forwarded to the partner (an outbox row as the forwarders write it)."""
    with hotline.db.session() as session:
        row = submit_report(session, ["https://gallery.example-synth.nl/x"]).urls[0]
        row.state = UrlState.FORWARDED
        session.add(Forward(reported_url_id=row.id, destination=partner_name, destination_kind="hotline",
                            channel="partner-api", address="https://partner.example/api", idempotency_key=key,
                            state="delivered"))
        session.flush()
        return row.id


def send_feedback(client, creds, **fields):  # type: ignore[no-untyped-def]
    body = encode({"version": 1, "idempotency_key": "fwd-ours-0001", "status": "removed"} | fields)
    return client.post("/api/v1/feedback", content=body, headers=signed(body, creds))


def test_removal_feedback_marks_the_url_removed_and_is_audited_once(api_on) -> None:
    hotline, client, creds = api_on
    url_id = forwarded_to(hotline, "nl-meldpunt")
    first = send_feedback(client, creds, note="gone at 10:02")
    again = send_feedback(client, creds)
    assert first.status_code == again.status_code == 200, first.text
    assert (first.json()["recorded"], again.json()["recorded"]) == (True, False)
    with hotline.db.sessions() as session:
        row = session.get(ReportedUrl, url_id)
        assert row.state == UrlState.REMOVED and row.removed_at is not None
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "partner-feedback")).all()
        assert [(e.actor, e.detail["status"]) for e in events] == [("partner:nl-meldpunt", "removed")]


def test_feedback_other_than_removal_is_recorded_without_changing_the_state(api_sqlite) -> None:
    hotline, client, creds = api_sqlite
    url_id = forwarded_to(hotline, "nl-meldpunt")
    assert send_feedback(client, creds, status="in_progress").json()["recorded"] is True
    with hotline.db.sessions() as session:
        assert session.get(ReportedUrl, url_id).state == UrlState.FORWARDED


def test_feedback_about_someone_elses_forward_or_unsigned_is_refused(api_sqlite) -> None:
    hotline, client, creds = api_sqlite
    url_id = forwarded_to(hotline, "be-childfocus")
    assert send_feedback(client, creds).status_code == 404
    body = encode({"version": 1, "idempotency_key": "fwd-ours-0001", "status": "removed"})
    assert client.post("/api/v1/feedback", content=body).status_code == 401
    assert send_feedback(client, creds, status="exploded").status_code == 422
    with hotline.db.sessions() as session:
        assert session.get(ReportedUrl, url_id).state == UrlState.FORWARDED
