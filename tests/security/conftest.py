"""Fixtures for the penetration-test findings (issue 17): cheap password hashing, users, the real CLI."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from typer.testing import CliRunner

REPO = Path(__file__).resolve().parents[2]
PASSWORD = "correct horse battery"
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=1024, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    import hotline.auth

    monkeypatch.setattr(hotline.auth, "_hasher", CHEAP_HASHER)


def add_people(app: Any, **roles: str) -> None:
    from hotline.auth import create_user

    with app.db.session() as session:
        for name, role in roles.items():
            create_user(session, name, role, PASSWORD)


def cli(app: Any, *args: str, stdin: str | None = None, env: dict[str, str] | None = None) -> Any:
    """The real `hotline` command in this process, on `app`'s data dir and database."""
    from cli import app as cli_app

    env = {"HOTLINE_DATA_DIR": str(app.settings.data_dir), **(env or {})}
    if app.settings.database_url:
        env["HOTLINE_DATABASE_URL"] = app.settings.database_url
    return CliRunner().invoke(cli_app, list(args), input=stdin, env=env)


def cli_process(app: Any, *args: str, stdin: str | None = None, umask: int | None = None
                ) -> subprocess.CompletedProcess[str]:
    """The real `hotline` command in a process of its own (another writer, another umask)."""
    env = {"PATH": os.environ.get("PATH", ""), "HOTLINE_DATA_DIR": str(app.settings.data_dir)}
    if app.settings.database_url:
        env["HOTLINE_DATABASE_URL"] = app.settings.database_url

    def preexec() -> None:
        if umask is not None:
            os.umask(umask)

    return subprocess.run([sys.executable, str(REPO / "cli.py"), *args], env=env, input=stdin, capture_output=True,
                          text=True, timeout=120, check=False, preexec_fn=preexec)
