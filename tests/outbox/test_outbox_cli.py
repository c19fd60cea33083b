"""`hotline forward`: send until idle, list the outbox, re-queue a failed forward."""

from __future__ import annotations

import json

from outbox_support import add_partner, forwards, queue_forward, seed_url
from typer.testing import CliRunner

from cli import app as cli_app


def test_forward_until_idle_then_ls_and_retry(make_hotline, partner_endpoint, tmp_path) -> None:
    # given one forward to a partner whose intake refuses our signature
    data_dir = tmp_path / "var"
    app = make_hotline(data_dir=data_dir)
    add_partner(app, partner_endpoint.url, secret=b"a-secret-the-partner-does-not-know")
    forward = queue_forward(app, seed_url(app, 1))
    env = {"HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_FORWARD_RATE_PER_SECOND": "100"}
    runner = CliRunner()
    # when the outbox is run until idle
    sent = runner.invoke(cli_app, ["forward", "--until-idle"], env=env)
    assert sent.exit_code == 0, sent.output
    assert "failed=1" in sent.output
    # then `forward ls --state failed --json` shows it with the partner's answer as last error
    listed = runner.invoke(cli_app, ["forward", "ls", "--state", "failed", "--json"], env=env)
    [row] = json.loads(listed.stdout)
    assert row["id"] == forward.id and row["attempts"] == 1 and "401" in row["last_error"]
    # when the partner is given the right secret and the forward is retried
    with app.db.session() as session:
        from hotline.models import Partner
        from hotline.web.api.partners import seal_partner_secret

        for partner in session.query(Partner):
            partner.outbound_secret = seal_partner_secret(session, partner, "outbound_secret",
                                                          b"synthetic-shared-secret-for-tests")
    retried = runner.invoke(cli_app, ["forward", "retry", str(forward.id)], env=env)
    assert retried.exit_code == 0 and "queued again" in retried.output
    again = runner.invoke(cli_app, ["forward", "--until-idle"], env=env)
    # then it is delivered, and the table shows the receipt
    assert "delivered=1" in again.output
    [done] = forwards(app)
    assert done.state == "delivered" and list(partner_endpoint.stored) == [forward.idempotency_key]
    table = runner.invoke(cli_app, ["forward", "ls"], env=env)
    assert partner_endpoint.stored[forward.idempotency_key] in table.output


def test_retry_of_a_forward_that_is_not_failed_is_one_clear_line(make_hotline, tmp_path) -> None:
    data_dir = tmp_path / "var"
    app = make_hotline(data_dir=data_dir)
    forward = queue_forward(app, seed_url(app, 1), address="http://127.0.0.1:9/")
    result = CliRunner().invoke(cli_app, ["forward", "retry", str(forward.id)],
                                env={"HOTLINE_DATA_DIR": str(data_dir)})
    assert result.exit_code == 2
    assert result.output.strip() == f"error: forward {forward.id} is queued; only a failed forward can be retried"


def test_ls_rejects_an_unknown_state(make_hotline, tmp_path) -> None:
    data_dir = tmp_path / "var"
    make_hotline(data_dir=data_dir)
    result = CliRunner().invoke(cli_app, ["forward", "ls", "--state", "lost"], env={"HOTLINE_DATA_DIR": str(data_dir)})
    assert result.exit_code == 2 and "unknown state 'lost'" in result.output


def test_the_first_takedown_check_follows_the_configured_schedule(make_hotline, partner_endpoint, tmp_path) -> None:
    from datetime import timedelta

    from sqlalchemy import select

    from hotline.models import TakedownCheck

    # given a forward to a partner and a hotline that checks first after 2.5 hours, not the default 1
    data_dir = tmp_path / "var"
    app = make_hotline(data_dir=data_dir)
    add_partner(app, partner_endpoint.url)
    url_id = seed_url(app, 1)
    queue_forward(app, url_id)
    env = {"HOTLINE_DATA_DIR": str(data_dir), "HOTLINE_MONITOR_FIRST_CHECKS_HOURS": "2.5,12"}
    # when the outbox delivers it
    sent = CliRunner().invoke(cli_app, ["forward", "--until-idle"], env=env)
    assert sent.exit_code == 0 and "delivered=1" in sent.output, sent.output
    # then takedown monitoring schedules the URL's first check 2.5 hours after the delivery
    assert CliRunner().invoke(cli_app, ["monitor"], env=env).exit_code == 0
    [forward] = forwards(app)
    with app.db.sessions() as session:
        [check] = session.scalars(select(TakedownCheck).where(TakedownCheck.reported_url_id == url_id)).all()
    assert check.due_at == forward.delivered_at + timedelta(hours=2.5)
