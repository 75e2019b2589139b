"""Alembic migrations of the CRM index tables (`crm_connectors.index.SCHEMA`)."""
