"""The audit chain detects edited, deleted and inserted events."""

from sqlalchemy import delete, update

from hotline import audit
from hotline.models import AuditEvent


def _three_events(app) -> list[int]:
    with app.db.session() as session:
        ids = [audit.record(session, "ana", "reveal", "media_item", n, reason="assess").id for n in range(3)]
    return ids


def test_an_untouched_log_verifies(hotline_db) -> None:
    _three_events(hotline_db)
    with hotline_db.db.sessions() as session:
        assert audit.verify(session) == []


def test_an_edited_event_is_detected(hotline_db) -> None:
    ids = _three_events(hotline_db)
    with hotline_db.db.session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == ids[1]).values(actor="mallory"))
    with hotline_db.db.sessions() as session:
        assert [p.event_id for p in audit.verify(session)] == [ids[1]]


def test_a_deleted_event_is_detected(hotline_db) -> None:
    ids = _three_events(hotline_db)
    with hotline_db.db.session() as session:
        session.execute(delete(AuditEvent).where(AuditEvent.id == ids[1]))
    with hotline_db.db.sessions() as session:
        assert [p.event_id for p in audit.verify(session)] == [ids[2]]
