"""InterceptUser in provisioning (SQLite and PostgreSQL): one user's intercept stored and heard,
the tenant intercept's rules, no alternate that reaches the user again, the tenant wall."""

from __future__ import annotations

import pytest

from provisioning.errors import Invalid, NotFound
from provisioning.intercept_user import ENTITY, UserIntercepts
from provisioning.service import ProvisioningService
from provisioning.trunks_incoming import InterceptView
from provisioning.unit import Change
from tests.provisioning.test_trunks_calling_plans import _with_users


def test_a_users_intercept_is_stored_for_that_user_only(
    service: ProvisioningService, changes: list[Change]
) -> None:
    _with_users(service)
    intercepts = UserIntercepts(service.transactions)
    assert intercepts.intercept("t1", "bob") == InterceptView()
    on = InterceptView(True, None, "Bob left.", "en", "1001")
    assert intercepts.set_intercept("anna", "t1", "bob", on) == on
    assert intercepts.intercept("t1", "bob") == on
    assert intercepts.of_extension("t1", "1002") == on
    assert intercepts.intercepted("t1") == ["1002"]
    assert intercepts.intercepted("t2") == []  # t2's 1001 (cor) never
    assert intercepts.intercept("t1", "ann") == InterceptView()
    entry = [c for c in changes if c.entity == ENTITY]
    assert [(c.tenant, c.key) for c in entry] == [("t1", "bob")]
    intercepts.set_intercept("anna", "t1", "bob", InterceptView(False))  # live off
    assert intercepts.intercepted("t1") == []


def test_refusals_name_the_field_and_change_nothing(service: ProvisioningService) -> None:
    _with_users(service)
    intercepts = UserIntercepts(service.transactions)
    service.add_number_block("op", "t1", "+31201230000", 10)
    service.assign_number("op", "t1", "+31201230002", "1002")
    service.assign_number("op", "t1", "+31201230001", "1001")
    for wrong, field in [
        (InterceptView(True, alternate="1002"), "alternate"),  # the user itself
        (InterceptView(True, alternate="0201230002"), "alternate"),  # its own direct number
        (InterceptView(True, alternate="sales"), "alternate"),
        (InterceptView(True, language="de"), "language"),
        (InterceptView(True, text=" "), "text"),
        (InterceptView(True, announcement="announcement:not-uploaded"), "announcement"),
    ]:
        with pytest.raises(Invalid) as refused:
            intercepts.set_intercept("anna", "t1", "bob", wrong)
        assert refused.value.field == field
    assert intercepts.intercept("t1", "bob") == InterceptView()
    # A colleague's direct number is no loop: its user is not intercepted.
    colleague = InterceptView(True, alternate="+31201230001")
    assert intercepts.set_intercept("anna", "t1", "bob", colleague) == colleague
    with pytest.raises(NotFound):  # t2's cor is no user of t1
        intercepts.set_intercept("anna", "t1", "cor", InterceptView(True))
    with pytest.raises(NotFound):
        intercepts.intercept("t1", "cor")
    with pytest.raises(NotFound):
        intercepts.of_extension("t2", "1002")
