"""`hotline user add|ls|passwd|disable|enable|totp|logout-everywhere|token`: workspace accounts.

The command line with access to the data dir is an administrator's tool: it may set a password or
disable an account without the old password, and every such change is audited (with the operating-system
account) and ends the user's sessions and personal tokens. Issuing a personal token is different: it
lets a script act as the person, so it needs the person's own password and one-time code.
"""

from __future__ import annotations

import json
import sys
from typing import Annotated, Any

import typer
from rich.console import Console

from hotline.commands import fail as _fail
from hotline.commands import state
from hotline.commands.tables import table as cli_table

NAME = "user"
app = typer.Typer(no_args_is_help=True, help="Analyst, supervisor and admin accounts for the workspace.")
console = Console()
err = Console(stderr=True, soft_wrap=True)



def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        return sys.stdin.readline().rstrip("\r\n")
    first: str = typer.prompt("Password", hide_input=True)
    again: str = typer.prompt("Repeat the password", hide_input=True)
    if first != again:
        raise _fail("the two passwords differ; nothing was changed")
    return first


@app.command("add")
def add(
    name: Annotated[str, typer.Argument(help="Login name, without spaces.")],
    role: Annotated[str, typer.Option("--role", help="analyst, supervisor or admin.")] = "analyst",
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the password from the first line of standard input.")
    ] = False,
) -> None:
    """Create an account; asks for its password."""
    from hotline.auth import AuthError, create_user

    with state.hotline() as hl:
        password = _read_password(password_stdin)  # after the data dir check: no password typed in vain
        try:
            with hl.db.session() as session:
                user = create_user(session, name, role, password, actor="cli")
                console.print(f"added {user.name} ({user.role})")
        except AuthError as exc:
            raise _fail(str(exc)) from None


@app.command("ls")
def ls(as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False) -> None:
    """List the accounts."""
    from sqlalchemy import select

    from hotline.models import User

    with state.hotline() as hl, hl.db.sessions() as session:
        users: list[dict[str, Any]] = [
            {"name": u.name, "role": u.role, "active": u.active, "totp": bool(u.totp_secret),
             "created_at": u.created_at.isoformat()}
            for u in session.scalars(select(User).order_by(User.name))
        ]
    if as_json:
        print(json.dumps(users))
        return
    table = cli_table("name", "role", "active", "totp", "created")
    for u in users:
        table.add_row(u["name"], u["role"], "yes" if u["active"] else "no", "yes" if u["totp"] else "no",
                      u["created_at"][:16])
    console.print(table)


@app.command("totp")
def totp(name: Annotated[str, typer.Argument(help="The account to enrol.")]) -> None:
    """Enrol (or re-enrol) a one-time-code app; prints the otpauth:// link, and a QR code on a terminal."""
    from hotline.auth import enrol_totp, find_user, is_person

    with state.hotline() as hl, hl.db.session() as session:
        user = find_user(session, name)
        if user is None or not is_person(user):
            raise _fail(f"no user named {name!r}")
        uri = enrol_totp(session, user, actor=_cli_actor())
    print(uri)
    if sys.stdout.isatty():
        import segno

        segno.make(uri, error="m").terminal(compact=True)
    err.print("From now on this user must type a one-time code at login.")


def _cli_actor() -> str:
    from hotline.commands.identity import os_account

    return f"cli:{os_account()}"


def _person(session: Any, name: str) -> Any:
    from hotline.auth import find_user, is_person

    user = find_user(session, name)
    if user is None or not is_person(user):
        raise _fail(f"no user named {name!r}")
    return user


@app.command("passwd")
def passwd(
    name: Annotated[str, typer.Argument(help="The account whose password changes.")],
    password_stdin: Annotated[
        bool, typer.Option("--password-stdin", help="Read the new password from the first line of standard input.")
    ] = False,
) -> None:
    """Set a new password (asked twice); every session and personal token of the user ends."""
    from hotline.auth import AuthError, change_password

    with state.hotline() as hl:
        password = _read_password(password_stdin)
        try:
            with hl.db.session() as session:
                change_password(session, _person(session, name), password, _cli_actor())
        except AuthError as exc:
            raise _fail(str(exc)) from None
    console.print(f"the password of {name} was changed; their sessions and tokens have ended")


def _set_active(name: str, active: bool) -> None:
    from hotline.auth import AuthError, set_active

    with state.hotline() as hl:
        try:
            with hl.db.session() as session:
                set_active(session, _person(session, name), active, _cli_actor())
        except AuthError as exc:
            raise _fail(str(exc)) from None


@app.command("disable")
def disable(name: Annotated[str, typer.Argument(help="The account to disable.")]) -> None:
    """Disable an account at once: it cannot log in or act, and its sessions and tokens end."""
    _set_active(name, False)
    console.print(f"{name} is disabled; every session and token of theirs has ended")


@app.command("enable")
def enable(name: Annotated[str, typer.Argument(help="The account to enable again.")]) -> None:
    """Let a disabled account log in again (with a new password if it may have leaked: `user passwd`)."""
    _set_active(name, True)
    console.print(f"{name} may log in again")


@app.command("logout-everywhere")
def logout_all(name: Annotated[str, typer.Argument(help="The account whose sessions end.")]) -> None:
    """End every session of a user at once (for a lost laptop or a leaked cookie)."""
    from hotline.auth import logout_everywhere

    with state.hotline() as hl, hl.db.session() as session:
        logout_everywhere(session, _person(session, name), actor=_cli_actor())
    console.print(f"every session of {name} has ended")


token_app = typer.Typer(no_args_is_help=True, help="Personal API tokens: how a script acts as a person.")
app.add_typer(token_app, name="token")


@token_app.command("issue")
def token_issue(
    name: Annotated[str, typer.Argument(help="The person the token acts as.")],
    label: Annotated[str | None, typer.Option(help="What it is for, e.g. the script's name.")] = None,
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """Issue a token (shown once) that acts as NAME; needs NAME's password and one-time code on standard input."""
    from hotline.auth.tokens import issue_token
    from hotline.commands.identity import prove

    with state.hotline() as hl:
        proved = prove(hl, name)
        with hl.db.session() as session:
            row, secret = issue_token(session, _person(session, proved), label, proved)
    if as_json:
        print(json.dumps({"id": row.id, "name": proved, "token": secret}))
        return
    print(secret)
    err.print(f"token {row.id} acts as {proved}: keep it like a password; it is not shown again "
              f"(`hotline user token revoke {proved} --id {row.id}` ends it)")


@token_app.command("ls")
def token_ls(
    name: Annotated[str, typer.Argument(help="Whose tokens.")],
    as_json: Annotated[bool, typer.Option("--json", help="Print JSON.")] = False,
) -> None:
    """A person's tokens (never the tokens themselves)."""
    from hotline.auth.tokens import list_tokens

    with state.hotline() as hl, hl.db.sessions() as session:
        rows: list[dict[str, Any]] = [{"id": t.id, "label": t.label, "created_at": t.created_at.isoformat(),
                 "last_used_at": t.last_used_at.isoformat() if t.last_used_at else None,
                 "revoked": t.revoked_at is not None} for t in list_tokens(session, _person(session, name))]
    if as_json:
        print(json.dumps(rows))
        return
    table = cli_table("id", "label", "created", "last used", "revoked")
    for r in rows:
        table.add_row(str(r["id"]), r["label"] or "-", r["created_at"][:16], (r["last_used_at"] or "-")[:16],
                      "yes" if r["revoked"] else "no")
    console.print(table)


@token_app.command("revoke")
def token_revoke(
    name: Annotated[str, typer.Argument(help="Whose token.")],
    token_id: Annotated[int | None, typer.Option("--id", help="Only this token (default: all of them).")] = None,
) -> None:
    """End a person's token (or all of them): a script using it is refused from now on."""
    from hotline.auth.tokens import revoke_tokens

    with state.hotline() as hl, hl.db.session() as session:
        count = revoke_tokens(session, _person(session, name), token_id, _cli_actor())
    console.print(f"revoked {count} token(s) of {name}")
