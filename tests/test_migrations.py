"""Schema migrations: each one upgrades a database holding rows of the version before it, on SQLite and
on PostgreSQL, and the result matches the models exactly."""

from __future__ import annotations

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import text
from sqlalchemy.exc import IntegrityError

from hotline.db import make_engine, migrate
from hotline.models import Base


def _migrate(engine, revision: str, down: bool = False) -> None:  # type: ignore[no-untyped-def]
    migrate(engine, revision, down=down)


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


def test_0003_renames_the_workers_channel_names_to_the_directorys(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        # given forwards written with the delivery worker's old channel names
        _migrate(engine, "0002")
        with engine.begin() as db:
            db.execute(text("INSERT INTO reported_url (url, host, state, priority, first_reported_at, updated_at, "
                            "stage_attempts) VALUES ('http://a.example/', 'a.example', 'ASSESSED', 0, :t, :t, 0)"),
                       {"t": "2026-01-01 00:00:00+00:00"})
            for n, (channel, address) in enumerate([("xarf-email", "abuse@host.example"),
                                                    ("xarf-http", "https://report.example/xarf"),
                                                    ("manual", None), ("partner-api", "https://nl.example/api"),
                                                    ("email", "politie@police.example")]):
                db.execute(text("INSERT INTO forward (reported_url_id, destination, destination_kind, channel, "
                                "address, idempotency_key, state, attempts, next_attempt_at, payload, created_at) "
                                "VALUES (1, 'd', 'cdn', :c, :a, :k, 'queued', 0, :t, '{}', :t)"),
                           {"c": channel, "a": address, "k": f"fwd-{n}", "t": "2026-01-01 00:00:00+00:00"})
        # when it is upgraded
        _migrate(engine, "head")
        with engine.connect() as db:
            channels = [row[0] for row in db.execute(text("SELECT channel FROM forward ORDER BY id"))]
        # then every forward names a channel of the outbox's registry
        from hotline.outbox import CHANNELS

        assert channels == ["x-arf", "x-arf", "web-form", "partner-api", "email"]
        assert set(channels) <= set(CHANNELS)
        # and a downgrade gives the old names back
        _migrate(engine, "0002", down=True)
        with engine.connect() as db:
            back = [row[0] for row in db.execute(text("SELECT channel FROM forward ORDER BY id"))]
        assert back == ["xarf-email", "xarf-http", "manual", "partner-api", "email"]
    finally:
        engine.dispose()


def test_0004_makes_own_keys_unique_and_lets_media_come_without_a_url(database_url: str) -> None:
    engine = make_engine(database_url)
    t = {"t": "2026-01-01 00:00:00+00:00"}
    try:
        # given a database at 0003 where one public form got in twice (the key was not enforced)
        _migrate(engine, "0003")
        with engine.begin() as db:
            for reference in ("HL-OLD-1", "HL-OLD-2"):
                db.execute(text("INSERT INTO report (reference, source, idempotency_key, received_at) "
                                "VALUES (:r, 'PUBLIC', 'form:same', :t)"), {"r": reference, **t})
            db.execute(text("INSERT INTO reported_url (url, host, state, priority, first_reported_at, updated_at, "
                            "stage_attempts) VALUES ('http://a.example/', 'a.example', 'TRIAGED', 0, :t, :t, 0)"), t)
            db.execute(text("INSERT INTO capture (reported_url_id, purpose, outcome, hops, options, started_at) "
                            "VALUES (1, 'report', 'ok', '[]', '{}', :t)"), t)
        # when it is upgraded
        _migrate(engine, "head")
        # then both reports stay, the first keeps the key, and the schema is exactly the models'
        with engine.connect() as db:
            keys = db.execute(text("SELECT reference, idempotency_key, closed_reason FROM report ORDER BY id")).all()
        assert keys == [("HL-OLD-1", "form:same", None), ("HL-OLD-2", None, None)]
        assert _differences(engine) == []
        # and the key is now unique where there is no partner
        with pytest.raises(IntegrityError), engine.begin() as db:
            db.execute(text("INSERT INTO report (reference, source, idempotency_key, received_at) "
                            "VALUES ('HL-NEW-1', 'PUBLIC', 'form:same', :t)"), t)
        # and a report from the mailbox may carry an attachment capture with an assessed item, and no URL
        with engine.begin() as db:
            db.execute(text("INSERT INTO report (reference, source, received_at) VALUES ('HL-MAIL-1', 'MAILBOX', :t)"),
                       t)
            db.execute(text("INSERT INTO capture (report_id, purpose, outcome, hops, options, started_at) "
                            "VALUES ((SELECT id FROM report WHERE reference = 'HL-MAIL-1'), 'attachment', 'ok', '[]', '{}', :t)"), t)
            db.execute(text("INSERT INTO media_item (capture_id, url, kind, outcome) VALUES ((SELECT id FROM capture "
                            "WHERE report_id IS NOT NULL), 'attachment:a.png', 'image', 'ok')"))
            db.execute(text("INSERT INTO assessment (media_item_id, legal, created_at) "
                            "VALUES ((SELECT id FROM media_item), 'not-illegal', :t)"), t)
        # but never both a URL and a report, nor neither
        with pytest.raises(IntegrityError), engine.begin() as db:
            db.execute(text("INSERT INTO capture (purpose, outcome, hops, options, started_at) "
                            "VALUES ('attachment', 'ok', '[]', '{}', :t)"), t)
        # and a downgrade drops what the old schema cannot hold, and names the new source cli
        _migrate(engine, "0003", down=True)
        with engine.connect() as db:
            assert db.execute(text("SELECT count(*) FROM capture")).scalar() == 1
            assert db.execute(text("SELECT count(*) FROM assessment")).scalar() == 0
            assert db.execute(text("SELECT source FROM report WHERE reference = 'HL-MAIL-1'")).scalar() == "CLI"
        _migrate(engine, "head")
    finally:
        engine.dispose()


def test_0005_adds_sessions_tokens_throttles_and_sealed_keys_and_keeps_the_keys_on_a_downgrade(
        database_url: str) -> None:
    from sqlalchemy import inspect

    engine = make_engine(database_url)
    try:
        # given a database at 0004 with a user enrolled in one-time codes and a partner's outbound key
        _migrate(engine, "0004")
        with engine.begin() as db:
            db.execute(text('INSERT INTO "user" (name, role, password_hash, totp_secret, session_version, active, '
                            "created_at) VALUES ('ana', 'analyst', 'x', 'JBSWY3DPEHPK3PXP', 0, :yes, :t)"),
                       {"t": "2026-01-01 00:00:00+00:00", "yes": True})
            db.execute(text("INSERT INTO partner (name, key_id, roles, outbound_api_key, share_media, created_at) "
                            "VALUES ('nl', 'k1', '[]', 'plain-key', :no, :t)"),
                       {"t": "2026-01-01 00:00:00+00:00", "no": False})
        # when it is upgraded
        _migrate(engine, "head")
        # then the rows are as they were (init seals them next: tests/security), the new tables are there
        with engine.connect() as db:
            assert db.execute(text('SELECT totp_secret, totp_last_step FROM "user"')).one() == ("JBSWY3DPEHPK3PXP", None)
            assert db.execute(text("SELECT outbound_api_key FROM partner")).scalar() == "plain-key"
        assert {"user_session", "user_token", "login_throttle", "sealed_secret"} <= set(inspect(engine).get_table_names())
        assert _differences(engine) == []
        # and a downgrade keeps the sealed keys (without them the audit log could not be verified again)
        with engine.begin() as db:
            db.execute(text("INSERT INTO sealed_secret (name, sealed, created_at) VALUES ('audit', :s, :t)"),
                       {"s": b"sealed bytes", "t": "2026-01-01 00:00:00+00:00"})
        _migrate(engine, "0004", down=True)
        assert "sealed_secret" in inspect(engine).get_table_names()
        assert "user_session" not in inspect(engine).get_table_names()
        _migrate(engine, "head")
        with engine.connect() as db:
            assert db.execute(text("SELECT sealed FROM sealed_secret")).scalar() == b"sealed bytes"
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_0006_marks_earlier_captures_as_scrapy_ones(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        # given a capture made before browser capture existed
        _migrate(engine, "0005")
        with engine.begin() as db:
            db.execute(text("INSERT INTO reported_url (url, host, state, priority, first_reported_at, updated_at, "
                            "stage_attempts) VALUES ('http://a.example/', 'a.example', 'CAPTURED', 0, :t, :t, 0)"),
                       {"t": "2026-01-01 00:00:00+00:00"})
            db.execute(text("INSERT INTO capture (reported_url_id, purpose, outcome, hops, options, started_at) "
                            "VALUES (1, 'report', 'ok', '[]', '{}', :t)"), {"t": "2026-01-01 00:00:00+00:00"})
        # when it is upgraded
        _migrate(engine, "head")
        with engine.connect() as db:
            row = db.execute(text("SELECT engine, screenshot_sha256 FROM capture")).one()
        # then it says Scrapy made it and has no screenshot, and the schema is the models'
        assert tuple(row) == ("scrapy", None)
        assert _differences(engine) == []
        _migrate(engine, "0005", down=True)
        _migrate(engine, "head")
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_0007_gives_existing_users_the_default_preferences(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        # given a user from before preferences existed
        _migrate(engine, "0006")
        with engine.begin() as db:
            db.execute(text('INSERT INTO "user" (name, role, session_version, active, created_at) '
                            "VALUES ('ana', 'analyst', 0, true, :t)"), {"t": "2026-01-01 00:00:00+00:00"})
        # when it is upgraded, the user has none (the defaults), and the schema is the models'
        _migrate(engine, "head")
        with engine.connect() as db:
            assert db.execute(text('SELECT name, preferences FROM "user"')).one() == ("ana", None)
        assert _differences(engine) == []
        # and a downgrade keeps the user
        _migrate(engine, "0006", down=True)
        with engine.connect() as db:
            assert db.execute(text('SELECT name FROM "user"')).scalar_one() == "ana"
        _migrate(engine, "head")
        assert _differences(engine) == []
    finally:
        engine.dispose()


def test_0008_adds_discovery_tables_and_keeps_reports_on_a_round_trip(database_url: str) -> None:
    engine = make_engine(database_url)
    try:
        # given a report made before discovery existed
        _migrate(engine, "0007")
        with engine.begin() as db:
            db.execute(text("INSERT INTO report (reference, source, received_at, legal_hold) "
                            "VALUES ('HL-2026-AAAA-BBBB', 'CLI', :t, false)"), {"t": "2026-01-01 00:00:00+00:00"})
        # when it is upgraded
        _migrate(engine, "head")
        with engine.connect() as db:
            origin = db.execute(text("SELECT origin_report_id FROM report")).scalar_one()
            jobs = db.execute(text("SELECT count(*) FROM discovery_job")).scalar_one()
        # then it names no origin, there are no crawls yet, and the schema is the models'
        assert (origin, jobs) == (None, 0)
        assert _differences(engine) == []
        _migrate(engine, "0007", down=True)
        with engine.connect() as db:
            assert db.execute(text("SELECT reference FROM report")).scalar_one() == "HL-2026-AAAA-BBBB"
        _migrate(engine, "head")
        assert _differences(engine) == []
    finally:
        engine.dispose()
