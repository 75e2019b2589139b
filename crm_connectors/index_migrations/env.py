"""Alembic environment of the CRM index; run through `CrmIndex.create_schema`."""

from common.migrations import run_environment
from crm_connectors.index import SCHEMA

run_environment(SCHEMA)
