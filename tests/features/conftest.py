"""The provisioning fixtures (a migrated database on SQLite and PostgreSQL, a service on it)."""

from __future__ import annotations

from tests.provisioning.conftest import changes, db_url, engine, postgres_base_url, service

__all__ = ["changes", "db_url", "engine", "postgres_base_url", "service"]
