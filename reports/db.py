"""Database access for reports: engine creation and programmatic Alembic migrations.

SQLite by default (`sqlite:///var/opencc.db`, embedded), PostgreSQL when `DATABASE_URL` says so,
e.g. `postgresql+psycopg://user@host/db`. Callers own their engine; nothing here is global.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, create_engine, event
from sqlalchemy.orm import Session, sessionmaker

from common import migrations
from common.database_url import engine_url
from reports.models import METADATA

DEFAULT_DATABASE_URL = "sqlite:///var/opencc.db"
MIGRATIONS_DIR = Path(__file__).parent / "migrations"
VERSION_TABLE = "reports_alembic_version"
"""Our own version table: other packages may keep their own Alembic history in the same database."""
SCHEMA = migrations.MigratedSchema("reports", METADATA, MIGRATIONS_DIR, VERSION_TABLE)


def database_url() -> str:
    """The configured database URL (`DATABASE_URL`, else the embedded SQLite file)."""
    return os.environ.get("DATABASE_URL", DEFAULT_DATABASE_URL)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets report readers run while the ingester writes; NORMAL sync is safe with WAL.
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str | None = None, **kwargs: Any) -> Engine:
    """An engine for `url` (default: `database_url()`), with SQLite tuned for a writer + readers."""
    url = url or database_url()
    if url.startswith("sqlite"):
        path = url.split("///", 1)[1] if "///" in url else ""
        if path and path != ":memory:":
            Path(path).parent.mkdir(parents=True, exist_ok=True)
        engine = create_engine(url, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # A host list (primary, replica) is followed through a promotion: docs/deploy.md.
    return create_engine(engine_url(url), pool_pre_ping=True, **kwargs)


def session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def migrate(url: str | Engine | None = None, revision: str = "head") -> None:
    """Bring the reports schema up to `revision` (default: the newest) on `url` or an engine."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        migrations.upgrade(SCHEMA, engine, revision)
    finally:
        if not isinstance(url, Engine):
            engine.dispose()


def downgrade(url: str | Engine | None = None, revision: str = "base") -> None:
    """Undo migrations down to `revision` (default: drop everything reports created)."""
    engine = url if isinstance(url, Engine) else make_engine(url)
    try:
        migrations.downgrade(SCHEMA, engine, revision)
    finally:
        if not isinstance(url, Engine):
            engine.dispose()
