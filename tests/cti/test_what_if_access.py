"""Who may run a what-if (`cti/rest/what_if.py`): the call center's supervisors and the tenant's
admins; a supervisor of another call center, an agent, an API token or the operator may not."""

from __future__ import annotations

import pytest

from cti.principal import Principal, Role
from cti.rest.what_if import may_simulate


@pytest.mark.parametrize(
    ("principal", "allowed"),
    [
        (Principal("demo", "lead", Role.SUPERVISOR, call_centers=frozenset({"7001"})), True),
        (Principal("demo", "sales", Role.SUPERVISOR, call_centers=frozenset({"7002"})), False),
        (Principal("demo", "admin", Role.ADMIN), True),
        (Principal("demo", "1001", Role.AGENT, extension="1001"), False),
        (Principal("demo", "crm", Role.API, api_token_id=1), False),
        (Principal("system", "operator", Role.OPERATOR), False),
    ],
)
def test_only_the_call_centers_supervisors_and_admins(principal: Principal, allowed: bool) -> None:
    assert may_simulate(principal, "7001") is allowed
