"""Fixtures for the reports tests: a migrated database on SQLite and on PostgreSQL, and Redis.

PostgreSQL: 127.0.0.1:5432 (override with REPORTS_TEST_POSTGRES_URL), database `test`, trust auth.
Each test gets its own schema, dropped afterwards. When no server answers, the PostgreSQL runs
fail saying how to start it (tests/components.py): the suite never skips.
Redis: REDIS_URL or 127.0.0.1:6379; every test uses its own key prefix and deletes only its keys.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from redis import Redis
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.exc import OperationalError

from reports.db import make_engine, migrate
from tests.components import require_postgres

POSTGRES_BASE_URLS = [
    os.environ.get("REPORTS_TEST_POSTGRES_URL", ""),
    "postgresql+psycopg://postgres@127.0.0.1:5432/test",
    "postgresql+psycopg://root@127.0.0.1:5432/test",
]


def _postgres_base_url() -> str | None:
    for url in filter(None, POSTGRES_BASE_URLS):
        engine = create_engine(url)
        try:
            with engine.connect():
                return url
        except OperationalError:
            continue
        finally:
            engine.dispose()
    return None


@pytest.fixture(scope="session")
def postgres_base_url() -> str | None:
    return _postgres_base_url()


def _schema_url(base: str, schema: str) -> str:
    # libpq's `options` puts the whole session (tables and Alembic's version table) in the schema.
    return f"{base}?options=-csearch_path%3D{schema}"


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(
    request: pytest.FixtureRequest, tmp_path: Path, postgres_base_url: str | None
) -> Iterator[str]:
    """An empty database URL of each backend; the schema is NOT migrated yet."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'reports.db'}"
        return
    postgres_base_url = require_postgres(postgres_base_url)
    schema = f"reports_test_{uuid.uuid4().hex[:12]}"
    admin = create_engine(postgres_base_url, isolation_level="AUTOCOMMIT")
    with admin.connect() as connection:
        connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    try:
        yield _schema_url(postgres_base_url, schema)
    finally:
        with admin.connect() as connection:
            connection.execute(text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    """A migrated database of each backend."""
    migrate(db_url)
    engine = make_engine(db_url)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture
def redis_url() -> str:
    return os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")


@pytest.fixture
def redis_client(redis_url: str) -> Iterator[Redis]:
    client = Redis.from_url(redis_url)
    try:
        client.ping()
    except Exception as error:  # pragma: no cover - environment problem, reported clearly
        pytest.fail(f"Redis does not answer at {redis_url}: {error}")
    yield client
    client.close()


@pytest.fixture
def prefix(redis_client: Redis) -> Iterator[str]:
    """A key prefix of this test alone; its keys are deleted afterwards (never a flush)."""
    value = f"test-reports-{uuid.uuid4().hex[:12]}"
    yield value
    keys = list(redis_client.scan_iter(match=f"{value}:*", count=1000))
    if keys:
        redis_client.delete(*keys)
