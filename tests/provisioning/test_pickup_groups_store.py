"""Call pickup groups in provisioning (PostgreSQL and SQLite): create, replace, delete with
audit and listeners; a user in at most one group; members of the tenant only (another tenant's
extension is unknown here); bad names refused by field; a member is not deleted."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from provisioning.errors import Conflict, Invalid, NotFound
from provisioning.models import audit_log
from provisioning.pickup_groups_store import ENTITY, PickupGroup, PickupGroupsService
from provisioning.service import ProvisioningService
from provisioning.unit import Change
from tests.provisioning.conftest import tenant_spec
from tests.provisioning.test_provisioning_service import spec


@pytest.fixture
def groups(service: ProvisioningService, engine: Engine) -> PickupGroupsService:
    for tenant in ("acme", "other"):
        service.create_tenant("operator", tenant_spec(tenant, contract_profiles=8))
    service.create_users("operator", "acme", [spec(n) for n in range(1001, 1007)])
    service.create_users("operator", "other", [spec(2001, username="o2001")])
    return PickupGroupsService(engine)


def test_create_replace_delete_with_audit(groups: PickupGroupsService, engine: Engine) -> None:
    heard: list[Change] = []
    groups.subscribe(heard.append)
    made = groups.put("admin", "acme", "Sales", ["1002", "1001"])
    assert made == PickupGroup("acme", "Sales", ("1001", "1002"))
    groups.put("admin", "acme", "Sales", ["1001", "1003"])  # 1002 leaves, 1003 joins
    groups.put("admin", "acme", "Support", ["1002"])
    assert groups.groups("acme") == [
        PickupGroup("acme", "Sales", ("1001", "1003")),
        PickupGroup("acme", "Support", ("1002",)),
    ]
    groups.remove("admin", "acme", "Support")
    with pytest.raises(NotFound):
        groups.group("acme", "Support")
    assert [(c.entity, c.key, c.action) for c in heard] == [
        (ENTITY, "Sales", "create"),
        (ENTITY, "Sales", "update"),
        (ENTITY, "Support", "create"),
        (ENTITY, "Support", "delete"),
    ]
    with engine.connect() as connection:
        actors = connection.execute(
            select(audit_log.c.actor).where(audit_log.c.entity == ENTITY)
        ).scalars()
        assert set(actors) == {"admin"}


def test_refusals_by_field(groups: PickupGroupsService) -> None:
    groups.put("admin", "acme", "Sales", ["1001"])
    with pytest.raises(Conflict, match="1001 is in pickup group 'Sales'") as twice:
        groups.put("admin", "acme", "Support", ["1002", "1001"])
    assert twice.value.field == "members"
    assert groups.groups("acme") == [PickupGroup("acme", "Sales", ("1001",))]  # nothing made
    with pytest.raises(NotFound, match="1099"):
        groups.put("admin", "acme", "Support", ["1099"])
    with pytest.raises(Invalid, match="twice"):
        groups.put("admin", "acme", "Support", ["1002", "1002"])
    for name in ("", "../x", "a" * 65, "x/y"):
        with pytest.raises(Invalid) as bad:
            groups.put("admin", "acme", name, ["1002"])
        assert bad.value.field == "name"


def test_nothing_across_tenants(groups: PickupGroupsService) -> None:
    with pytest.raises(NotFound, match="2001") as foreign:
        groups.put("admin", "acme", "Sales", ["2001"])
    assert foreign.value.field == "members"
    groups.put("admin", "acme", "Sales", ["1001"])
    assert groups.groups("other") == []
    with pytest.raises(NotFound):
        groups.remove("admin", "other", "Sales")
    groups.put("admin", "other", "Sales", ["2001"])  # the same name in another tenant
    assert groups.group("acme", "Sales").members == ("1001",)


def test_a_member_is_not_deleted(groups: PickupGroupsService, service: ProvisioningService) -> None:
    groups.put("admin", "acme", "Sales", ["1001"])
    with pytest.raises(Conflict, match="pickup group Sales"):
        service.delete_user("admin", "acme", "user1001", True)
    groups.put("admin", "acme", "Sales", [])
    service.delete_user("admin", "acme", "user1001", True)
