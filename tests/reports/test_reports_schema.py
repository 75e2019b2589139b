"""The Alembic migrations build exactly the schema of reports.models, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import inspect

from reports.db import VERSION_TABLE, downgrade, make_engine, migrate
from reports.models import METADATA


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
