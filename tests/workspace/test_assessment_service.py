"""The assessment service shared by the workspace, the CLI and the API (on SQLite and PostgreSQL)."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from hotline.auth import create_user, find_user
from hotline.errors import Refused
from hotline.models import Assessment, AuditEvent, Forward, ReportedUrl, UrlState
from hotline.triage.assessment import approve, assess, claim, release, set_four_eyes
from tests.workspace.conftest import PASSWORD, seed_url

BASELINE = {"legal": "baseline", "age_group": "pre-pubescent", "gender": "female", "content_type": "image"}


@pytest.fixture
def db_app(hotline_db):  # type: ignore[no-untyped-def]
    with hotline_db.db.session() as session:
        for name, role in {"ana": "analyst", "bob": "analyst", "sue": "supervisor"}.items():
            create_user(session, name, role, PASSWORD)
    return hotline_db


def _user(session, name):  # type: ignore[no-untyped-def]
    return find_user(session, name)


def _actions(session, url_id: int) -> list[str]:  # type: ignore[no-untyped-def]
    return list(session.scalars(select(AuditEvent.action).where(AuditEvent.subject_id == str(url_id))
                                .order_by(AuditEvent.id)))


def test_assessing_records_the_classification_and_regenerates_proposals(db_app) -> None:
    seeded = seed_url(db_app, country="NL")
    with db_app.db.session() as session:
        assess(db_app, session, seeded.url_id, _user(session, "ana"), BASELINE)
    with db_app.db.sessions() as session:
        row = session.get(ReportedUrl, seeded.url_id)
        assert row.state is UrlState.ASSESSED
        assessment = row.assessments[-1]
        assert (assessment.legal, assessment.age_group, assessment.assessor_id) == (
            "baseline", "pre-pubescent", _user(session, "ana").id)
        pending = [p for p in row.proposals if p.state == "pending"]
        # the provisional proposal made from the reporter's category was replaced by a confirmed one
        assert pending and not any(p.reason.startswith("Provisional") for p in pending)
        assert any(p.state == "superseded" for p in row.proposals)
        assert "assessment.create" in _actions(session, seeded.url_id)


def test_approving_writes_forwards_in_the_same_transaction(db_app) -> None:
    seeded = seed_url(db_app, country="NL")
    with db_app.db.session() as session:
        result = assess(db_app, session, seeded.url_id, _user(session, "ana"), BASELINE, approve=True)
        assert result.forwards
    with db_app.db.sessions() as session:
        row = session.get(ReportedUrl, seeded.url_id)
        assert row.state is UrlState.FORWARDED and row.first_forwarded_at is not None
        forwards = session.scalars(select(Forward).where(Forward.reported_url_id == row.id)).all()
        approved = [p for p in row.proposals if p.state == "approved"]
        assert {f.proposal_id for f in forwards} == {p.id for p in approved}
        assert all(f.state == "queued" and f.idempotency_key for f in forwards)
        partner = next(f for f in forwards if f.destination_kind == "hotline")
        assert partner.channel == "partner-api"
        assert _actions(session, seeded.url_id).count("proposal.approve") == len(forwards)


def test_a_failed_approval_leaves_nothing_behind(db_app, monkeypatch: pytest.MonkeyPatch) -> None:
    import hotline.triage.assessment

    # given an assessed URL, and an outbox that fails right after writing the first forward
    seeded = seed_url(db_app)
    with db_app.db.session() as session:
        assess(db_app, session, seeded.url_id, _user(session, "ana"), BASELINE)
    real_enqueue = hotline.triage.assessment.enqueue

    def enqueue_then_fail(*args, **kwargs):  # type: ignore[no-untyped-def]
        real_enqueue(*args, **kwargs)
        raise RuntimeError("disk full")

    monkeypatch.setattr(hotline.triage.assessment, "enqueue", enqueue_then_fail)
    # when the approval fails half-way
    with pytest.raises(RuntimeError), db_app.db.session() as session:
        approve(db_app, session, seeded.url_id, _user(session, "bob"))
    # then no forward exists, no proposal is approved, the state did not move and nothing was audited
    with db_app.db.sessions() as session:
        row = session.get(ReportedUrl, seeded.url_id)
        assert row.state is UrlState.ASSESSED
        assert not [p for p in row.proposals if p.state == "approved"]
        assert session.scalars(select(Forward)).all() == []
        assert "proposal.approve" not in _actions(session, seeded.url_id)


def test_missing_victim_fields_are_refused_with_one_line(db_app) -> None:
    seeded = seed_url(db_app)
    with pytest.raises(Refused, match="age_group and gender required"), db_app.db.session() as session:
        assess(db_app, session, seeded.url_id, _user(session, "ana"), {"legal": "baseline"})
    with pytest.raises(Refused, match="legal"), db_app.db.session() as session:
        assess(db_app, session, seeded.url_id, _user(session, "ana"), {"legal": "dunno"})
    with db_app.db.sessions() as session:
        assert session.scalars(select(Assessment)).all() == []


def test_four_eyes_needs_a_second_analyst(db_app) -> None:
    seeded = seed_url(db_app)
    with db_app.db.session() as session:
        with pytest.raises(Refused, match="only a supervisor"):
            set_four_eyes(session, _user(session, "ana"), ["baseline"])
        set_four_eyes(session, _user(session, "sue"), ["baseline"])
    # the assessor cannot approve in one go, nor afterwards
    with pytest.raises(Refused, match="needs a second analyst"), db_app.db.session() as session:
        assess(db_app, session, seeded.url_id, _user(session, "ana"), BASELINE, approve=True)
    with db_app.db.session() as session:
        assess(db_app, session, seeded.url_id, _user(session, "ana"), BASELINE)
    with pytest.raises(Refused, match="someone other than its assessor"), db_app.db.session() as session:
        approve(db_app, session, seeded.url_id, _user(session, "ana"))
    # a second analyst can, and is recorded as the confirmation
    with db_app.db.session() as session:
        assert approve(db_app, session, seeded.url_id, _user(session, "bob")).forwards
    with db_app.db.sessions() as session:
        latest = session.get(ReportedUrl, seeded.url_id).assessments[-1]
        assert latest.confirmed_by_id == _user(session, "bob").id


def test_classifications_outside_four_eyes_are_approved_by_their_assessor(db_app) -> None:
    seeded = seed_url(db_app)
    with db_app.db.session() as session:
        set_four_eyes(session, _user(session, "sue"), ["national"])
        assert assess(db_app, session, seeded.url_id, _user(session, "ana"), BASELINE, approve=True).forwards


def test_a_claim_keeps_others_out_until_released(db_app) -> None:
    seeded = seed_url(db_app)
    with db_app.db.session() as session:
        claim(session, seeded.url_id, _user(session, "ana"))
    with pytest.raises(Refused, match="claimed by ana"), db_app.db.session() as session:
        assess(db_app, session, seeded.url_id, _user(session, "bob"), BASELINE)
    with pytest.raises(Refused, match="claimed by ana"), db_app.db.session() as session:
        claim(session, seeded.url_id, _user(session, "bob"))
    with pytest.raises(Refused, match="only they or a supervisor"), db_app.db.session() as session:
        release(session, seeded.url_id, _user(session, "bob"))
    with db_app.db.session() as session:
        release(session, seeded.url_id, _user(session, "sue"))
        claim(session, seeded.url_id, _user(session, "bob"))
        assess(db_app, session, seeded.url_id, _user(session, "bob"), BASELINE)


def test_only_waiting_urls_can_be_assessed_or_approved(db_app) -> None:
    seeded = seed_url(db_app, state=UrlState.LOCATED, propose=False)
    with pytest.raises(Refused, match="is located, not waiting"), db_app.db.session() as session:
        assess(db_app, session, seeded.url_id, _user(session, "ana"), BASELINE)
    with pytest.raises(Refused, match="must be assessed"), db_app.db.session() as session:
        approve(db_app, session, seeded.url_id, _user(session, "ana"))
    with pytest.raises(Refused, match="no reported URL 999"), db_app.db.session() as session:
        approve(db_app, session, 999, _user(session, "ana"))


def test_not_illegal_closes_the_url_with_the_rules_reason(db_app) -> None:
    seeded = seed_url(db_app)
    with db_app.db.session() as session:
        claim(session, seeded.url_id, _user(session, "ana"))
        assess(db_app, session, seeded.url_id, _user(session, "ana"), {"legal": "not-illegal"})
    with db_app.db.sessions() as session:
        row = session.get(ReportedUrl, seeded.url_id)
        assert row.state is UrlState.CLOSED and row.state_reason and row.claimed_by_id is None
        assert not [p for p in row.proposals if p.state == "pending"]
        assert _actions(session, seeded.url_id)[-1] == "url.close"


def test_two_analysts_claiming_at_once_on_postgresql_get_one_claim(db_app) -> None:
    import threading
    import time

    from sqlalchemy import text

    if db_app.db.engine.dialect.name != "postgresql":
        pytest.skip("SQLite has a single writer; the row lock matters on PostgreSQL")
    seeded = seed_url(db_app)
    outcome: dict[str, object] = {}

    def bob_claims() -> None:
        try:
            with db_app.db.session() as session:
                claim(session, seeded.url_id, _user(session, "bob"))
            outcome["bob"] = "claimed"
        except Refused as exc:
            outcome["bob"] = str(exc)

    # given ana's claim is written but not yet committed
    with db_app.db.session() as ana_session:
        claim(ana_session, seeded.url_id, _user(ana_session, "ana"))
        bob = threading.Thread(target=bob_claims)
        bob.start()
        # when bob's claim is waiting on ana's row lock (polled, with a deadline)
        deadline = time.monotonic() + 10
        with db_app.db.engine.connect() as probe:
            waiting = text("SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                           "AND datname = current_database() AND query LIKE '%reported_url%'")
            while not probe.scalar(waiting):
                assert time.monotonic() < deadline, "bob's claim never waited for ana's lock"
                assert bob.is_alive(), f"bob's claim did not wait: {outcome}"
                probe.rollback()  # pg_stat_activity is a snapshot per transaction: take a fresh one
                time.sleep(0.01)
    # then, once ana commits, bob is told the item is hers
    bob.join(timeout=10)
    assert "claimed by ana" in str(outcome["bob"])


def test_four_eyes_hands_off_per_item_classifications_and_confirms_them_all(db_app) -> None:
    from hotline.triage.assessment import awaiting_approval, send_back
    from tests.workspace.test_ws_item_page import add_images

    seeded = seed_url(db_app, country="NL")
    second, = add_images(db_app, seeded, 1)
    with db_app.db.session() as session:
        set_four_eyes(session, _user(session, "sue"), ["baseline"], "supervisor")
        claim(session, seeded.url_id, _user(session, "ana"))
        # an illegal item under a legal verdict for the URL is refused (the rules would close the URL)
        with pytest.raises(Refused, match="the URL's verdict must be illegal too"):
            assess(db_app, session, seeded.url_id, _user(session, "ana"), {"legal": "not-illegal"},
                   items={second: {"legal": "baseline", "age_group": "pubescent", "gender": "male"}})
        # the URL is illegal nationally, one item internationally (four-eyes): the save waits, released
        result = assess(db_app, session, seeded.url_id, _user(session, "ana"),
                        {"legal": "national", "age_group": "pubescent", "gender": "female"},
                        items={second: {"legal": "baseline"}}, approve=True, hand_off=True)
        assert result.forwards == []
    with db_app.db.session() as session:
        row = session.get(ReportedUrl, seeded.url_id)
        assert row.state is UrlState.ASSESSED and row.claimed_by_id is None
        # only supervisors may approve (the setting), never the assessor
        assert awaiting_approval(session, _user(session, "bob")) == []
        assert [r.id for r in awaiting_approval(session, _user(session, "sue"))] == [seeded.url_id]
        claim(session, seeded.url_id, _user(session, "bob"))  # someone's claim meanwhile
    with pytest.raises(Refused, match="supervisor"), db_app.db.session() as session:
        approve(db_app, session, seeded.url_id, _user(session, "bob"))
    with pytest.raises(Refused, match="say why"), db_app.db.session() as session:
        send_back(session, seeded.url_id, _user(session, "sue"), "  ")
    with db_app.db.session() as session:
        assert approve(db_app, session, seeded.url_id, _user(session, "sue")).forwards
    with db_app.db.sessions() as session:
        rows = session.scalars(select(Assessment).order_by(Assessment.id)).all()
        assert [(a.media_item_id, a.legal) for a in rows] == [(second, "baseline"), (None, "national")]
        assert {a.confirmed_by_id for a in rows} == {_user(session, "sue").id}
        assert "assessment.hand_off" in _actions(session, seeded.url_id)
