"""Incoming calling plans and intercept in provisioning (SQLite and PostgreSQL): a user's plan in
place of its tenant's, refusals naming the field, the tenant wall, the audit log and the
listeners the PBX reloads on."""

from __future__ import annotations

import pytest

from provisioning.errors import Invalid, NotFound
from provisioning.service import ProvisioningService
from provisioning.trunks_incoming import (
    INTERCEPT_ENTITY,
    PLAN_ENTITY,
    IncomingPlans,
    IncomingPlanView,
    InterceptView,
    StoredIncoming,
)
from provisioning.unit import Change
from tests.provisioning.test_trunks_calling_plans import _with_users


def test_plans_of_the_tenant_and_its_users_apart_from_another_tenant(
    service: ProvisioningService, changes: list[Change]
) -> None:
    _with_users(service)
    plans = IncomingPlans(service.transactions)
    assert plans.tenant_plan("t1") == IncomingPlanView()  # every call taken
    plans.set_tenant_plan("anna", "t1", True, True, ["international", "premium_rate"])
    plans.set_user_plan("anna", "t1", "bob", (False, True, []))
    assert plans.user_plan("t1", "ann") == IncomingPlanView(
        True, True, ["international", "premium_rate"], own=False
    )
    assert plans.user_plan("t1", "bob") == IncomingPlanView(False, True, [])
    stored = plans.stored("t1")
    assert stored.users == {"1002": IncomingPlanView(False, True, [])}
    assert plans.stored("t2") == StoredIncoming(None, {}, False)  # t2 untouched (its 1001 too)
    plans.set_user_plan("anna", "t1", "bob", None)  # back to the tenant's
    assert plans.user_plan("t1", "bob").own is False
    with pytest.raises(Invalid) as emergency:
        plans.set_tenant_plan("anna", "t1", True, True, ["emergency"])
    assert emergency.value.field == "denied"
    with pytest.raises(NotFound):  # t2's cor is no user of t1
        plans.set_user_plan("anna", "t1", "cor", (True, False, []))
    assert [c.entity for c in changes if c.tenant == "t1"].count(PLAN_ENTITY) == 3


def test_intercept_switched_with_its_message_and_refusals(
    service: ProvisioningService, changes: list[Change]
) -> None:
    _with_users(service)
    plans = IncomingPlans(service.transactions)
    assert plans.intercept("t1") == InterceptView()
    on = InterceptView(True, None, "We moved.", "en", "+31201230050")
    assert plans.set_intercept("anna", "t1", on) == on
    assert plans.intercept("t1") == on and plans.stored("t1").intercepted
    assert not plans.stored("t2").intercepted  # another tenant never
    for wrong, field in [
        (InterceptView(True, alternate="sales"), "alternate"),
        (InterceptView(True, language="de"), "language"),
        (InterceptView(True, text=" "), "text"),
        (InterceptView(True, announcement="moved"), "announcement"),
        (InterceptView(True, announcement="announcement:not-uploaded"), "announcement"),
    ]:
        with pytest.raises(Invalid) as refused:
            plans.set_intercept("anna", "t1", wrong)
        assert refused.value.field == field
    # Its own direct number as the alternate: out to the carrier and back in, intercepted again.
    service.add_number_block("op", "t1", "+31201230000", 10)
    service.assign_number("op", "t1", "+31201230001", "1001")
    with pytest.raises(Invalid) as loop:
        plans.set_intercept("anna", "t1", InterceptView(True, alternate="0201230001"))
    assert loop.value.field == "alternate" and "+31201230001" in loop.value.reason
    assert plans.intercept("t1") == on  # the refusals changed nothing
    assert [c.entity for c in changes if c.tenant == "t1"].count(INTERCEPT_ENTITY) == 1
    with pytest.raises(NotFound):
        plans.intercept("nobody")
