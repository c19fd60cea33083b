"""The item page records a manual forward (web form only) that an analyst sent by hand."""

from __future__ import annotations

import re

from sqlalchemy import select

from hotline.models import AuditEvent, Forward, ReportedUrl, TakedownCheck, UrlState
from hotline.monitor import run_due_checks
from tests.workspace.conftest import add_forward, seed_url


def _manual_forward(app, url_id: int, state: str = "failed") -> int:  # type: ignore[no-untyped-def]
    with app.db.session() as session:
        forward = Forward(reported_url_id=url_id, destination="platform-meta", destination_kind="platform",
                          channel="web-form", address="https://www.facebook.example-synth.test/report",
                          idempotency_key=f"manual-{url_id}", state=state, attempts=1,
                          last_error="platform-meta has no automatic channel (manual): send it by hand")
        session.add(forward)
        session.flush()
        return forward.id


def _sent_form(page: str, url_id: int, forward_id: int) -> bool:
    return f'action="/workspace/items/{url_id}/forwards/{forward_id}/sent"' in page


def test_an_analyst_records_a_manual_forward_as_sent(app, client_for) -> None:
    # given an assessed URL whose web-form forward failed with "send it by hand"
    seeded = seed_url(app, state=UrlState.ASSESSED)
    forward_id = _manual_forward(app, seeded.url_id)
    ana = client_for("ana")
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert _sent_form(page, seeded.url_id, forward_id)
    # when ana records that she filled in the form
    response = ana.post(f"/workspace/items/{seeded.url_id}/forwards/{forward_id}/sent",
                        {"note": "Meta ticket <b>77</b>"})
    # then the forward is delivered with her note as the receipt, audited under her name
    assert response.status_code == 303
    run_due_checks(app)  # monitoring's next round watches it from its first delivery
    with app.db.sessions() as session:
        forward = session.get(Forward, forward_id)
        assert (forward.state, forward.receipt) == ("delivered", "Meta ticket <b>77</b>")
        assert forward.delivered_at is not None
        [event] = session.scalars(select(AuditEvent).where(AuditEvent.action == "forward.sent-by-hand"))
        assert (event.actor, event.subject_id) == ("ana", str(forward_id))
        # and the URL is forwarded and monitored, as after an automatic delivery
        row = session.get(ReportedUrl, seeded.url_id)
        assert row.state is UrlState.FORWARDED and row.first_forwarded_at == forward.delivered_at
        assert session.scalar(select(TakedownCheck).where(TakedownCheck.reported_url_id == row.id)) is not None
    # and the page shows the (escaped) receipt with no form left for it
    after = ana.get(response.headers["location"]).text
    assert "Meta ticket &lt;b&gt;77&lt;/b&gt;" in after and not _sent_form(after, seeded.url_id, forward_id)


def test_an_automatic_forward_offers_no_form_and_is_refused(app, client_for) -> None:
    # given a failed partner-api forward (the worker sends those itself)
    seeded = seed_url(app, state=UrlState.ASSESSED)
    add_forward(app, seeded.url_id)
    with app.db.sessions() as session:
        forward_id = session.scalar(select(Forward.id).where(Forward.reported_url_id == seeded.url_id))
    ana = client_for("ana")
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert not re.search(r'/forwards/\d+/sent"', page)
    # when someone posts the action anyway, then it is refused in one line and nothing changes
    response = ana.post(f"/workspace/items/{seeded.url_id}/forwards/{forward_id}/sent", {"note": "sent it"})
    assert response.status_code == 409
    assert "only a manual forward can be recorded as sent by hand" in response.text
    # and a forward of another URL is not found through this URL
    other = seed_url(app, "http://gallery-ro.example-synth.ro/album/2", state=UrlState.ASSESSED)
    manual_id = _manual_forward(app, other.url_id)
    response = ana.post(f"/workspace/items/{seeded.url_id}/forwards/{manual_id}/sent", {"note": "sent it"})
    assert response.status_code == 404
    with app.db.sessions() as session:
        assert session.get(Forward, forward_id).state == "failed"
        assert session.get(Forward, manual_id).state == "failed"


def test_a_note_is_required(app, client_for) -> None:
    seeded = seed_url(app, state=UrlState.ASSESSED)
    forward_id = _manual_forward(app, seeded.url_id)
    response = client_for("ana").post(f"/workspace/items/{seeded.url_id}/forwards/{forward_id}/sent", {"note": " "})
    assert response.status_code == 409 and "say how it was sent" in response.text
    with app.db.sessions() as session:
        assert session.get(Forward, forward_id).state == "failed"


def test_an_item_claimed_by_another_analyst_is_theirs_to_record(app, client_for) -> None:
    # given bob has claimed an item whose manual forward waits to be sent
    seeded = seed_url(app, state=UrlState.ASSESSED)
    forward_id = _manual_forward(app, seeded.url_id)
    assert client_for("bob").post(f"/workspace/items/{seeded.url_id}/claim", {}).status_code == 303
    # when ana records it as sent, then she is refused and nothing changes
    response = client_for("ana").post(f"/workspace/items/{seeded.url_id}/forwards/{forward_id}/sent",
                                      {"note": "sent it"})
    assert response.status_code == 409 and "claimed by bob" in response.text
    with app.db.sessions() as session:
        assert session.get(Forward, forward_id).state == "failed"
