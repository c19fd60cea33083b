"""Alembic environment: the connection comes from hotline.db.Database.upgrade (or the URL option)."""

from alembic import context
from sqlalchemy import Connection, create_engine

from hotline.models import Base

config = context.config
target_metadata = Base.metadata


def run() -> None:
    connection = config.attributes.get("connection")
    if connection is None:
        url = config.get_main_option("sqlalchemy.url")
        if url is None:
            raise RuntimeError("no database: run migrations through `hotline init`")
        engine = create_engine(url)
        with engine.connect() as connection:
            _migrate(connection)
            connection.commit()
    else:
        _migrate(connection)


def _migrate(connection: Connection) -> None:
    # render_as_batch lets ALTER TABLE work on SQLite.
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=True,
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
