"""Manager/Assistant in provisioning (PostgreSQL and SQLite): pairing, the filter set by the
manager and by an assistant, opting in and out, audit, refusals by name, nothing across tenants,
and a paired user that cannot be deleted."""

from __future__ import annotations

import pytest
from sqlalchemy import Engine, select

from common.manager_assistant import MAX_ASSISTANTS, Assistant, FilterMode
from provisioning.errors import Conflict, Invalid, NotFound
from provisioning.manager_assistant_store import ENTITY, ManagerAssistantService
from provisioning.models import audit_log
from provisioning.service import ProvisioningService
from provisioning.unit import Change
from tests.provisioning.conftest import tenant_spec
from tests.provisioning.test_provisioning_service import spec


@pytest.fixture
def pairs(service: ProvisioningService, engine: Engine) -> ManagerAssistantService:
    for tenant in ("acme", "other"):
        service.create_tenant("operator", tenant_spec(tenant, contract_profiles=8))
    service.create_users("operator", "acme", [spec(n) for n in range(1001, 1007)])
    service.create_users("operator", "other", [spec(2001, username="o2001")])
    return ManagerAssistantService(engine)


def _pair(pairs: ManagerAssistantService, manager: str = "1001", *assistants: str) -> None:
    pairs.set_manager("admin", "acme", manager, list(assistants) or ["1002"], filtering=True,
                      mode=FilterMode.ALL, numbers=[])  # fmt: skip


def test_pair_filter_opt_and_audit(pairs: ManagerAssistantService, engine: Engine) -> None:
    heard: list[Change] = []
    pairs.subscribe(heard.append)
    _pair(pairs, "1001", "1002", "1003")
    view = pairs.manager("acme", "1001")
    assert view.manager.assistants == (Assistant("1002"), Assistant("1003"))
    assert view.manager.filtering and view.manager.mode is FilterMode.ALL
    assert view.names["1002"] == "User 1002"
    assert [m.manager.extension for m in pairs.assisted("acme", "1003")] == ["1001"]
    assert pairs.assisted("acme", "1004") == []

    # The assistant narrows the filter; the manager switches it off by the feature code.
    changed = pairs.change_filter("user1002", "acme", "1001", "1002", mode=FilterMode.LISTED,
                                  numbers=["0612345678"])  # fmt: skip
    assert changed.manager.mode is FilterMode.LISTED
    assert changed.manager.numbers == ("0612345678",)
    assert pairs.toggle_filter("phone:user1001", "acme", "1001", "1001") is False
    assert pairs.toggle_filter("phone:user1001", "acme", "1001", "1001") is True

    pairs.opt("user1002", "acme", "1001", "1002", False)
    assert pairs.manager("acme", "1001").manager.assistants[0] == Assistant("1002", False)
    # The admin reorders: the opt-out is kept, the new assistant starts opted in.
    pairs.set_manager("admin", "acme", "1001", ["1004", "1002"], filtering=True,
                      mode=FilterMode.EXTERNAL, numbers=[])  # fmt: skip
    assert pairs.manager("acme", "1001").manager.assistants == (
        Assistant("1004"), Assistant("1002", False))  # fmt: skip

    pairs.remove_manager("admin", "acme", "1001")
    with pytest.raises(NotFound):
        pairs.manager("acme", "1001")
    assert all(c.entity == ENTITY and c.tenant == "acme" for c in heard)
    with engine.connect() as connection:
        actions = (
            connection.execute(
                select(audit_log.c.action)
                .where(audit_log.c.entity == ENTITY)
                .order_by(audit_log.c.id)
            )
            .scalars()
            .all()
        )
    assert actions == ["create", "update", "update", "update", "opt_out", "update", "delete"]


def test_refusals_by_name(pairs: ManagerAssistantService) -> None:
    def make(manager: str, assistants: list[str], numbers: tuple[str, ...] = ()) -> None:
        pairs.set_manager("admin", "acme", manager, assistants, filtering=True,
                          mode=FilterMode.ALL, numbers=list(numbers))  # fmt: skip

    with pytest.raises(Invalid, match="its own assistant") as own:
        make("1001", ["1001"])
    assert own.value.field == "assistants"
    with pytest.raises(Invalid, match="at least one"):
        make("1001", [])
    with pytest.raises(Invalid, match=f"at most {MAX_ASSISTANTS}"):
        make("1001", [str(n) for n in range(1002, 1003 + MAX_ASSISTANTS)])
    with pytest.raises(Invalid, match="twice"):
        make("1001", ["1002", "1002"])
    with pytest.raises(Invalid, match="no number") as bad:
        make("1001", ["1002"], ("06-1234",))
    assert bad.value.field == "numbers"
    with pytest.raises(NotFound, match="1099"):
        make("1099", ["1002"])


def test_nothing_across_tenants(pairs: ManagerAssistantService) -> None:
    # Another tenant's user is no assistant here: refused as an unknown extension.
    with pytest.raises(NotFound, match="2001") as foreign:
        pairs.set_manager("admin", "acme", "1001", ["2001"], filtering=True, mode=FilterMode.ALL,
                          numbers=[])  # fmt: skip
    assert foreign.value.field == "assistants"
    _pair(pairs)
    assert pairs.managers("other") == []
    with pytest.raises(NotFound):
        pairs.manager("other", "1001")
    # Only the manager and its assistants change the filter; a colleague learns nothing.
    with pytest.raises(NotFound, match="no manager of yours"):
        pairs.change_filter("user1003", "acme", "1001", "1003", filtering=False)
    with pytest.raises(NotFound, match="no manager of yours"):
        pairs.change_filter("o2001", "other", "1001", "2001", filtering=False)
    with pytest.raises(NotFound):
        pairs.opt("user1003", "acme", "1001", "1003", True)
    assert pairs.manager("acme", "1001").manager.filtering is True


def test_a_paired_user_is_not_deleted(
    pairs: ManagerAssistantService, service: ProvisioningService
) -> None:
    _pair(pairs)
    for username in ("user1001", "user1002"):
        with pytest.raises(Conflict, match="manager/assistant"):
            service.delete_user("admin", "acme", username, True)
    pairs.remove_manager("admin", "acme", "1001")
    service.delete_user("admin", "acme", "user1002", True)
