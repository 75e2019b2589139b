"""Alembic environment of the users tables; run through `UserDirectory.create_tables`."""

from common.migrations import run_environment
from cti.users import SCHEMA

run_environment(SCHEMA)
