"""The PBX's hoteling table (pbx_core/features/hoteling.py): where a guest's calls ring, whose
call a host's call is, what an idle host may call, sessions ending by themselves, tenants apart."""

from __future__ import annotations

from pbx_core.features.hoteling import HotelingTable, Seat

NOW = 1_000_000.0


def table() -> HotelingTable:
    made = HotelingTable()
    made.replace_tenant("acme", ["1050", "1051"], [Seat("1050", "1001", NOW + 60)])
    made.replace_tenant("beta", ["1050"], [])
    return made


def test_a_guests_calls_ring_its_host_until_the_session_ends() -> None:
    hoteling = table()
    assert hoteling.rings_at("acme", "1001", NOW) == "1050"
    assert hoteling.rings_at("acme", "1002", NOW) == "1002"
    assert hoteling.rings_at("acme", "1001", NOW + 60) == "1001"  # ended by itself
    assert hoteling.rings_at("beta", "1001", NOW) == "1001"  # another tenant's 1001


def test_a_hosts_calls_are_its_guests_but_not_the_hoteling_codes() -> None:
    hoteling = table()
    assert hoteling.presented("acme", "1050", "1002", NOW) == "1001"
    assert hoteling.presented("acme", "1050", "*46") == "1050"
    assert hoteling.presented("acme", "1050", "*451003") == "1050"
    assert hoteling.presented("acme", "1051", "1002") == "1051"  # nobody on it
    assert hoteling.presented("beta", "1050", "1002") == "1050"


def test_an_idle_host_calls_only_codes_portal_and_emergency() -> None:
    hoteling = table()
    assert not hoteling.idle_host_may_not_call("acme", "1050", "1002", NOW)  # a guest is on it
    assert hoteling.idle_host_may_not_call("acme", "1051", "1002")
    for allowed in ("112", "*62", "*451001", "*46"):
        assert not hoteling.idle_host_may_not_call("acme", "1051", allowed), allowed
    assert not hoteling.idle_host_may_not_call("acme", "1002", "1003")  # no host at all


def test_replacing_a_tenant_leaves_the_others() -> None:
    hoteling = table()
    hoteling.replace_tenant("beta", [], [])
    assert hoteling.is_host("acme", "1050") and not hoteling.is_host("beta", "1050")
    hoteling.replace_tenant("acme", ["1050"], [])
    assert hoteling.guest_at("acme", "1050", NOW) is None
    assert not hoteling.is_host("acme", "1051")
