"""Intercom and barge-in choices in provisioning (PostgreSQL and SQLite): the default, a change
with its audit entry and listener, listed colleagues of the tenant only, refusals by field."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from provisioning.errors import Invalid, NotFound
from provisioning.intercom_store import ENTITY, IntercomChoice, IntercomService
from provisioning.models import audit_log
from provisioning.service import ProvisioningService
from provisioning.unit import Change
from tests.provisioning.conftest import tenant_spec
from tests.provisioning.test_provisioning_service import spec


@pytest.fixture
def choices(service: ProvisioningService, engine: Engine) -> IntercomService:
    for tenant in ("acme", "other"):
        service.create_tenant("operator", tenant_spec(tenant, contract_profiles=8))
    service.create_users("operator", "acme", [spec(n) for n in range(1001, 1007)])
    service.create_users("operator", "other", [spec(2001, username="o2001")])
    return IntercomService(engine)


def test_default_change_and_audit(choices: IntercomService, engine: Engine) -> None:
    heard: list[Change] = []
    choices.subscribe(heard.append)
    assert choices.choice("acme", "1001") == IntercomChoice("1001")  # accepts everyone
    made = choices.set("user1001", "acme", "1001", True, ["1002"], barge_in_exempt=True)
    assert made == IntercomChoice("1001", True, ("1002",), True)
    assert choices.choices("acme") == [made]
    assert choices.choices("other") == []
    assert [(c.entity, c.key) for c in heard] == [(ENTITY, "1001")]
    with engine.connect() as connection:
        after = connection.execute(
            select(audit_log.c.after).where(audit_log.c.entity == ENTITY)
        ).scalar_one()
    assert after == {"accept": True, "allowed": ["1002"], "barge_in_exempt": True}


def test_refusals_by_field(choices: IntercomService) -> None:
    with pytest.raises(NotFound) as foreign:
        choices.set("admin", "acme", "1001", True, ["2001"])  # another tenant's
    assert foreign.value.field == "allowed"
    with pytest.raises(NotFound) as unknown:
        choices.set("admin", "acme", "2001", False, [])
    assert unknown.value.field == "extension"
    with pytest.raises(Invalid, match="twice"):
        choices.set("admin", "acme", "1001", True, ["1002", "1002"])
    assert choices.choices("acme") == []
