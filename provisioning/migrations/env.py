"""Alembic environment of provisioning; run through `provisioning.db.migrate(engine)`."""

from common.migrations import run_environment
from provisioning.db import SCHEMA

run_environment(SCHEMA)
