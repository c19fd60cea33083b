"""Engine and sessions for the embedded default (SQLite, WAL) and PostgreSQL, and schema upgrades."""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker
from sqlalchemy.pool import NullPool

from hotline.config import Settings

_MIGRATIONS = Path(__file__).parent / "migrations"


def make_engine(url: str, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False}, **kwargs)
        path = Path(url.removeprefix("sqlite:///")) if url.startswith("sqlite:///") else None

        @event.listens_for(engine, "do_connect")
        def _owner_only(*_args: Any) -> None:
            # SQLite would create the file (and later its -wal and -shm, which copy its mode) with the
            # umask's mode: make it owner-only first, since it holds the audit log and sealed secrets.
            if path is not None and path.parent.is_dir():
                from hotline.datadir import DATABASE_SUFFIXES, create_private_file, private_file

                create_private_file(path)
                for suffix in DATABASE_SUFFIXES:
                    private_file(path.with_name(path.name + suffix))

        @event.listens_for(engine, "connect")
        def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
            # WAL lets the web app read while a stage writes; foreign keys are off by default in SQLite.
            cur = dbapi_conn.cursor()
            cur.execute("PRAGMA journal_mode=WAL")
            cur.execute("PRAGMA synchronous=NORMAL")
            cur.execute("PRAGMA foreign_keys=ON")
            cur.execute("PRAGMA busy_timeout=30000")
            cur.close()

        return engine
    return create_engine(url, pool_pre_ping=True, **kwargs)


class NotInitialised(Exception):
    """The data dir or database is missing, or its schema is older than this version; one line says why."""


class Database:
    """One engine and session factory per process. Creates nothing until used (see Hotline.init)."""

    def __init__(self, settings: Settings):
        self.settings = settings
        self.url = settings.database
        self.engine = make_engine(self.url)
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)

    @contextmanager
    def session(self) -> Iterator[Session]:
        """A unit of work: committed when the block ends, rolled back on error."""
        with self.sessions() as session:
            try:
                yield session
                session.commit()
            except BaseException:
                session.rollback()
                raise

    def upgrade(self) -> None:
        """Create or upgrade the schema to the newest migration."""
        migrate(self.engine, "head")

    def dispose(self) -> None:
        self.engine.dispose()


def head_revision() -> str:
    """The newest schema revision this installation knows."""
    from alembic.script import ScriptDirectory

    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    assert head is not None
    return head


def check_initialised(settings: Settings) -> None:
    """Raise NotInitialised unless the database exists at this version's schema. Reads only: a missing
    SQLite file is not created, and nothing is written anywhere."""
    url = settings.database
    try:
        current = _stored_revision(settings)
    except NotInitialised:
        raise
    except Exception as exc:  # noqa: BLE001 - any failure to read is "cannot reach": say which and why
        from sqlalchemy.engine import make_url

        where = make_url(url).render_as_string(hide_password=True)
        raise NotInitialised(f"cannot read the database at {where} ({exc.__class__.__name__}): "
                             "is it running, and does the setting HOTLINE_DATABASE_URL point at it?") from None
    head = head_revision()
    if current is None:
        raise NotInitialised(f"{_where(settings)} holds no hotline data yet: run `hotline init` first")
    if current != head:
        from alembic.script import ScriptDirectory

        known = {script.revision for script in ScriptDirectory.from_config(alembic_config()).walk_revisions()}
        if current not in known:
            raise NotInitialised(f"{_where(settings)} was upgraded by a newer hotline (schema {current}); "
                                 "install that version or newer")
        raise NotInitialised(f"{_where(settings)} has schema {current}, this version needs {head}: "
                             "run `hotline init` to upgrade it")


def _where(settings: Settings) -> str:
    if settings.database_url:
        from sqlalchemy.engine import make_url

        return "the database " + make_url(settings.database_url).render_as_string(hide_password=True)
    return str(settings.data_dir.resolve())


def _stored_revision(settings: Settings) -> str | None:
    """The schema revision recorded in the database, None when there is no hotline schema there."""
    url = settings.database
    if url.startswith("sqlite"):
        import sqlite3

        path = Path(url.removeprefix("sqlite:///"))
        if not path.is_file():
            return None
        # Read-only, so checking never creates or changes the file (or its WAL side files).
        with contextlib.closing(sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True)) as conn:
            try:
                row = conn.execute("SELECT version_num FROM alembic_version").fetchone()
            except sqlite3.OperationalError:
                return None
        return row[0] if row else None
    from sqlalchemy import inspect, text

    engine = create_engine(url, poolclass=NullPool, connect_args=_connect_timeout(url))
    try:
        with engine.connect() as connection:
            if not inspect(connection).has_table("alembic_version"):
                return None
            return connection.execute(text("SELECT version_num FROM alembic_version")).scalar()
    finally:
        engine.dispose()


def _connect_timeout(url: str) -> dict[str, Any]:
    return {"connect_timeout": 5} if url.startswith("postgresql") else {}


def migrate(engine: Engine, revision: str, *, down: bool = False) -> None:
    """Upgrade (or downgrade) the schema to `revision` in one transaction.

    On SQLite, Alembic's batch mode rebuilds a table by copying it and dropping the old one, which a
    referencing row would refuse: foreign keys are off while it runs, every reference is checked before
    the transaction commits, and they are on again before the connection goes back to the pool."""
    from alembic import command

    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Only takes effect outside a transaction; pysqlite opens none for a PRAGMA.
            connection.exec_driver_sql("PRAGMA foreign_keys=OFF")
            connection.commit()
        try:
            with connection.begin():
                config = alembic_config()
                config.attributes["connection"] = connection
                (command.downgrade if down else command.upgrade)(config, revision)
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").all()
                    if broken:
                        raise RuntimeError(f"migration to {revision} left rows pointing nowhere: {broken[:5]}")
        finally:
            if sqlite:
                connection.exec_driver_sql("PRAGMA foreign_keys=ON")
                connection.commit()


def alembic_config() -> Any:
    from alembic.config import Config

    config = Config()
    config.set_main_option("script_location", str(_MIGRATIONS))
    return config
