"""pg_dump and pg_restore for a PostgreSQL deployment, called with the connection from the settings.

The password never goes on a command line (other users can read those): it is handed over in the
environment (PGPASSWORD), like the connection's `options` (PGOPTIONS).
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

from sqlalchemy.engine import make_url

from hotline.backup.manifest import BackupError

DUMP_FILE = "database.pgdump"
_LIBPQ_QUERY = ("sslmode", "sslrootcert", "sslcert", "sslkey", "connect_timeout", "application_name")


class PostgresToolError(BackupError):
    """pg_dump or pg_restore is missing or failed; one line saying what to do."""


def conninfo(url: str) -> tuple[str, dict[str, str]]:
    """A libpq connection string without the password, and the environment that carries the rest."""
    parsed = make_url(url)
    parts = {"host": parsed.host, "port": parsed.port, "user": parsed.username, "dbname": parsed.database}
    query = dict(parsed.query)
    parts.update({k: query[k] for k in _LIBPQ_QUERY if k in query})  # type: ignore[misc]
    text = " ".join(f"{k}={_quote(str(v))}" for k, v in parts.items() if v not in (None, ""))
    env = {"PGPASSWORD": parsed.password} if parsed.password else {}
    if "options" in query:
        env["PGOPTIONS"] = str(query["options"])
    return text, env


def _quote(value: str) -> str:
    if value and not any(c in value for c in " '\\"):
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def commands(url: str, dump: Path) -> tuple[str, str]:
    """The commands an operator runs by hand (password from PGPASSWORD or ~/.pgpass)."""
    info, _ = conninfo(url)
    return (f'pg_dump --format=custom --file "{dump}" --dbname "{info}"',
            f'pg_restore --no-owner --no-privileges --exit-on-error --single-transaction --dbname "{info}" "{dump}"')


def _run(tool: str, args: list[str], url: str) -> None:
    path = shutil.which(tool)
    if path is None:
        raise PostgresToolError(f"{tool} is not installed (Debian: postgresql-client)")
    info, extra = conninfo(url)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PG")} | extra
    done = subprocess.run([path, "--dbname", info, *args], env=env, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise PostgresToolError(f"{tool} failed: {last}")


def dump(url: str, target: Path) -> None:
    _run("pg_dump", ["--format=custom", "--file", str(target)], url)
    target.chmod(0o600)


def restore(url: str, source: Path) -> None:
    _run("pg_restore", ["--no-owner", "--no-privileges", "--exit-on-error", "--single-transaction", str(source)],
         url)
