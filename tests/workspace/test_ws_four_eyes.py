"""Four-eyes as a hand-off: the assessor's save waits for a second person, released; the approver
approves or sends back in one step from "Awaiting my approval"; a claim never stands in the way."""

from __future__ import annotations

from sqlalchemy import select

from hotline.models import Assessment, AuditEvent, Forward, ReportedUrl, UrlState
from tests.workspace.conftest import seed_url

BASELINE = {"legal": "baseline", "age_group": "pubescent", "gender": "unknown"}


def _four_eyes(sue, approvers: str = "analyst") -> None:  # type: ignore[no-untyped-def]
    assert sue.post("/workspace/settings/four-eyes", {"legal": ["baseline"], "approvers": approvers}).status_code == 303


def test_save_and_approve_hands_off_and_the_other_analyst_approves_despite_a_claim(app, client_for) -> None:
    seeded = seed_url(app)
    sue, ana, bob = client_for("sue"), client_for("ana"), client_for("bob")
    _four_eyes(sue)
    # given ana holds the item and saves with "Save and approve forwards"
    assert ana.post(f"/workspace/items/{seeded.url_id}/claim").status_code == 303
    saved = ana.post(f"/workspace/items/{seeded.url_id}/assess", {**BASELINE, "and_approve": "1"})
    # then it is saved, awaiting approval, released, and nothing is forwarded yet
    assert saved.status_code == 303
    with app.db.sessions() as session:
        row = session.get(ReportedUrl, seeded.url_id)
        assert row.state == UrlState.ASSESSED and row.claimed_by_id is None
        assert session.scalars(select(Forward)).all() == []
    assert "Awaiting approval" in ana.get(f"/workspace/items/{seeded.url_id}").text
    # the assessor's own list is empty; bob's holds it, and the header counts it
    assert "Nothing is waiting for your approval" in ana.get("/workspace/approvals").text
    # the approver reads the assessor's verdict, and no assessment form stands in the way
    page = bob.get(f"/workspace/items/{seeded.url_id}").text
    assert "Illegal internationally (INTERPOL baseline)</strong> · Pubescent · Not determined" in page
    assert f"Item {seeded.image_id}: same as URL verdict" in page and 'id="assess-form"' not in page
    listing = bob.get("/workspace/approvals").text
    assert f"/workspace/items/{seeded.url_id}" in listing and 'class="count">1<' in listing
    # a claim someone took meanwhile does not block the approver
    assert sue.post(f"/workspace/items/{seeded.url_id}/claim").status_code == 303
    own = ana.post(f"/workspace/items/{seeded.url_id}/decision", {"decision": "approve"})
    assert own.status_code == 409 and "someone other than its assessor" in own.text
    approved = bob.post(f"/workspace/items/{seeded.url_id}/decision", {"decision": "approve", "back": "approvals"})
    assert approved.status_code == 303 and approved.headers["location"] == "/workspace/approvals"
    with app.db.sessions() as session:
        row = session.get(ReportedUrl, seeded.url_id)
        assert row.state == UrlState.FORWARDED and row.forwards
        assert row.assessments[-1].confirmed_by_id is not None
    assert "Nothing is waiting for your approval" in bob.get("/workspace/approvals").text


def test_send_back_returns_it_to_the_assessor_with_the_note(app, client_for) -> None:
    seeded = seed_url(app)
    sue, ana = client_for("sue"), client_for("ana")
    _four_eyes(sue, approvers="supervisor")
    ana.post(f"/workspace/items/{seeded.url_id}/assess", {**BASELINE, "and_approve": "1"})
    # only supervisors may approve now: bob (an analyst) does not see it and cannot decide
    bob = client_for("bob")
    assert "Nothing is waiting for your approval" in bob.get("/workspace/approvals").text
    refused = bob.post(f"/workspace/items/{seeded.url_id}/decision", {"decision": "approve"})
    assert refused.status_code == 409 and "supervisor" in refused.text
    # sending back needs a note: said on the item's page, not a dead end
    no_note = sue.post(f"/workspace/items/{seeded.url_id}/decision", {"decision": "send-back", "note": "  "})
    assert no_note.status_code == 409 and 'id="form-error"' in no_note.text and "say why it goes back" in no_note.text
    assert 'id="decision-note"' in no_note.text
    back = sue.post(f"/workspace/items/{seeded.url_id}/decision",
                    {"decision": "send-back", "note": "look again at item 2, age group"})
    assert back.status_code == 303
    with app.db.sessions() as session:
        row = session.get(ReportedUrl, seeded.url_id)
        assert row.state == UrlState.TRIAGED and row.claimed_by_id is not None
        assert "look again at item 2" in (row.state_reason or "")
        assert session.scalars(select(AuditEvent).where(AuditEvent.action == "assessment.send_back")).one()
        assert session.scalars(select(Forward)).all() == []
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert "look again at item 2, age group" in page and "You are working on this item" in page
    # the assessor assesses again and it waits again
    assert ana.post(f"/workspace/items/{seeded.url_id}/assess", {**BASELINE, "age_group": "pre-pubescent"}).status_code == 303
    assert f"/workspace/items/{seeded.url_id}" in sue.get("/workspace/approvals").text
    with app.db.sessions() as session:
        assert len(session.scalars(select(Assessment)).all()) == 2


def test_statistics_are_in_the_navigation_of_whoever_may_see_them_with_the_workspace_header(client_for) -> None:
    sue, ana = client_for("sue"), client_for("ana")
    assert 'href="/workspace/stats"' in sue.get("/workspace/queue").text
    assert 'href="/workspace/stats"' not in ana.get("/workspace/queue").text
    stats = sue.get("/workspace/stats")
    assert stats.status_code == 200 and 'class="top"' in stats.text and "Log out" in stats.text
    assert "style-src 'self'" in stats.headers["content-security-policy"]
    refused = ana.get("/workspace/stats")
    assert refused.status_code == 403 and 'class="top"' in refused.text and "supervisor" in refused.text


def test_the_audit_log_reads_as_sentences(app, client_for) -> None:
    seeded = seed_url(app)
    ana, adam = client_for("ana"), client_for("adam")
    ana.post(f"/workspace/items/{seeded.url_id}/assess", {**BASELINE, "notes": "three images"})
    page = adam.get("/workspace/audit?action=assessment").text
    assert "ana assessed the URL as baseline (pubescent, unknown); notes: “three images”" in page


def test_the_workspace_speaks_romanian_to_whoever_chooses_it(app, client_for) -> None:
    seeded = seed_url(app)
    ana = client_for("ana")
    assert "Review queue" in ana.get("/workspace/queue").text  # English by default
    assert "Coada de analiză" in ana.get("/workspace/queue", headers={"accept-language": "ro-RO,ro;q=0.9"}).text
    assert ana.post("/workspace/account/preferences", {"language": "ro"}).status_code == 303
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert '<html lang="ro">' in page and "Evaluarea juridică a URL-ului" in page
    assert "Ilegal la nivel internațional (criteriile INTERPOL)" in page  # the taxonomy's own Romanian labels
    assert "așteaptă evaluarea" in page  # the state, from triage's marked words
    refused = ana.post(f"/workspace/items/{seeded.url_id}/assess", {"legal": "baseline"})
    assert refused.status_code == 422 and "Alegeți grupa de vârstă" in refused.text
    ana.post(f"/workspace/items/{seeded.url_id}/claim")
    assert "ana a preluat elementul" in ana.get(f"/workspace/items/{seeded.url_id}").text  # the history too
    assert "Contul dvs." in ana.get("/workspace/account").text and "Coadă" in ana.get("/workspace/approvals").text
