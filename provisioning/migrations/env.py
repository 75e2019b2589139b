"""Alembic environment of provisioning; run through `provisioning.db.migrate(engine)`."""

from __future__ import annotations

from common.alembic_env import run_migrations
from provisioning.db import VERSION_TABLE
from provisioning.models import METADATA

run_migrations(METADATA, VERSION_TABLE, "provisioning.db.migrate(engine)")
