"""Alembic for a package that owns some tables of a database it may share with other packages.

A package states its schema once as a `MigratedSchema` (its MetaData, its migrations folder, its
own version table); the folder's env.py is `run_environment(SCHEMA)`, and start-up calls
`upgrade(SCHEMA, engine)`. Every Alembic step sees only the schema's own tables, so reports, users
and the CRM index can live in one database without one's autogenerate dropping the others'.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from alembic import command, context
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.migration import MigrationContext
from sqlalchemy import Connection, Engine, MetaData, create_engine, inspect, text


class SchemaAdoptionError(RuntimeError):
    """Tables exist without a version, but not in the shape the schema would adopt."""


#: Per table, its columns and whether each is nullable: what adoption compares, on any backend.
TableShapes = dict[str, dict[str, bool]]


@dataclass(frozen=True, slots=True)
class MigratedSchema:
    name: str
    metadata: MetaData
    migrations: Path
    version_table: str
    adopt_at: str | None = None
    """The revision whose tables `metadata.create_all` made before the package used Alembic.

    A database with such tables and no version is checked against that revision's tables and
    stamped at it, instead of failing on CREATE TABLE; None when there never was such a database.
    """

    def config(self, connection: Connection) -> Config:
        """An Alembic configuration that works on `connection` (also for `command.revision`)."""
        config = Config()
        config.set_main_option("script_location", str(self.migrations))
        config.attributes["connection"] = connection
        return config

    def owns(self, name: str | None, type_: str, _parents: object = None) -> bool:
        """Alembic's `include_name`: this schema's tables only (not other packages' tables)."""
        return type_ != "table" or name in self.metadata.tables


def run_environment(schema: MigratedSchema) -> None:
    """The body of a migrations folder's env.py.

    It works only on the connection handed over in `config.attributes` (see `config`), so the
    caller decides the database (SQLite file, PostgreSQL URL, a per-test schema) and the
    transaction.
    """
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(f"run the {schema.name} migrations through common.migrations.upgrade")
    context.configure(
        connection=connection,
        target_metadata=schema.metadata,
        version_table=schema.version_table,
        include_name=schema.owns,
        # SQLite cannot ALTER most things in place; batch mode rebuilds tables when needed.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


def _context(schema: MigratedSchema, connection: Connection) -> MigrationContext:
    opts = {"version_table": schema.version_table, "include_name": schema.owns}
    return MigrationContext.configure(connection, opts=opts)


def current_revision(schema: MigratedSchema, connection: Connection) -> str | None:
    return _context(schema, connection).get_current_revision()


def differences(schema: MigratedSchema, connection: Connection) -> list[Any]:
    """What the database lacks or has extra against the schema's models (Alembic's diff ops)."""
    return list(compare_metadata(_context(schema, connection), schema.metadata))


def upgrade(schema: MigratedSchema, engine: Engine, revision: str = "head") -> None:
    """Bring the schema up to `revision` in one transaction, adopting a create_all-made one."""
    with engine.begin() as connection:
        if connection.dialect.name == "postgresql":
            # Processes starting together (API workers, rq workers) migrate one after the other.
            lock = zlib.crc32(schema.version_table.encode())
            connection.execute(text("SELECT pg_advisory_xact_lock(:lock)"), {"lock": lock})
        config = schema.config(connection)
        if schema.adopt_at is not None and current_revision(schema, connection) is None:
            _adopt(schema, connection, config, schema.adopt_at)
        command.upgrade(config, revision)


def downgrade(schema: MigratedSchema, engine: Engine, revision: str = "base") -> None:
    """Undo migrations down to `revision` (default: drop every table of the schema)."""
    with engine.begin() as connection:
        command.downgrade(schema.config(connection), revision)


def _adopt(schema: MigratedSchema, connection: Connection, config: Config, revision: str) -> None:
    expected = _shapes_at(schema, revision)
    inspector = inspect(connection)
    present = set(inspector.get_table_names()) & set(expected)
    if not present:
        return  # a new database: the migrations create everything
    found: TableShapes = {table: _columns(connection, table) for table in present}
    if found != expected:
        raise SchemaAdoptionError(
            f"{schema.name}: tables without an Alembic version ({schema.version_table}) differ "
            f"from revision {revision}; expected {expected}, found {found}. Bring them to that "
            f"shape (or move them away) and start again; nothing was changed."
        )
    command.stamp(config, revision)


def _shapes_at(schema: MigratedSchema, revision: str) -> TableShapes:
    """The tables `revision` makes, built in a scratch in-memory SQLite database."""
    scratch = create_engine("sqlite://")
    try:
        with scratch.begin() as connection:
            command.upgrade(schema.config(connection), revision)
            tables = set(inspect(connection).get_table_names()) - {schema.version_table}
            return {table: _columns(connection, table) for table in tables}
    finally:
        scratch.dispose()


def _columns(connection: Connection, table: str) -> dict[str, bool]:
    return {c["name"]: c["nullable"] for c in inspect(connection).get_columns(table)}
