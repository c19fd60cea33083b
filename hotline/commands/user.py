"""`hotline user add|ls|totp|logout-everywhere`: workspace accounts."""

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
    """Enrol (or re-enrol) a one-time-code app; prints the otpauth:// link to scan or type in."""
    from hotline.auth import enrol_totp, find_user

    with state.hotline() as hl, hl.db.session() as session:
        user = find_user(session, name)
        if user is None:
            raise _fail(f"no user named {name!r}")
        uri = enrol_totp(session, user, actor="cli")
    print(uri)
    err.print("From now on this user must type a one-time code at login.")


@app.command("logout-everywhere")
def logout_all(name: Annotated[str, typer.Argument(help="The account whose sessions end.")]) -> None:
    """End every session of a user at once (for a lost laptop or a leaked cookie)."""
    from hotline.auth import find_user, logout_everywhere

    with state.hotline() as hl, hl.db.session() as session:
        user = find_user(session, name)
        if user is None:
            raise _fail(f"no user named {name!r}")
        logout_everywhere(session, user)
    console.print(f"every session of {name} has ended")
