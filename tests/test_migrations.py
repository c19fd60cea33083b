"""Schema migrations: each one upgrades a database holding rows of the version before it, on SQLite and
on PostgreSQL, and the result matches the models exactly."""

from __future__ import annotations

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text

from hotline.db import alembic_config, make_engine
from hotline.models import Base


def _migrate(engine, revision: str, down: bool = False) -> None:  # type: ignore[no-untyped-def]
    with engine.begin() as connection:
        config = alembic_config()
        config.attributes["connection"] = connection
        (command.downgrade if down else command.upgrade)(config, revision)


def _differences(engine) -> list:  # type: ignore[no-untyped-def,type-arg]
    with engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return compare_metadata(context, Base.metadata)


def test_0002_adds_legal_hold_and_purged_at_to_existing_rows(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        # given a database at 0001 with a report and a capture in it
        _migrate(engine, "0001")
        with engine.begin() as db:
            db.execute(text("INSERT INTO report (reference, source, received_at) VALUES ('HL-OLD-1', 'CLI', :t)"),
                       {"t": "2026-01-01 00:00:00+00:00"})
            db.execute(text("INSERT INTO reported_url (url, host, state, priority, first_reported_at, updated_at, "
                            "stage_attempts) VALUES ('http://a.example/', 'a.example', 'CLOSED', 0, :t, :t, 0)"),
                       {"t": "2026-01-01 00:00:00+00:00"})
            db.execute(text("INSERT INTO capture (reported_url_id, purpose, outcome, hops, options, warc_path, "
                            "started_at) VALUES (1, 'report', 'ok', '[]', '{}', 'warc/x.warc.enc', :t)"),
                       {"t": "2026-01-01 00:00:00+00:00"})
        # when it is upgraded to the newest schema
        _migrate(engine, "head")
        # then the old rows are not on hold and not purged, and the schema is exactly the models'
        with engine.connect() as db:
            hold = db.execute(text("SELECT legal_hold, legal_hold_by_id, legal_hold_reason FROM report")).one()
            purged = db.execute(text("SELECT purged_at, warc_path FROM capture")).one()
        assert not hold[0] and hold[1] is None and hold[2] is None
        assert purged == (None, "warc/x.warc.enc")
        assert _differences(engine) == []
        # and it goes back down and up again
        _migrate(engine, "0001", down=True)
        _migrate(engine, "head")
        assert _differences(engine) == []
    finally:
        engine.dispose()
