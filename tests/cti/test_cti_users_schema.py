"""A users database that `create_all` made before Alembic (the databases deployed today) is
adopted by `create_tables()` with its users, on SQLite and PostgreSQL. The rest:
tests/test_migrated_schemas.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from cti.passwords import TEST_COST
from cti.principal import Role
from cti.users import SCHEMA, UserDirectory
from tests.migrated_schemas import BACKENDS, check_at_head, create_all_as_deployed, engine_on


@pytest.mark.parametrize("backend", BACKENDS)
def test_a_create_all_database_is_adopted_with_its_users(backend: str, tmp_path: Path) -> None:
    with engine_on(backend, tmp_path) as engine:
        create_all_as_deployed(SCHEMA, engine)
        directory = UserDirectory(engine, TEST_COST)
        directory.add_user("demo", "lead", "pwlead", Role.SUPERVISOR, call_centers=["7001"])
        directory.create_tables()
        check_at_head(SCHEMA, engine)
        lead = directory.authenticate("demo", "lead", "pwlead")
        assert lead is not None and lead.call_centers == frozenset({"7001"})
