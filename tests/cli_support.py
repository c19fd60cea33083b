"""Credentials for `--as NAME` in tests that drive the command line: a personal token per (data dir, user),
issued once through the Python API (the way `hotline user token issue` does after checking the password and
one-time code), and fed on standard input as a script would."""

from __future__ import annotations

from pathlib import Path
from typing import Any

_tokens: dict[tuple[str, str], str] = {}
NO_SUCH_TOKEN = "hlu.not-a-token-of-anyone"


def token_for(app: Any, name: str) -> str:
    """A live token acting as `name` in `app`'s database; a token of no one when there is no such person."""
    from hotline.auth import find_user, is_person
    from hotline.auth.tokens import issue_token

    key = (str(Path(app.settings.data_dir).resolve()), app.settings.database_url or "", name)
    if key not in _tokens:
        with app.db.session() as session:
            user = find_user(session, name)
            if user is None or not is_person(user):
                return NO_SUCH_TOKEN
            _, _tokens[key] = issue_token(session, user, "tests", "tests")
    return _tokens[key]


def as_user(args: tuple[str, ...] | list[str]) -> str | None:
    args = list(args)
    return args[args.index("--as") + 1] if "--as" in args and args.index("--as") + 1 < len(args) else None


def stdin_for(app: Any, args: tuple[str, ...] | list[str], stdin: str | None) -> str | None:
    """Standard input with the `--as` person's token first (unless the test gives its own input)."""
    name = as_user(args)
    if name is None or stdin is not None:
        return stdin
    return token_for(app, name) + "\n"
