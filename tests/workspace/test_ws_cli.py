"""`hotline user ...` and `hotline audit ...` through the real command line entry point."""

from __future__ import annotations

import json

import pyotp
import pytest
from sqlalchemy import update
from typer.testing import CliRunner

from cli import app as cli_app
from hotline.auth import find_user, totp_secret, verify_password
from hotline.models import AuditEvent


@pytest.fixture
def hotline_dir(make_hotline, monkeypatch):  # type: ignore[no-untyped-def]
    app = make_hotline()
    monkeypatch.setenv("HOTLINE_DATA_DIR", str(app.settings.data_dir))
    return app


def run(*args: str, stdin: str | None = None):  # type: ignore[no-untyped-def]
    return CliRunner().invoke(cli_app, list(args), input=stdin)


def test_user_add_with_a_prompted_password_and_ls(hotline_dir) -> None:
    result = run("user", "add", "ana", "--role", "supervisor", stdin="a long password\na long password\n")
    assert result.exit_code == 0, result.output
    assert "added ana (supervisor)" in result.output
    with hotline_dir.db.sessions() as session:
        user = find_user(session, "ana")
        assert user.role == "supervisor" and verify_password(user.password_hash, "a long password")
        assert user.password_hash.startswith("$argon2id$")
    listed = json.loads(run("user", "ls", "--json").stdout)
    assert [(u["name"], u["role"], u["totp"]) for u in listed] == [("ana", "supervisor", False)]


def test_user_add_refuses_with_one_line(hotline_dir) -> None:
    assert run("user", "add", "bob", "--password-stdin", stdin="a long password\n").exit_code == 0
    again = run("user", "add", "bob", "--password-stdin", stdin="a long password\n")
    assert again.exit_code == 2 and "already exists" in again.output
    role = run("user", "add", "cy", "--role", "root", "--password-stdin", stdin="a long password\n")
    assert role.exit_code == 2 and "role must be one of analyst, supervisor, admin" in role.output
    short = run("user", "add", "cy", "--password-stdin", stdin="short\n")
    assert short.exit_code == 2 and "at least 10 characters" in short.output
    differ = run("user", "add", "cy", stdin="a long password\nanother password\n")
    assert differ.exit_code == 2 and "differ" in differ.output


def test_user_totp_prints_an_enrolment_link_that_generates_valid_codes(hotline_dir) -> None:
    run("user", "add", "ana", "--password-stdin", stdin="a long password\n")
    result = run("user", "totp", "ana")
    assert result.exit_code == 0
    uri = result.stdout.strip()
    assert uri.startswith("otpauth://totp/hotline:ana?")
    with hotline_dir.db.sessions() as session:
        user = find_user(session, "ana")
        assert pyotp.parse_uri(uri).now() == pyotp.TOTP(totp_secret(session, user)).now()
        # and the seed is sealed in the database, not kept in the clear
        assert pyotp.parse_uri(uri).secret not in user.totp_secret
    assert run("user", "totp", "nobody").exit_code == 2


def test_audit_verify_and_ls(hotline_dir) -> None:
    run("user", "add", "ana", "--password-stdin", stdin="a long password\n")
    run("user", "totp", "ana")
    assert run("audit", "verify").exit_code == 0
    events = json.loads(run("audit", "ls", "--json", "--action", "user.").stdout)
    assert [e["action"] for e in events] == ["user.totp_enrol", "user.create"]
    # when someone edits an event in the database
    with hotline_dir.db.session() as session:
        session.execute(update(AuditEvent).where(AuditEvent.id == events[1]["id"]).values(actor="mallory"))
    # then verify fails and names it
    broken = run("audit", "verify")
    assert broken.exit_code == 1
    assert f"event(s) {events[1]['id']}" in broken.output
    as_json = json.loads(run("audit", "verify", "--json").stdout)
    assert as_json["ok"] is False and as_json["problems"][0]["event_id"] == events[1]["id"]
