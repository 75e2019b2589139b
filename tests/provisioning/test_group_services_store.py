"""Hunt groups and auto attendants in provisioning (PostgreSQL and SQLite): the rules at save
time, members changed one at a time, the numbering plan shared with users and call centers, the
announcements a menu plays, the audit log."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import Engine, select

from group_services.config import AutoAttendantConfig, HuntGroupConfig
from provisioning.announcement_store import AnnouncementService
from provisioning.errors import Conflict, Invalid, NotFound
from provisioning.group_services import GroupKind
from provisioning.group_services_store import ENTITY, GroupServices
from provisioning.models import audit_log
from provisioning.service import ProvisioningService
from tests.provisioning.conftest import tenant_spec
from tests.provisioning.test_announcement_store import wav
from tests.provisioning.test_provisioning_service import spec

HUNT = GroupKind.HUNT_GROUP
MENU = GroupKind.AUTO_ATTENDANT


def menu(announcement: str | None = None) -> dict[str, object]:
    main: dict[str, object] = {"text": "Press 1.", "options": [
        {"digit": "1", "action": "transfer", "target": "7100"}]}  # fmt: skip
    if announcement is not None:
        main["announcement"] = announcement
    return {"menus": {"main": main}}


@pytest.fixture
def groups(service: ProvisioningService) -> GroupServices:
    service.create_tenant("operator", tenant_spec("acme", contract_profiles=5))
    service.create_tenant("operator", tenant_spec("other", contract_profiles=5))
    service.create_users("operator", "acme", [spec(1001), spec(1002), spec(1003)])
    return GroupServices(service)


def test_members_live_and_the_rules(groups: GroupServices, engine: Engine) -> None:
    groups.put("anna", "acme", HUNT, "7100", "Sales", {"members": ["1001", "1002"]})
    groups.add_member("anna", "acme", "7100", "1003")
    groups.remove_member("anna", "acme", "7100", "1001")
    assert groups.get("acme", "7100").settings["members"] == ["1002", "1003"]
    built = groups.configs("acme")["7100"]
    assert isinstance(built, HuntGroupConfig) and built.members == ("1002", "1003")
    with pytest.raises(Conflict):
        groups.add_member("anna", "acme", "7100", "1003")
    with pytest.raises(Invalid) as nobody:
        groups.add_member("anna", "acme", "7100", "1009")
    assert nobody.value.field == "members"
    with pytest.raises(Invalid) as skills:
        groups.put("anna", "acme", HUNT, "7101", "x", {"policy": "skill_based"})
    assert skills.value.field == "policy"
    with pytest.raises(Conflict):  # the numbering plan: 1001 is a user
        groups.put("anna", "acme", MENU, "1001", "x", menu())
    with pytest.raises(Conflict):  # a number keeps its kind
        groups.put("anna", "acme", MENU, "7100", "x", menu())
    with pytest.raises(NotFound):  # never another tenant's
        groups.get("other", "7100")
    with engine.connect() as connection:
        actions = connection.execute(
            select(audit_log.c.action).where(audit_log.c.entity == ENTITY)
        ).scalars()
        assert list(actions) == ["create", "update", "update"]


def test_a_routed_group_is_not_deleted_and_menus_play_uploaded_announcements(
    groups: GroupServices, service: ProvisioningService, engine: Engine, tmp_path: Path
) -> None:
    groups.put("anna", "acme", MENU, "7099", "Menu", menu())
    service.add_number_block("anna", "acme", "+31201230000", 100)
    service.assign_number("anna", "acme", "+31201230099", "7099")
    with pytest.raises(Conflict):
        groups.delete("anna", "acme", "7099")
    with pytest.raises(Invalid) as missing:
        groups.put("anna", "acme", MENU, "7099", "Menu", menu("announcement:welkom"))
    assert missing.value.field == "menus.main.announcement"
    store = AnnouncementService(engine, tmp_path / "announcements")
    store.put("anna", "acme", "welkom", wav(tmp_path, 0.3))
    groups.put("anna", "acme", MENU, "7099", "Menu", menu("announcement:welkom"))
    assert [a.used_by for a in store.list("acme")] == [["7099"]]
    with pytest.raises(Conflict):  # played by the menu: kept
        store.delete("anna", "acme", "welkom")


def test_menus_know_the_user_names_for_dial_by_name(groups: GroupServices) -> None:
    groups.put("anna", "acme", MENU, "7099", "Menu", menu())
    built = groups.configs("acme")["7099"]
    assert isinstance(built, AutoAttendantConfig)
    assert built.names == {"1001": "User 1001", "1002": "User 1002", "1003": "User 1003"}


def test_an_instant_group_rings_its_tenants_users_at_once(
    groups: GroupServices, service: ProvisioningService
) -> None:
    instant = GroupKind.INSTANT_GROUP
    groups.put("anna", "acme", instant, "7400", "All", {"members": ["1001"], "ring_seconds": 20})
    groups.add_member("anna", "acme", "7400", "1002")
    built = groups.configs("acme")["7400"]
    assert isinstance(built, HuntGroupConfig)
    assert built.policy == "simultaneous" and built.members == ("1001", "1002")
    # Another tenant's user is no member of acme's group.
    service.create_users("operator", "other", [spec(2001)])
    with pytest.raises(Invalid) as foreign:
        groups.put("anna", "acme", instant, "7401", "x", {"members": ["2001"]})
    assert foreign.value.field == "members"
    with pytest.raises(Invalid) as policy:  # a hunt group's settings are not an instant group's
        groups.put("anna", "acme", instant, "7401", "x", {"policy": "circular"})
    assert policy.value.field == "policy"
    with pytest.raises(Invalid) as many:
        groups.put("anna", "acme", instant, "7401", "x", {"members": [str(n) for n in range(17)]})
    assert many.value.field == "members"


def test_selective_forwarding_by_caller_is_checked_field_by_field(groups: GroupServices) -> None:
    rule = {"callers": ["+31201234567", "06*"], "destination": "1003"}
    groups.put("anna", "acme", HUNT, "7100", "Sales",
               {"members": ["1001"], "forwarding": {"selective": [rule]}})  # fmt: skip
    built = groups.configs("acme")["7100"]
    assert isinstance(built, HuntGroupConfig)
    assert built.forwarding.selective[0].callers == ("+31201234567", "06*")
    bad = {
        "forwarding.selective[0].callers": {**rule, "callers": []},
        "forwarding.selective[0].callers[1]": {**rule, "callers": ["06*", "0*6"]},
        "forwarding.selective[0].destination": {**rule, "destination": "sales"},
        "forwarding.selective[0].colour": {**rule, "colour": "red"},
    }
    for field, wrong in bad.items():
        with pytest.raises(Invalid) as refused:
            groups.put(
                "anna", "acme", HUNT, "7100", "Sales", {"forwarding": {"selective": [wrong]}}
            )
        assert refused.value.field == field, (field, refused.value)
    with pytest.raises(Invalid) as many:
        groups.put("anna", "acme", HUNT, "7100", "Sales",
                   {"forwarding": {"selective": [rule] * 21}})  # fmt: skip
    assert many.value.field == "forwarding.selective"
