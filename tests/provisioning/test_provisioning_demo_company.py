"""The demo company made through the ProvisioningService: exactly today's engine settings, and
made once (seeding again changes nothing an admin changed)."""

from __future__ import annotations

from dataclasses import replace

import pytest
from sqlalchemy import Engine

from cti.demo_company import DEMO_TENANT, demo_tenant_config
from cti.passwords import TEST_COST, verify_password
from cti.product_checks import ProductError, refuse_published_passwords_beyond_loopback
from cti.provisioning_demo import published_demo_logins, seed_demo_company, seed_demo_operator
from cti.users import UserDirectory
from provisioning.errors import Invalid
from provisioning.service import ProvisioningService, UserPatch
from provisioning.users import Licences, RecordingMode, Tier, UserRole


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


def test_a_licence_below_its_call_centers_tier_is_refused(service: ProvisioningService) -> None:
    """Otherwise the stored tenant would no longer build, and the product would not start."""
    seed_demo_company(service)
    for licences in (Licences(call_center=Tier.BASIC), Licences()):
        with pytest.raises(Invalid) as refused:
            service.update_user("admin", DEMO_TENANT, "1001", UserPatch(licences=licences), False)
        assert refused.value.field == "licences.call_center"
        assert refused.value.reason.startswith("its call centers would no longer run")
    assert service.user(DEMO_TENANT, "1001").licences == Licences(
        call_center=Tier.PREMIUM, recording=RecordingMode.ALWAYS
    )
    assert service.engine_config(DEMO_TENANT).call_centers == demo_tenant_config().call_centers
    # A licence that still fits is accepted.
    fits = Licences(call_center=Tier.PREMIUM, supervisor=True)
    assert service.update_user("admin", DEMO_TENANT, "1002", UserPatch(licences=fits), False)


def test_demo_agents_record_always_or_on_demand(service: ProvisioningService) -> None:
    seed_demo_company(service)
    modes = {
        extension: service.user(DEMO_TENANT, extension).licences.recording
        for extension in ("1001", "1002", "1003", "1010")
    }
    assert modes == {
        "1001": RecordingMode.ALWAYS,
        "1002": RecordingMode.ALWAYS,
        "1003": RecordingMode.ON_DEMAND,
        "1010": RecordingMode.ON_DEMAND,
    }


async def test_published_demo_passwords_keep_the_product_on_loopback(
    service: ProvisioningService, engine: Engine
) -> None:
    seed_demo_company(service)
    directory = UserDirectory(engine, TEST_COST)
    directory.create_tables()
    seed_demo_operator(directory)
    published = published_demo_logins(service, directory)
    assert {"1001", "supervisor", "admin", "meetingroom", "operator"} <= set(published)
    # An admin changed one, deleted another: they are no longer published.
    service.update_user("admin", DEMO_TENANT, "admin", UserPatch(password="a-real-secret"), False)
    service.delete_user("admin", DEMO_TENANT, "meetingroom", confirm_buyout=True)
    published = published_demo_logins(service, directory)
    assert "admin" not in published and "meetingroom" not in published and "1001" in published

    for host in ("127.0.0.1", "::1", "localhost"):
        await refuse_published_passwords_beyond_loopback(host, service, directory)
    for host in ("0.0.0.0", "192.0.2.10", "pbx.example.com"):
        with pytest.raises(ProductError) as refused:
            await refuse_published_passwords_beyond_loopback(host, service, directory)
        assert f"refusing to serve on {host}" in str(refused.value)
        assert "1001" in str(refused.value) and "admin," not in str(refused.value)
