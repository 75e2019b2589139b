"""The demo company made through the ProvisioningService: exactly today's engine settings, and
made once (seeding again changes nothing an admin changed)."""

from __future__ import annotations

from dataclasses import replace

from cti.demo_company import DEMO_TENANT, demo_tenant_config
from cti.passwords import verify_password
from cti.provisioning_demo import seed_demo_company
from provisioning.service import ProvisioningService, UserPatch
from provisioning.users import UserRole


def test_the_seeded_demo_runs_exactly_the_demo_engine_config(
    service: ProvisioningService,
) -> None:
    seed_demo_company(service)
    made = service.engine_config(DEMO_TENANT)
    expected = demo_tenant_config()
    assert made.call_centers == expected.call_centers
    assert sorted(made.agents, key=lambda a: a.extension) == list(expected.agents)
    account = service.sign_in("supervisor", "pwsupervisor", verify_password)
    assert account is not None
    assert (account.roles, account.call_centers) == (
        frozenset({UserRole.SUPERVISOR}),
        frozenset({"7001", "7002", "7003"}),
    )


def test_seeding_again_keeps_what_an_admin_changed(service: ProvisioningService) -> None:
    seed_demo_company(service)
    service.update_user("admin", DEMO_TENANT, "1001", UserPatch(password="new-secret-1"), False)
    service.update_call_center("admin", DEMO_TENANT, "7001", {"max_waiters": 7})
    service.delete_user("admin", DEMO_TENANT, "supervisor", confirm_buyout=True)
    seed_demo_company(service)
    assert service.sign_in("1001", "pw1001", verify_password) is None
    assert service.sign_in("1001", "new-secret-1", verify_password) is not None
    assert service.call_center(DEMO_TENANT, "7001").settings["max_waiters"] == 7
    assert "supervisor" not in {u.username for u in service.users(DEMO_TENANT, limit=100).items}
    expected = replace(demo_tenant_config().call_centers[0], max_waiters=7)
    assert service.engine_config(DEMO_TENANT).call_centers[0] == expected
