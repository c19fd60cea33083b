"""Recording checks and re-notices on SQLite and PostgreSQL, with hand-made capture results."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.capture.models import CaptureJob
from hotline.models import AuditEvent, Forward, Proposal, ReportedUrl, TakedownCheck, UrlState
from hotline.monitor import MonitorOptions, record_check, run_batch, schedule_checks

from .conftest import T0, add_forwarded_url
from .test_decide import result

SEND_TO_HOSTS = MonitorOptions(renotice_send_kinds=frozenset({"hosting-provider"}))


def _check(app, watched, at, page_status=200, options=SEND_TO_HOSTS):  # type: ignore[no-untyped-def]
    """Schedule (if needed) and record one check of `watched` at `at` with a page answering `page_status`."""
    with app.db.session() as session:
        row = session.get(ReportedUrl, watched.url_id)
        check = schedule_checks(session, row, T0)
        session.flush()
        check_id = check.id
    job = CaptureJob(job_id=f"check-{check_id}", url=watched.url)
    with app.db.session() as session:
        return record_check(session, check_id, job, result(page_status), at, options)


def test_content_up_past_a_day_is_renoticed_once_per_notice(hotline_db) -> None:
    # Given one URL forwarded to a hosting provider (send at once), a partner hotline (propose) and the
    # police (no re-notice), all delivered at T0
    with hotline_db.db.session() as session:
        watched = add_forwarded_url(session, "http://up.example-synth.ro/p", destination="host-abuse",
                                    kind="hosting-provider")
        for destination, kind in (("hotline-nl", "hotline"), ("police-ro", "police")):
            session.add(Forward(reported_url_id=watched.url_id, destination=destination, destination_kind=kind,
                                channel="email", idempotency_key=f"k-{destination}-{watched.url_id}",
                                state="delivered", created_at=T0, next_attempt_at=T0, delivered_at=T0))

    # When it is still up at 6 h, then at 24 h, then at 48 h
    outcomes = [_check(hotline_db, watched, T0 + timedelta(hours=h)) for h in (6, 24, 48)]

    # Then the re-notices come at 24 h only, each once, and the escalation is audited
    assert outcomes == ["present", "present", "present"]
    with hotline_db.db.sessions() as session:
        sent = session.scalars(select(Forward).where(Forward.escalation_of_id.is_not(None))).all()
        assert [(f.destination, f.state, f.escalation_of_id) for f in sent] == [
            ("host-abuse", "queued", watched.forward_id)]
        assert sent[0].payload["renotice"] is True and sent[0].next_attempt_at == T0 + timedelta(hours=24)
        proposals = session.scalars(select(Proposal)).all()
        assert [(p.destination, p.rule, p.state) for p in proposals] == [("hotline-nl", "re-notice", "pending")]
        assert "Still online 24 h" in proposals[0].reason
        events = session.scalars(select(AuditEvent).where(AuditEvent.action == "takedown.renotice")).all()
        assert sorted(e.detail["mode"] for e in events) == ["proposed", "sent"]


def test_a_check_recorded_twice_counts_once(hotline_db) -> None:
    # Given a due check
    with hotline_db.db.session() as session:
        watched = add_forwarded_url(session, "http://twice.example-synth.ro/p")
    # When two runners record it
    first = _check(hotline_db, watched, T0 + timedelta(hours=1), 404)
    with hotline_db.db.session() as session:
        done = session.scalars(select(TakedownCheck).where(TakedownCheck.checked_at.is_not(None))).one()
        again = record_check(session, done.id, CaptureJob(job_id="x", url=watched.url), result(200),
                             T0 + timedelta(hours=1), SEND_TO_HOSTS)
    # Then the second answer is dropped and the removal stands
    assert (first, again) == ("removed", None)
    with hotline_db.db.sessions() as session:
        row = session.get(ReportedUrl, watched.url_id)
        assert row.state is UrlState.REMOVED and row.removed_at == T0 + timedelta(hours=1)
        event = session.scalars(select(AuditEvent).where(AuditEvent.action == "takedown.removed")).one()
        assert event.detail["from_report_seconds"] == 3 * 3600
        assert event.detail["by_destination"] == {"hotline-nl": 3600}


def test_checks_of_urls_no_longer_watched_are_closed_without_a_capture(hotline_db) -> None:
    # Given a scheduled check for a URL an analyst closed meanwhile
    with hotline_db.db.session() as session:
        watched = add_forwarded_url(session, "http://closed.example-synth.ro/p")
        row = session.get(ReportedUrl, watched.url_id)
        schedule_checks(session, row, T0)
        row.state = UrlState.CLOSED
    # When it is due
    counts = run_batch(hotline_db, T0 + timedelta(hours=2))
    # Then it is marked skipped and nothing else is scheduled
    assert counts == {"skipped": 1}
    with hotline_db.db.sessions() as session:
        check = session.scalars(select(TakedownCheck)).one()
        assert check.checked_at is not None and check.outcome is None and "closed" in (check.detail or "")


def test_monitoring_is_a_job_of_both_executors() -> None:
    from hotline.executors.registry import JOB_BY_NAME
    from hotline.monitor import run_due_checks

    assert JOB_BY_NAME["monitor"].run is run_due_checks and JOB_BY_NAME["monitor"].queue == "monitor"


def test_a_forward_approved_from_a_renotice_proposal_is_not_followed_up_again(hotline_db) -> None:
    # Given a re-notice proposal made at 24 h, approved and delivered at 26 h
    with hotline_db.db.session() as session:
        watched = add_forwarded_url(session, "http://approved.example-synth.ro/p")
    assert _check(hotline_db, watched, T0 + timedelta(hours=24)) == "present"
    with hotline_db.db.session() as session:
        proposal = session.scalars(select(Proposal)).one()
        proposal.state = "approved"
        at = T0 + timedelta(hours=26)
        session.add(Forward(reported_url_id=watched.url_id, proposal_id=proposal.id, destination="hotline-nl",
                            destination_kind="hotline", channel="email", idempotency_key="approved-renotice",
                            state="delivered", created_at=at, next_attempt_at=at, delivered_at=at))
    # When the content is still up days later
    assert _check(hotline_db, watched, T0 + timedelta(hours=96)) == "present"
    # Then no further proposal is made
    with hotline_db.db.sessions() as session:
        assert len(session.scalars(select(Proposal)).all()) == 1


def test_the_assessed_media_are_named_then_matched_then_all(hotline_db) -> None:
    from hotline.models import Assessment, Capture, Match, MediaItem
    from hotline.monitor import AssessedItem, assessed_items

    def medium(url: str, sha: str) -> MediaItem:
        return MediaItem(url=url, kind="image", status=200, outcome="ok", sha256=sha * 64,
                         content_type="image/png")

    # Given a report capture with a logo, a matched image and a third image
    with hotline_db.db.session() as session:
        watched = add_forwarded_url(session, "http://three.example-synth.ro/p")
        logo, matched, other = (medium("http://x/logo.png", "1"), medium("http://x/m.png", "2"),
                                medium("http://x/o.png", "3"))
        session.add(Capture(reported_url_id=watched.url_id, purpose="report", outcome="ok", status=200,
                            media=[logo, matched, other]))
        session.flush()
        session.add(Match(media_item_id=matched.id, kind="sha256", verdict="csam"))
        session.flush()
        session.expire_all()
        row = session.get(ReportedUrl, watched.url_id)
        # Then without an assessment naming one, the matched image is what is watched
        assert assessed_items(session, row) == [AssessedItem("http://x/m.png", "2" * 64)]
        # and an assessment naming a medium takes precedence
        session.add(Assessment(reported_url_id=row.id, media_item_id=other.id, legal="baseline"))
        session.flush()
        assert assessed_items(session, row) == [AssessedItem("http://x/o.png", "3" * 64)]
