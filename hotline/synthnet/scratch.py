"""Throw-away PostgreSQL databases and schemas, for the test suite and the benchmarks."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy.engine import make_url


def _connect_params(url: str) -> dict[str, Any]:
    parsed = make_url(url)
    return {"host": parsed.host, "port": parsed.port or 5432, "user": parsed.username, "dbname": parsed.database}


def _run(url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(**_connect_params(url), autocommit=True, connect_timeout=5) as conn:
        conn.execute(statement)


@contextmanager
def scratch_database(admin_url: str, prefix: str = "hotline_scratch") -> Iterator[str]:
    """A new database on the server of `admin_url`, dropped when the block ends; yields its URL."""
    name = f"{prefix}_{uuid.uuid4().hex[:10]}"
    _run(admin_url, f'CREATE DATABASE "{name}"')
    try:
        yield make_url(admin_url).set(database=name).render_as_string(hide_password=False)
    finally:
        _run(admin_url, f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@contextmanager
def scratch_schema(database_url: str, prefix: str = "t") -> Iterator[str]:
    """A new schema in the database of `database_url`, dropped when the block ends; yields a URL whose
    connections use it (search_path), so tests stay apart without creating a database each."""
    schema = f"{prefix}_{uuid.uuid4().hex[:12]}"
    _run(database_url, f'CREATE SCHEMA "{schema}"')
    try:
        yield make_url(database_url).update_query_dict({"options": f"-csearch_path={schema}"}).render_as_string(
            hide_password=False
        )
    finally:
        _run(database_url, f'DROP SCHEMA "{schema}" CASCADE')
