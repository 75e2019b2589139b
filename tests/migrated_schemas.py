"""Support for the tests of the `common.migrations.MigratedSchema`s: databases and checks.

`engine_on(backend, tmp_path)` gives an engine on a new SQLite file or PostgreSQL database
(skipped when no PostgreSQL answers on 127.0.0.1:5432). tests/test_migrated_schemas.py checks what
holds for every schema; each package's own schema test checks that its data survives adoption.
"""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import Iterator
from pathlib import Path

import sqlalchemy as sa
from alembic.script import ScriptDirectory

from common.migrations import MigratedSchema, current_revision, differences
from tests.components import POSTGRES_FIX, fail_missing

PG_ADMIN_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test"
BACKENDS = ("sqlite", "postgresql")


@contextlib.contextmanager
def postgres_database() -> Iterator[str]:
    """A uniquely named PostgreSQL database for one test, dropped afterwards."""
    name = f"test_{uuid.uuid4().hex[:12]}"
    admin = sa.create_engine(PG_ADMIN_URL, isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            conn.execute(sa.text(f'CREATE DATABASE "{name}"'))
    except sa.exc.OperationalError as exc:
        admin.dispose()
        fail_missing(f"PostgreSQL at {PG_ADMIN_URL} ({type(exc).__name__})", POSTGRES_FIX)
    try:
        yield PG_ADMIN_URL.rsplit("/", 1)[0] + f"/{name}"
    finally:
        with admin.connect() as conn:
            conn.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@contextlib.contextmanager
def engine_on(backend: str, tmp_path: Path) -> Iterator[sa.Engine]:
    with contextlib.ExitStack() as stack:
        if backend == "sqlite":
            url = f"sqlite:///{tmp_path / 'schema.sqlite'}"
        else:
            url = stack.enter_context(postgres_database())
        engine = sa.create_engine(url)
        stack.callback(engine.dispose)
        yield engine


def head(schema: MigratedSchema) -> str | None:
    return ScriptDirectory(str(schema.migrations)).get_current_head()


def check_at_head(schema: MigratedSchema, engine: sa.Engine) -> None:
    with engine.connect() as connection:
        assert differences(schema, connection) == []
        assert current_revision(schema, connection) == head(schema)


def create_all_as_deployed(schema: MigratedSchema, engine: sa.Engine) -> None:
    """The database start-up made before Alembic: `create_all` of the models."""
    # Only while the models are still at the adopted revision is create_all that old shape.
    assert head(schema) == schema.adopt_at, (
        f"{schema.name} has migrations after {schema.adopt_at}: build the pre-Alembic database "
        f"here from a frozen copy of revision {schema.adopt_at}'s tables, not today's models"
    )
    schema.metadata.create_all(engine)
