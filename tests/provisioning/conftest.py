"""Fixtures: a migrated provisioning database on SQLite and on PostgreSQL, and a service on it.

The database fixtures are the reports tests' own (one schema per PostgreSQL test, dropped after;
a missing PostgreSQL fails, never skips).
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, date, datetime

import pytest
from sqlalchemy import Engine, create_engine

from cti.passwords import TEST_COST, hash_password
from provisioning.db import migrate
from provisioning.service import ProvisioningService
from provisioning.tenants import TenantSpec
from provisioning.unit import Change
from tests.provisioning.api_world import ApiWorld, start_world
from tests.reports.conftest import db_url, postgres_base_url

__all__ = ["db_url", "postgres_base_url"]

TODAY = datetime(2026, 3, 10, 12, 0, tzinfo=UTC)
CONTRACT_START = date(2025, 1, 15)


def test_hasher(password: str) -> str:
    return hash_password(password, TEST_COST)


test_hasher.__test__ = False  # type: ignore[attr-defined]


@pytest.fixture
def engine(db_url: str) -> Iterator[Engine]:
    engine = create_engine(db_url)
    migrate(engine)
    try:
        yield engine
    finally:
        engine.dispose()


@pytest.fixture(scope="module")
def world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ApiWorld]:
    """A running app per test module (starting one costs about a second)."""
    yield from start_world(tmp_path_factory.mktemp("provisioning-api"))


@pytest.fixture
def changes() -> list[Change]:
    return []


@pytest.fixture
def service(engine: Engine, changes: list[Change]) -> ProvisioningService:
    made = ProvisioningService(engine, test_hasher, now=lambda: TODAY)
    made.subscribe(changes.append)
    return made


def tenant_spec(tenant: str, **overrides: object) -> TenantSpec:
    values: dict[str, object] = {
        "id": tenant,
        "name": f"{tenant.title()} B.V.",
        "sip_domain": f"{tenant}.test",
        "contract_start": CONTRACT_START,
    }
    values.update(overrides)
    return TenantSpec(**values)  # type: ignore[arg-type]
