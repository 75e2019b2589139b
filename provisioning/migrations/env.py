"""Alembic environment of provisioning; run through `provisioning.db.migrate(engine)`.

It works only on the connection handed over in `config.attributes["connection"]`: the caller
chooses the database and the transaction.
"""

from __future__ import annotations

from alembic import context

from provisioning.db import VERSION_TABLE
from provisioning.models import METADATA

connection = context.config.attributes.get("connection")
if connection is None:
    raise RuntimeError("run the provisioning migrations through provisioning.db.migrate(engine)")

context.configure(
    connection=connection,
    target_metadata=METADATA,
    version_table=VERSION_TABLE,
    # SQLite cannot ALTER most things in place; batch mode rebuilds tables when needed.
    render_as_batch=connection.dialect.name == "sqlite",
)
with context.begin_transaction():
    context.run_migrations()
