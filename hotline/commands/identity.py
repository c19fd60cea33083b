"""Who acts on the command line. `--as NAME` must be proved: NAME's personal token (`hotline user token
issue`), or NAME's password and then one-time code, read from standard input (first and second line;
asked for, hidden, on a terminal). Logins are throttled and audited like the workspace's, with the
operating-system account as the client. Without `--as`, review commands act as the `system` account,
which is never one of the four eyes, and other commands record "cli".
"""

from __future__ import annotations

import getpass
import sys
import weakref
from typing import TYPE_CHECKING, Annotated

import typer

from hotline.app import Hotline
from hotline.commands import fail

if TYPE_CHECKING:
    from sqlalchemy.orm import Session

    from hotline.auth import Credentials
    from hotline.models import User

AS_HELP = ("Act as this person: their personal token, or their password and one-time code on two lines, "
           "on standard input.")
AsOption = Annotated[str | None, typer.Option("--as", help=AS_HELP)]
RequiredAsOption = Annotated[str, typer.Option("--as", help=AS_HELP)]

# Names proved for one command's app (one `assess --from-file` asks once, a second command asks again).
_proved: weakref.WeakKeyDictionary[Hotline, dict[str, str]] = weakref.WeakKeyDictionary()


def os_account() -> str:
    try:
        return getpass.getuser()
    except (KeyError, OSError):
        return "unknown"


def read_credentials(name: str) -> Credentials:
    from hotline.auth import Credentials
    from hotline.auth.tokens import looks_like_token

    if sys.stdin is None:
        fail(f"--as {name} needs {name}'s credentials on standard input")
    if sys.stdin.isatty():
        first = getpass.getpass(f"Password (or personal token) of {name}: ")
        if looks_like_token(first):
            return Credentials(token=first.strip())
        return Credentials(password=first, code=getpass.getpass("One-time code (empty if none): ").strip() or None)
    first = sys.stdin.readline().rstrip("\r\n")
    if not first:
        fail(f"--as {name} needs {name}'s personal token, or password and one-time code, on standard input")
    if looks_like_token(first):
        return Credentials(token=first.strip())
    code = sys.stdin.readline().strip()
    return Credentials(password=first, code=code or None)


def prove(hl: Hotline, name: str) -> str:
    """Check that whoever runs this is `name` (once per process); the account's name, or exit 2."""
    from hotline.auth import AuthError, Throttles
    from hotline.auth.login import authenticate_as

    wanted = name.strip()
    proved = _proved.setdefault(hl, {})
    if wanted in proved:
        return proved[wanted]
    credentials = read_credentials(wanted)
    try:
        user = authenticate_as(hl.db, Throttles.default(), hl.settings, wanted, credentials, f"cli:{os_account()}")
    except AuthError as exc:
        fail(f"--as {wanted}: {exc}")
    proved[wanted] = user.name
    return user.name


def acting_user(hl: Hotline, session: Session, name: str | None) -> User:
    """The proved person for `--as NAME`, else the `system` account (HOTLINE_CLI_USER)."""
    from hotline.auth import named_user, system_user

    if name:
        return named_user(session, prove(hl, name))
    return system_user(session, hl.settings.cli_user)


def actor_name(hl: Hotline, name: str | None) -> str:
    """For the audit log of operator commands: the proved person, or "cli"."""
    return prove(hl, name) if name else "cli"
