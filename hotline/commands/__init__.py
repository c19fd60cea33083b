"""Command groups mounted by cli.py (listed there): each module exposes `app` (a Typer group) and/or
`COMMANDS`.

`state.hotline()` builds the application from the global --config option; every command uses it.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, NoReturn

import typer

if TYPE_CHECKING:
    from hotline.app import Hotline


class State:
    config: Path | None = None

    def hotline(self, *, initialised: bool = True) -> Hotline:
        """The application for a command. Unless `initialised=False` (init, demo), a missing or outdated
        data dir or database stops the command with one line, before anything is created."""
        from hotline.app import Hotline
        from hotline.config import load_settings
        from hotline.db import NotInitialised, check_initialised
        from hotline.logs import configure_from_settings

        settings = load_settings(self.config)
        configure_from_settings(settings)  # every command logs the same way, in one place
        if initialised:
            try:
                check_initialised(settings)
            except NotInitialised as exc:
                fail(str(exc))
        return Hotline(settings)


state = State()


def require_data_files(app: Hotline) -> None:
    """Stop a long-running command at once, one line per problem, when a rule or data file is wrong."""
    problems = app.data_file_problems()
    if problems:
        for line in problems[:-1]:
            typer.echo(f"error: {line}", err=True)
        fail(problems[-1])


def fail(message: str, code: int = 2) -> NoReturn:
    """One plain line on standard error, then exit: errors a user can meet are never tracebacks."""
    typer.echo(f"error: {message}", err=True)
    raise typer.Exit(code)
