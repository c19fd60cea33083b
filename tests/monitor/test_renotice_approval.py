"""Approving a re-notice proposal writes a follow-up linked to the notice it follows up (escalation_of_id)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from hotline.models import Assessment, Forward, Proposal, ReportedUrl, User
from hotline.monitor import record_check, schedule_checks
from hotline.triage.assessment import approve_url

from .conftest import T0, add_forwarded_url
from .test_decide import result
from .test_record import SEND_TO_HOSTS


def _delivered(session, url_id: int, destination: str, kind: str, hours: int) -> int:  # type: ignore[no-untyped-def]
    at = T0 + timedelta(hours=hours)
    forward = Forward(reported_url_id=url_id, destination=destination, destination_kind=kind, channel="email",
                      address="notices@example.invalid", idempotency_key=f"k-{destination}-{url_id}-{hours}",
                      state="delivered", created_at=at, next_attempt_at=at, delivered_at=at)
    session.add(forward)
    session.flush()
    return forward.id


def test_an_approved_renotice_follows_up_the_latest_notice_to_that_destination(hotline_db) -> None:
    # Given a URL with two delivered notices to hotline-nl (T0, then T0+1h), a later one to the police,
    # an assessment, and a re-notice proposal the monitor made when it was still up at 30 h
    from hotline.capture.models import CaptureJob

    with hotline_db.db.session() as session:
        watched = add_forwarded_url(session, "http://still-up.example-synth.ro/p")
        latest_nl = _delivered(session, watched.url_id, "hotline-nl", "hotline", hours=1)
        _delivered(session, watched.url_id, "police-ro", "police", hours=2)
        session.add(Assessment(reported_url_id=watched.url_id, legal="baseline", content_type="image"))
        session.add(User(name="ana", role="analyst", password_hash=None))
        check = schedule_checks(session, session.get(ReportedUrl, watched.url_id), T0)
        session.flush()
        check_id = check.id
    with hotline_db.db.session() as session:
        assert record_check(session, check_id, CaptureJob(job_id="c", url=watched.url), result(200),
                            T0 + timedelta(hours=30), SEND_TO_HOSTS) == "present"
    with hotline_db.db.sessions() as session:
        [proposal] = session.scalars(select(Proposal).where(Proposal.state == "pending"))
        assert (proposal.rule, proposal.destination) == ("re-notice", "hotline-nl")

    # When an analyst approves it
    with hotline_db.db.session() as session:
        ana = session.scalars(select(User).where(User.name == "ana")).one()
        [follow_up] = approve_url(hotline_db, session, watched.url_id, ana, "hotline-nl").forwards
        follow_up_id = follow_up.id

    # Then the new forward is an escalation of the latest notice delivered to hotline-nl
    with hotline_db.db.sessions() as session:
        follow_up = session.get(Forward, follow_up_id)
        assert (follow_up.destination, follow_up.escalation_of_id) == ("hotline-nl", latest_nl)
        assert latest_nl != watched.forward_id


def test_an_ordinary_approval_is_no_escalation(hotline_db) -> None:
    # Given a forwarded URL with a new, non-re-notice proposal to the same destination
    with hotline_db.db.session() as session:
        watched = add_forwarded_url(session, "http://ordinary.example-synth.ro/p")
        session.add(Assessment(reported_url_id=watched.url_id, legal="baseline", content_type="image"))
        session.add(User(name="ana", role="analyst", password_hash=None))
        session.add(Proposal(reported_url_id=watched.url_id, destination="hotline-nl", destination_kind="hotline",
                             rule="member-country-hotline", reason="hosted in NL", channel="email",
                             address="notices@example.invalid", state="pending"))
    # When it is approved
    with hotline_db.db.session() as session:
        ana = session.scalars(select(User).where(User.name == "ana")).one()
        [forward] = approve_url(hotline_db, session, watched.url_id, ana).forwards
        forward_id = forward.id
    # Then the forward escalates nothing
    with hotline_db.db.sessions() as session:
        assert session.get(Forward, forward_id).escalation_of_id is None
