"""A manual forward (web form only, or no endpoint) that a person sent themselves: `hotline forward sent`."""

from __future__ import annotations

import json

from cli_support import token_for
from outbox_support import forwards, outbox_options, queue_forward, seed_url
from sqlalchemy import select
from typer.testing import CliRunner

from cli import app as cli_app
from hotline.models import AuditEvent, ReportedUrl, TakedownCheck, UrlState, User
from hotline.monitor import run_due_checks
from hotline.outbox import ForwardRefused, forward_until_idle, record_sent_by_hand

WEB_FORM = "https://www.facebook.example-synth.test/report"


def _failed_manual_forward(app, n: int = 1) -> int:  # type: ignore[no-untyped-def]
    url_id = seed_url(app, n)
    queue_forward(app, url_id, destination="platform-meta", kind="platform", channel="web-form", address=WEB_FORM)
    forward_until_idle(app, options=outbox_options())
    [forward] = [f for f in forwards(app) if f.reported_url_id == url_id]
    assert forward.state == "failed" and "send it by hand" in forward.last_error
    return forward.id


def _events(app, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action)))


def test_forward_sent_records_a_manual_delivery_like_an_automatic_one(make_hotline, tmp_path) -> None:
    # given a web-form-only forward the worker failed with "send it by hand"
    data_dir = tmp_path / "var"
    app = make_hotline(data_dir=data_dir)
    forward_id = _failed_manual_forward(app)
    runner = CliRunner()
    env = {"HOTLINE_DATA_DIR": str(data_dir)}
    with app.db.session() as session:
        session.add(User(name="ana", role="analyst", password_hash=None))
    # when a person records that they filled in the form (proving who she is with her personal token)
    result = runner.invoke(cli_app, ["forward", "sent", str(forward_id), "--note", "form ticket FB-12345",
                                      "--as", "ana"], env=env, input=token_for(app, "ana") + "\n")
    # then the forward is delivered with the note as its receipt, and it is audited
    assert result.exit_code == 0, result.output
    assert f"forward {forward_id} recorded as sent by hand" in result.output
    [forward] = forwards(app)
    assert (forward.state, forward.receipt, forward.last_error) == ("delivered", "form ticket FB-12345", None)
    assert forward.delivered_at is not None
    [event] = _events(app, "forward.sent-by-hand")
    assert (event.actor, event.subject_id) == ("ana", str(forward_id)) and event.detail["note"] == "form ticket FB-12345"
    # and the follow-on effects of a first delivery: URL forwarded; monitoring's next round schedules its check
    assert runner.invoke(cli_app, ["monitor"], env=env).exit_code == 0
    with app.db.sessions() as session:
        row = session.get(ReportedUrl, forward.reported_url_id)
        assert row.state is UrlState.FORWARDED and row.first_forwarded_at == forward.delivered_at
        [check] = session.scalars(select(TakedownCheck).where(TakedownCheck.reported_url_id == row.id))
        assert check.checked_at is None and check.due_at > forward.delivered_at
    listed = json.loads(runner.invoke(cli_app, ["forward", "ls", "--state", "delivered", "--json"], env=env).stdout)
    assert [row["receipt"] for row in listed] == ["form ticket FB-12345"]


def test_forward_sent_refuses_an_automatic_forward_in_one_line(make_hotline, tmp_path) -> None:
    data_dir = tmp_path / "var"
    app = make_hotline(data_dir=data_dir)
    forward = queue_forward(app, seed_url(app, 1), address="http://127.0.0.1:9/")
    result = CliRunner().invoke(cli_app, ["forward", "sent", str(forward.id), "--note", "sent it"],
                                env={"HOTLINE_DATA_DIR": str(data_dir)})
    assert result.exit_code == 2
    assert result.output.strip() == (f"error: forward {forward.id} goes out by partner-api; only a manual "
                                     "forward can be recorded as sent by hand")
    assert forwards(app)[0].state == "queued" and not _events(app, "forward.sent-by-hand")


def test_forward_sent_refuses_an_unknown_user(make_hotline, tmp_path) -> None:
    data_dir = tmp_path / "var"
    app = make_hotline(data_dir=data_dir)
    forward_id = _failed_manual_forward(app)
    result = CliRunner().invoke(cli_app, ["forward", "sent", str(forward_id), "--note", "done", "--as", "nobody"],
                                env={"HOTLINE_DATA_DIR": str(data_dir)}, input="some password\n")
    assert result.exit_code == 2
    assert result.output.strip() == "error: --as nobody: wrong user name, password or one-time code"
    assert forwards(app)[0].state == "failed"


def test_a_manual_forward_is_recorded_once_and_needs_a_note(make_hotline) -> None:
    app = make_hotline()
    forward_id = _failed_manual_forward(app)
    with app.db.session() as session:
        try:
            record_sent_by_hand(session, forward_id, "ana", "   ")
            raise AssertionError("an empty note was accepted")
        except ForwardRefused as exc:
            assert "note" in str(exc)
    with app.db.session() as session:
        record_sent_by_hand(session, forward_id, "ana", "ticket 1")
    with app.db.session() as session:
        try:
            record_sent_by_hand(session, forward_id, "ana", "ticket 2")
            raise AssertionError("a delivered forward was recorded again")
        except ForwardRefused as exc:
            assert str(exc) == (f"forward {forward_id} is delivered; only a queued or failed manual forward "
                                "can be recorded as sent by hand")
    assert forwards(app)[0].receipt == "ticket 1" and len(_events(app, "forward.sent-by-hand")) == 1


def test_a_second_delivery_does_not_reschedule_monitoring(make_hotline) -> None:
    # given a URL whose first forward was already delivered (by hand) and monitored
    app = make_hotline()
    first = _failed_manual_forward(app)
    with app.db.session() as session:
        record_sent_by_hand(session, first, "ana", "ticket 1")
    run_due_checks(app)
    [url_id] = {f.reported_url_id for f in forwards(app)}
    queue_forward(app, url_id, destination="platform-meta", kind="platform", channel="web-form", address=WEB_FORM)
    second = forwards(app)[-1].id
    with app.db.sessions() as session:
        first_at = session.get(ReportedUrl, url_id).first_forwarded_at
    # when a second manual forward (still queued) is recorded as sent
    with app.db.session() as session:
        record_sent_by_hand(session, second, "ana", "ticket 2")
    run_due_checks(app)
    # then the URL keeps its first forwarding time and one pending check
    with app.db.sessions() as session:
        assert session.get(ReportedUrl, url_id).first_forwarded_at == first_at
        checks = list(session.scalars(select(TakedownCheck).where(TakedownCheck.reported_url_id == url_id)))
        assert len(checks) == 1
