"""Alembic migrations of the users tables (`cti.users.SCHEMA`)."""
