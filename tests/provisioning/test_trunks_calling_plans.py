"""Outgoing calling plans in provisioning: the service on SQLite and PostgreSQL, and the admin
API over HTTP with its refusals (bad categories, 112, other tenants, wrong types)."""

from __future__ import annotations

import pytest

from common.number_categories import Category
from provisioning.errors import Invalid, NotFound
from provisioning.profiles import Profile
from provisioning.service import ProvisioningService
from provisioning.trunks_calling_plans import CallingPlans, CallingPlanView
from provisioning.unit import Change
from provisioning.users import UserRole, UserSpec
from tests.provisioning.api_world import OTHER, ApiWorld
from tests.provisioning.conftest import tenant_spec
from tests.provisioning.test_provisioning_api import user

DEMO = "demo"


def _with_users(service: ProvisioningService) -> CallingPlans:
    service.create_tenant("op", tenant_spec("t1"))
    service.create_tenant("op", tenant_spec("t2"))
    for tenant, username, extension in (("t1", "ann", "1001"), ("t1", "bob", "1002"),
                                        ("t2", "cor", "1001")):  # fmt: skip
        spec = UserSpec(username, username.title(), extension, "web-password-1",
                        "sip-password-1", Profile.KANTOOR, frozenset({UserRole.AGENT}))  # fmt: skip
        service.create_user("op", tenant, spec)
    return CallingPlans(service.transactions)


def test_a_tenant_starts_with_premium_rate_refused_and_users_follow_it(
    service: ProvisioningService,
) -> None:
    plans = _with_users(service)
    assert plans.tenant_plan("t1") == CallingPlanView(["premium_rate"])
    assert plans.user_plan("t1", "ann") == CallingPlanView(["premium_rate"], False, own=False)
    stored = plans.stored_plans("t1")
    assert stored.tenant_denied == {Category.PREMIUM_RATE}
    assert (stored.users_denied, stored.hidden) == ({}, frozenset())
    assert stored.max_external_calls is None


def test_tenant_and_user_plans_are_stored_heard_and_kept_per_tenant(
    service: ProvisioningService, changes: list[Change]
) -> None:
    plans = _with_users(service)
    made = plans.set_tenant_plan("admin", "t1", ["international", "premium_rate", "international"])
    assert made == CallingPlanView(["international", "premium_rate"])
    assert plans.set_user_plan("admin", "t1", "ann", ["mobile"], hide_number=True) == (
        CallingPlanView(["mobile"], hide_number=True)
    )
    follows = plans.set_user_plan("admin", "t1", "bob", None, hide_number=True)
    assert follows == CallingPlanView(["international", "premium_rate"], True, own=False)
    last = changes[-1]  # main's Change also names the fields that changed
    assert (last.tenant, last.entity, last.key, last.action) == (
        "t1",
        "calling_plan",
        "bob",
        "update",
    )
    assert "hide_number" in last.changed
    plans.set_user_plan("admin", "t1", "bob", None, hide_number=True, reject_anonymous=True)
    assert plans.stored_plans("t1").rejecting_anonymous == {"1002"}
    stored = plans.stored_plans("t1")
    assert stored.tenant_denied == {Category.INTERNATIONAL, Category.PREMIUM_RATE}
    assert stored.users_denied == {"1001": {Category.MOBILE}}
    assert stored.hidden == {"1001", "1002"}
    # The other tenant's 1001 (cor) is someone else: nothing of t1's applies to it.
    other = plans.stored_plans("t2")
    assert (other.users_denied, other.hidden) == ({}, frozenset())
    assert other.tenant_denied == {Category.PREMIUM_RATE}
    # Back to following the tenant, number shown: no row is left.
    plans.set_user_plan("admin", "t1", "ann", None, hide_number=False)
    assert plans.stored_plans("t1").users_denied == {}


def test_pin_categories_are_stored_per_tenant_and_user_and_followed(
    service: ProvisioningService,
) -> None:
    plans = _with_users(service)
    made = plans.set_tenant_plan("admin", "t1", ["premium_rate"], pin=["international"])
    assert made.pin == ["international"]
    own = plans.set_user_plan("admin", "t1", "ann", [], hide_number=False, pin=["mobile"])
    assert (own.denied, own.pin) == ([], ["mobile"])
    assert plans.user_plan("t1", "bob").pin == ["international"], "bob follows t1's plan"
    stored = plans.stored_plans("t1")
    assert stored.tenant_pin == {Category.INTERNATIONAL}
    assert stored.users_pin == {"1001": {Category.MOBILE}}
    assert plans.stored_plans("t2").tenant_pin == frozenset()
    # Refused or with a PIN, never both; 112 never waits; a follower has its tenant's.
    for denied, pin in ((["mobile"], ["mobile"]), ([], ["emergency"]), ([], ["gold"])):
        with pytest.raises(Invalid) as error:
            plans.set_tenant_plan("admin", "t1", denied, pin=pin)
        assert error.value.field == "pin"
    with pytest.raises(Invalid) as error:
        plans.set_user_plan("admin", "t1", "bob", None, hide_number=False, pin=["mobile"])
    assert error.value.field == "pin"
    assert plans.tenant_plan("t1").pin == ["international"], "a refused change changes nothing"


@pytest.mark.parametrize("denied", [["emergency"], ["internal"], ["gold"], ["PREMIUM_RATE"]])
def test_a_plan_cannot_name_an_unknown_category_or_block_emergency_calls(
    service: ProvisioningService, denied: list[str]
) -> None:
    plans = _with_users(service)
    with pytest.raises(Invalid) as error:
        plans.set_tenant_plan("admin", "t1", denied)
    assert error.value.field == "denied"
    assert plans.tenant_plan("t1") == CallingPlanView(["premium_rate"])


def test_another_tenants_user_is_not_found(service: ProvisioningService) -> None:
    plans = _with_users(service)
    with pytest.raises(NotFound):
        plans.set_user_plan("admin", "t1", "cor", ["mobile"], hide_number=False)
    with pytest.raises(NotFound):
        plans.user_plan("t2", "ann")


def test_the_admin_api_sets_plans_and_refuses_what_it_must(world: ApiWorld) -> None:
    admin, base = world["admin"], f"/api/v1/tenants/{DEMO}"
    assert admin.post(f"{base}/users", json=user("plan-user", "3901")).status_code == 201
    assert admin.get(f"{base}/calling-plan").json() == {
        "denied": ["premium_rate"], "hide_number": False, "own": True, "max_external_calls": None,
        "reject_anonymous": False, "pin": [], "toll_fraud": None,
    }  # fmt: skip
    put = admin.put(f"{base}/calling-plan", json={"denied": ["premium_rate", "international"]})
    assert put.status_code == 200, put.text
    user_plan = f"{base}/users/plan-user/calling-plan"
    answer = admin.put(
        user_plan, json={"denied": None, "hide_number": True, "reject_anonymous": True}
    )
    assert answer.json() == {
        "denied": ["international", "premium_rate"], "hide_number": True, "own": False,
        "max_external_calls": None, "reject_anonymous": True, "pin": [], "toll_fraud": None,
    }  # fmt: skip
    assert admin.get(user_plan).json()["hide_number"] is True
    for bad in ({"denied": ["emergency"]}, {"denied": ["x" * 100]}, {"denied": "mobile"},
                {"denied": [], "hide_number": "yes"}, {"denied": [], "tenant": OTHER}):  # fmt: skip
        assert admin.put(user_plan, json=bad).status_code == 422, bad
    assert admin.put(f"{base}/users/nobody/calling-plan", json={}).status_code == 404
    # Roles and the tenant wall.
    assert world["agent"].put(f"{base}/calling-plan", json={"denied": []}).status_code == 403
    assert world["supervisor"].get(f"{base}/calling-plan").status_code == 200
    intruder = world["acme_admin"].put(f"{base}/calling-plan", json={"denied": []})
    assert intruder.status_code == 403
    assert world.anonymous.get(f"{base}/calling-plan").status_code == 401
    assert admin.get(f"/api/v1/tenants/{OTHER}/calling-plan").status_code == 403
    assert admin.get(f"{base}/calling-plan").json()["denied"] == ["international", "premium_rate"]


def test_the_tenants_call_capacity_is_kept_with_its_plan(world: ApiWorld) -> None:
    admin, plan = world["admin"], f"/api/v1/tenants/{DEMO}/calling-plan"
    for bad in (-1, 10_001, "5", 2.5):
        body: dict[str, object] = {"denied": [], "max_external_calls": bad}
        assert admin.put(plan, json=body).status_code == 422, bad
    answer = admin.put(plan, json={"denied": ["premium_rate"], "max_external_calls": 4})
    assert answer.status_code == 200, answer.text
    assert admin.get(plan).json()["max_external_calls"] == 4


def test_the_tenants_toll_fraud_limits_are_kept_with_its_plan(world: ApiWorld) -> None:
    admin, plan = world["admin"], f"/api/v1/tenants/{DEMO}/calling-plan"
    limits = {"per_user": 2, "per_tenant": 20, "minutes": 30}
    for bad in (
        {**limits, "per_user": 0},
        {**limits, "per_tenant": 10_001},
        {**limits, "minutes": 1441},
        {**limits, "minutes": "30"},
        {"per_user": 2, "per_tenant": 20},
        {**limits, "per_hour": 5},
        [2, 20, 30],
    ):
        answer = admin.put(plan, json={"denied": [], "toll_fraud": bad})
        assert answer.status_code == 422, bad
    answer = admin.put(plan, json={"denied": ["premium_rate"], "toll_fraud": limits})
    assert answer.status_code == 200, answer.text
    assert admin.get(plan).json()["toll_fraud"] == limits


def test_toll_fraud_limits_reach_the_pbx_per_tenant_and_are_checked_in_the_store(
    service: ProvisioningService,
) -> None:
    plans = _with_users(service)
    limits = {"per_user": 1, "per_tenant": 3, "minutes": 5}
    plans.set_tenant_plan("op", "t1", ["premium_rate"], toll_fraud=limits)
    assert plans.stored_plans("t1").toll_fraud == limits
    assert plans.stored_plans("t2").toll_fraud is None
    for bad, field in (({**limits, "minutes": True}, "toll_fraud.minutes"), ("5", "toll_fraud")):
        with pytest.raises(Invalid, match=field):
            plans.set_tenant_plan("op", "t1", [], toll_fraud=bad)
    assert plans.stored_plans("t1").toll_fraud == limits  # refused: nothing changed
