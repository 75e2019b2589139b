"""Alembic environment of the reports package; run through `reports.db.migrate`."""

from common.migrations import run_environment
from reports.db import SCHEMA

run_environment(SCHEMA)
