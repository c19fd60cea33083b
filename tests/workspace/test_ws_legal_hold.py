"""Legal hold on the item page: shown to everyone, set and released by supervisors only, audited; and
what the page says about evidence that retention purged."""

from __future__ import annotations

from sqlalchemy import select, update

from hotline.models import AuditEvent, Capture, MediaItem, Report, utcnow
from tests.workspace.conftest import seed_url


def _report_id(app) -> int:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return session.scalars(select(Report.id)).first()


def test_a_supervisor_puts_the_report_on_hold_from_the_item_page(app, client_for) -> None:
    seeded = seed_url(app)
    report_id = _report_id(app)
    sue, ana = client_for("sue"), client_for("ana")
    page = sue.get(f"/workspace/items/{seeded.url_id}").text
    assert f"/workspace/items/{seeded.url_id}/reports/{report_id}/hold" in page
    assert "/hold" not in ana.get(f"/workspace/items/{seeded.url_id}").text.split("h-capture")[0]

    placed = sue.post(f"/workspace/items/{seeded.url_id}/reports/{report_id}/hold", {"reason": "case <b>7</b>"})
    assert placed.status_code == 303
    seen = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert "On legal hold" in seen and "by sue: case &lt;b&gt;7&lt;/b&gt;" in seen
    assert "sue put report" in seen and "on legal hold: case &lt;b&gt;7&lt;/b&gt;" in seen  # the item's history, in words

    sue.get(f"/workspace/items/{seeded.url_id}")
    released = sue.post(f"/workspace/items/{seeded.url_id}/reports/{report_id}/release", {"reason": "done"})
    assert released.status_code == 303
    with app.db.sessions() as session:
        actions = [e.action for e in session.scalars(select(AuditEvent).where(AuditEvent.actor == "sue"))]
        assert not session.get(Report, report_id).legal_hold
    assert actions[-2:] == ["report.legal_hold", "report.legal_hold_release"]


def test_an_analyst_cannot_set_a_hold_and_a_reason_is_required(app, client_for) -> None:
    seeded = seed_url(app)
    report_id = _report_id(app)
    ana = client_for("ana")
    ana.get(f"/workspace/items/{seeded.url_id}")
    refused = ana.post(f"/workspace/items/{seeded.url_id}/reports/{report_id}/hold", {"reason": "mine"})
    assert refused.status_code == 403
    sue = client_for("sue")
    sue.get(f"/workspace/items/{seeded.url_id}")
    empty = sue.post(f"/workspace/items/{seeded.url_id}/reports/{report_id}/hold", {"reason": " "})
    assert empty.status_code == 409 and "give the reason" in empty.text
    wrong = sue.post(f"/workspace/items/{seeded.url_id}/reports/{report_id + 99}/hold", {"reason": "x"})
    assert wrong.status_code == 404
    with app.db.sessions() as session:
        assert not session.get(Report, report_id).legal_hold


def test_purged_evidence_is_said_so_instead_of_failing(app, client_for) -> None:
    seeded = seed_url(app)
    with app.db.session() as session:
        session.execute(update(Capture).values(warc_path=None, purged_at=utcnow()))
        session.execute(update(MediaItem).values(blob=None))
    ana = client_for("ana")
    page = ana.get(f"/workspace/items/{seeded.url_id}").text
    assert "Evidence purged on" in page and "Download evidence" not in page and "/preview?" not in page
    preview = ana.get(f"/workspace/media/{seeded.image_id}/preview")
    assert preview.status_code == 404 and "was purged on" in preview.text
    download = ana.post(f"/workspace/items/{seeded.url_id}/evidence")
    assert download.status_code == 404 and "was purged on" in download.text
