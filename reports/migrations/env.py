"""Alembic environment of the reports package; run through `reports.db.migrate`.

It only works on a connection handed over in `config.attributes["connection"]`, so the caller
decides the database (SQLite file, PostgreSQL URL, a per-test schema) and the transaction.
"""

from __future__ import annotations

from alembic import context

from reports.db import VERSION_TABLE
from reports.models import METADATA

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the reports migrations through reports.db.migrate(url)")

context.configure(
    connection=connection,
    target_metadata=METADATA,
    version_table=VERSION_TABLE,
    # SQLite cannot ALTER most things in place; batch mode rebuilds tables when needed.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
