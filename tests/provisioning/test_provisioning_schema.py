"""The migrations build exactly provisioning.models' schema, on SQLite and PostgreSQL."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import create_engine, inspect

from provisioning.db import SCHEMA, VERSION_TABLE, downgrade, migrate
from provisioning.models import METADATA
from tests.migrated_schemas import head


def test_migrations_match_the_models_and_are_idempotent(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        migrate(engine)
        migrate(engine)  # a second run finds nothing to do
        with engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"version_table": VERSION_TABLE})
            assert compare_metadata(context, METADATA) == []
            assert context.get_current_revision() == head(SCHEMA)
        assert VERSION_TABLE in inspect(engine).get_table_names()
    finally:
        engine.dispose()


def test_downgrade_removes_every_provisioning_table(db_url: str) -> None:
    engine = create_engine(db_url)
    try:
        migrate(engine)
        downgrade(engine)
        assert set(inspect(engine).get_table_names()) & set(METADATA.tables) == set()
    finally:
        engine.dispose()
