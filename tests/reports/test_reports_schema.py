"""The Alembic migrations build exactly the schema of reports.models, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import insert, inspect, select

from reports.db import VERSION_TABLE, downgrade, make_engine, migrate
from reports.models import METADATA, StreamCursor


def test_migrations_match_the_models_and_are_idempotent(db_url: str) -> None:
    migrate(db_url)
    migrate(db_url)  # a second run finds nothing to do
    engine = make_engine(db_url)
    try:
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            assert compare_metadata(context, METADATA) == []
            assert context.get_current_revision() is not None
        assert set(METADATA.tables) <= set(inspect(engine).get_table_names())
    finally:
        engine.dispose()


def test_downgrade_removes_every_reports_table(db_url: str) -> None:
    migrate(db_url)
    downgrade(db_url)
    engine = make_engine(db_url)
    try:
        remaining = set(inspect(engine).get_table_names()) & set(METADATA.tables)
        assert remaining == set()
    finally:
        engine.dispose()


def test_upgrading_from_the_first_revision_keeps_the_data(db_url: str) -> None:
    migrate(db_url, "0001")
    engine = make_engine(db_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                insert(StreamCursor).values(stream="opencc:demo:events", last_id="7-0")
            )
        migrate(db_url)
        indexes = {ix["name"] for ix in inspect(engine).get_indexes("queue_call_facts")}
        assert "ix_queue_call_facts_answered" in indexes
        with engine.connect() as connection:
            assert connection.execute(select(StreamCursor.last_id)).scalar_one() == "7-0"
    finally:
        engine.dispose()
