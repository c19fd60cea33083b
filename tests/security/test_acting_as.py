"""Finding 11: on the command line, `--as` a person needs that person's credentials, the `system` account
and partner keys are never one of the four eyes, and supervisors must use one-time codes."""

from __future__ import annotations

import json

import pyotp
from sqlalchemy import select

from hotline.auth import find_user, totp_secret
from hotline.models import AuditEvent, User
from hotline.triage.assessment import set_four_eyes
from tests.security.conftest import PASSWORD, add_people, cli
from tests.triage.conftest import seed_item

BASELINE = ("--legal", "baseline", "--age-group", "pre-pubescent", "--gender", "female")


def _four_eyes_item(app):  # type: ignore[no-untyped-def]
    add_people(app, ana="analyst", bob="analyst", sue="supervisor")
    with app.db.session() as session:
        set_four_eyes(session, find_user(session, "sue"), ["baseline"])
    return seed_item(app, 1)


def _events(app, action: str) -> list[AuditEvent]:  # type: ignore[no-untyped-def]
    with app.db.sessions() as session:
        return list(session.scalars(select(AuditEvent).where(AuditEvent.action == action).order_by(AuditEvent.id)))


def test_acting_as_someone_needs_their_password_and_four_eyes_needs_two_people(make_hotline) -> None:
    app = make_hotline()
    item = _four_eyes_item(app)
    # without credentials, or with someone else's, nothing happens: one line each
    bare = cli(app, "assess", item.reference, *BASELINE, "--as", "ana")
    assert bare.exit_code == 2 and bare.output.count("\n") == 1
    assert "needs ana's personal token, or password and one-time code" in bare.output
    wrong = cli(app, "assess", item.reference, *BASELINE, "--as", "ana", stdin="not her password\n")
    assert wrong.exit_code == 2 and "wrong user name, password or one-time code" in wrong.output
    failed = _events(app, "login.failed")
    assert failed[-1].actor == "ana" and failed[-1].detail["client"].startswith("cli:")
    # ana assesses with her own password
    assessed = cli(app, "assess", item.reference, *BASELINE, "--as", "ana", stdin=PASSWORD + "\n")
    assert assessed.exit_code == 0, assessed.output
    # she cannot be the second pair of eyes, nor can the system account, nor bob's name with her password
    own = cli(app, "approve", item.reference, "--as", "ana", stdin=PASSWORD + "\n")
    assert own.exit_code == 2 and "someone other than its assessor" in own.output
    system = cli(app, "approve", item.reference)
    assert system.exit_code == 2 and "system is not a person" in system.output
    borrowed = cli(app, "approve", item.reference, "--as", "bob", stdin="ana's password, say\n")
    assert borrowed.exit_code == 2
    # bob, proving who he is, may
    approved = cli(app, "approve", item.reference, "--as", "bob", stdin=PASSWORD + "\n", )
    assert approved.exit_code == 0, approved.output
    assert [e.actor for e in _events(app, "proposal.approve")] == ["bob"]


def test_the_cli_user_setting_cannot_name_a_person(make_hotline) -> None:
    app = make_hotline()
    item = _four_eyes_item(app)
    assert cli(app, "assess", item.reference, *BASELINE, "--as", "ana", stdin=PASSWORD + "\n").exit_code == 0
    # HOTLINE_CLI_USER=bob would otherwise let anyone act as bob without his credentials
    result = cli(app, "approve", item.reference, env={"HOTLINE_CLI_USER": "bob"})
    assert result.exit_code == 2 and "'bob' is a person's account" in result.output


def test_a_supervisor_acts_by_token_issued_with_password_and_code_and_revoked(make_hotline) -> None:
    app = make_hotline()
    add_people(app, sue="supervisor")
    # supervisors must use one-time codes: a password alone issues nothing
    refused = cli(app, "user", "token", "issue", "sue", stdin=PASSWORD + "\n")
    assert refused.exit_code == 2 and "supervisors must use one-time codes" in refused.output
    enrolled = cli(app, "user", "totp", "sue")
    assert enrolled.exit_code == 0
    with app.db.sessions() as session:
        seed = totp_secret(session, find_user(session, "sue"))
    # with both, a token is issued, shown once
    code = pyotp.TOTP(seed).now()
    issued = cli(app, "user", "token", "issue", "sue", "--label", "nightly", "--json", stdin=f"{PASSWORD}\n{code}\n")
    assert issued.exit_code == 0, issued.output
    token = json.loads(issued.stdout)["token"]
    # the token lets a script act as sue without her password
    assert cli(app, "policy", "pause", "--as", "sue", stdin=token + "\n").exit_code == 0
    assert [e.actor for e in _events(app, "setting.policies_paused")] == ["sue"]
    # ... only as sue
    assert cli(app, "policy", "resume", "--as", "ana", stdin=token + "\n").exit_code == 2
    # the same code is not accepted twice, even by another process
    again = cli(app, "user", "token", "issue", "sue", stdin=f"{PASSWORD}\n{code}\n")
    assert again.exit_code == 2 and "wrong user name, password or one-time code" in again.output
    # once revoked, it is refused
    assert cli(app, "user", "token", "revoke", "sue").exit_code == 0
    revoked = cli(app, "policy", "resume", "--as", "sue", stdin=token + "\n")
    assert revoked.exit_code == 2 and "not a live personal token" in revoked.output
    # the database never held the token itself
    with app.db.sessions() as session:
        from hotline.models import UserToken

        assert token not in [t.token_hash for t in session.scalars(select(UserToken))]


def test_evidence_export_as_anyone_at_all_is_refused(make_hotline, tmp_path) -> None:
    app = make_hotline()
    item = _four_eyes_item(app)
    result = cli(app, "evidence", "export", item.reference, "--out", str(tmp_path / "out"), "--as", "the police",
                 stdin="whatever\n")
    assert result.exit_code == 2 and "wrong user name, password or one-time code" in result.output
    assert not (tmp_path / "out").exists()
    assert not _events(app, "evidence.export")


def test_a_disabled_user_cannot_act_and_a_password_change_revokes_tokens(make_hotline) -> None:
    from hotline.auth.tokens import issue_token

    app = make_hotline()
    item = _four_eyes_item(app)
    with app.db.session() as session:
        _, token = issue_token(session, session.scalar(select(User).where(User.name == "ana")), None, "tests")
    assert cli(app, "user", "passwd", "ana", "--password-stdin", stdin="a new long password\n").exit_code == 0
    assert cli(app, "assess", item.reference, "--legal", "not-illegal", "--as", "ana",
               stdin=token + "\n").exit_code == 2
    assert cli(app, "user", "disable", "ana").exit_code == 0
    disabled = cli(app, "assess", item.reference, "--legal", "not-illegal", "--as", "ana",
                   stdin="a new long password\n")
    assert disabled.exit_code == 2
    [event] = _events(app, "user.disable")
    assert event.actor.startswith("cli:")
