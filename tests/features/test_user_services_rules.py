"""The rules of a user's services and their store, on SQLite and PostgreSQL: a change is one
audited transaction heard after the commit; the profile decides what may be switched on; bad
input is refused by name; tenants do not see each other's users."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import Engine, select

from provisioning.errors import Invalid, NotFound
from provisioning.models import audit_log
from provisioning.profiles import Profile
from provisioning.service import ProvisioningService
from provisioning.unit import Change
from provisioning.user_services import UserServices, changed_services
from provisioning.user_services_store import UserServicesService
from tests.provisioning.conftest import tenant_spec
from tests.provisioning.test_provisioning_service import spec


@pytest.fixture
def services(engine: Engine, service: ProvisioningService) -> UserServicesService:
    for tenant in ("acme", "other"):
        service.create_tenant("op", tenant_spec(tenant, sip_domain=f"{tenant}.example"))
    for extension in range(1001, 1006):  # a company keeps at least 5 profiles (3.6)
        service.create_user("op", "acme", spec(extension))
    service.create_user("op", "acme", spec(1020, Profile.VERGADERZAAL))
    service.create_user("op", "other", spec(2001))
    return UserServicesService(engine)


def test_a_change_is_audited_heard_after_commit_and_read_back(
    services: UserServicesService, engine: Engine
) -> None:
    heard: list[Change] = []
    services.subscribe(heard.append)
    made = services.change("admin", "acme", "user1001", {"forward_busy": "1020"})
    assert made.services.forward_busy == "1020"
    services.change("admin", "acme", "user1001", {"forward_busy": None, "do_not_disturb": True})
    again = services.get("acme", "user1001").services
    assert again == UserServices(do_not_disturb=True)
    assert services.by_extension("acme", "1001").services == again
    assert [(c.tenant, c.entity, c.key, c.action) for c in heard] == [
        ("acme", "user_services", "user1001", "update")
    ] * 2
    with engine.connect() as connection:
        rows = connection.execute(
            select(audit_log.c.actor, audit_log.c.after).where(
                audit_log.c.entity == "user_services"
            )
        ).all()
    assert [r.actor for r in rows] == ["admin", "admin"]
    assert rows[-1].after["do_not_disturb"] is True


def test_a_vergaderzaal_user_may_switch_off_but_never_on() -> None:
    current = UserServices(forward_always="1001")  # stored before a downgrade
    with pytest.raises(Invalid, match="vergaderzaal profile does not include DoNotDisturb"):
        changed_services(current, {"do_not_disturb": True}, Profile.VERGADERZAAL, "1020")
    off = changed_services(current, {"forward_always": None}, Profile.VERGADERZAAL, "1020")
    assert off == UserServices()
    kept = current.without_features_of(Profile.VERGADERZAAL)
    assert kept == UserServices()


@pytest.mark.parametrize(
    ("patch", "field"),
    [
        ({"forward_always": "1001"}, "forward_always"),  # to oneself
        ({"forward_always": "12a"}, "forward_always"),
        ({"forward_always": "1" * 16}, "forward_always"),
        ({"forward_always": 1002}, "forward_always"),
        ({"do_not_disturb": "yes"}, "do_not_disturb"),
        ({"no_answer_seconds": 4}, "no_answer_seconds"),
        ({"no_answer_seconds": True}, "no_answer_seconds"),
        ({"no_answer_seconds": 121}, "no_answer_seconds"),
        ({"call_waiting": "on"}, "call_waiting"),
        ({"call_return": True}, "call_return"),  # no such setting
    ],
)
def test_bad_input_is_refused_by_name(patch: dict[str, Any], field: str) -> None:
    with pytest.raises(Invalid) as refused:
        changed_services(UserServices(), patch, Profile.KANTOOR, "1001")
    assert refused.value.field == field


def test_another_tenants_user_is_not_found(services: UserServicesService) -> None:
    with pytest.raises(NotFound):
        services.change("admin", "acme", "user2001", {"do_not_disturb": True})
    with pytest.raises(NotFound):
        services.by_extension("acme", "2001")
    assert services.get("other", "user2001").services == UserServices()


def test_a_deleted_users_services_go_with_it(
    services: UserServicesService, service: ProvisioningService
) -> None:
    services.change("admin", "acme", "user1001", {"do_not_disturb": True})
    service.delete_user("op", "acme", "user1001", confirm_buyout=True)
    service.create_user("op", "acme", spec(1001))
    assert services.get("acme", "user1001").services == UserServices()
    assert sorted(v.extension for v in services.all("acme"))[::5] == ["1001", "1020"]


def test_a_new_user_never_inherits_a_deleted_users_row(
    services: UserServicesService, service: ProvisioningService
) -> None:
    service.create_user("op", "acme", spec(1030))  # the highest id: SQLite may give it again
    services.change("admin", "acme", "user1030", {"do_not_disturb": True})
    service.delete_user("op", "acme", "user1030", confirm_buyout=True)
    service.create_user("op", "acme", spec(1031))
    assert services.get("acme", "user1031").services == UserServices()
