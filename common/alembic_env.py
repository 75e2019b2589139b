"""The body of an Alembic `env.py` for packages that keep their own migration history.

Each package (reports, provisioning) migrates its own tables with its own version table in the
shared database, programmatically: its `migrate()` hands a connection over in
`config.attributes["connection"]`, so the caller chooses the database and the transaction.
"""

from __future__ import annotations

from alembic import context
from sqlalchemy import MetaData


def run_migrations(metadata: MetaData, version_table: str, entry_point: str) -> None:
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError(f"run these migrations through {entry_point}")
    context.configure(
        connection=connection,
        target_metadata=metadata,
        version_table=version_table,
        # SQLite cannot ALTER most things in place; batch mode rebuilds tables when needed.
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()
