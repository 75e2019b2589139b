"""Authorization rules, each proven over real HTTP against the running app.

agent: own state and own calls; supervisor: its call centers; admin: its tenant; a token of
tenant A never reaches tenant B.
"""

from __future__ import annotations

from typing import Any

import httpx

from common.priorities import MAX_PRIORITY, MIN_PRIORITY
from cti.control import ControlError
from cti.snapshots import AgentState, StateCause
from tests.cti.cti_clients import error_codes, graphql, login
from tests.cti.cti_world import World

SET_STATE = """mutation($state: AgentState!, $reason: String, $ext: String) {
  setAgentState(state: $state, reason: $reason, extension: $ext) { accepted } }"""


async def _mutate(world: World, token: str, query: str, **variables: Any) -> dict[str, Any]:
    return await graphql(world.server.base_url, token, query, variables)


async def test_agent_sets_only_its_own_state(world: World) -> None:
    token = await login(world.server.base_url, "1002", "pw1002")
    own = await _mutate(world, token, SET_STATE, state="UNAVAILABLE", reason="lunch")
    assert own["data"]["setAgentState"]["accepted"] is True
    other = await _mutate(world, token, SET_STATE, state="AVAILABLE", ext="1003")
    assert error_codes(other) == ["FORBIDDEN"]
    busy = await _mutate(world, token, SET_STATE, state="BUSY")
    assert error_codes(busy) == ["BAD_USER_INPUT"]
    assert world.control.commands == [
        (
            "set_agent_state",
            {
                "tenant": "demo",
                "extension": "1002",
                "state": AgentState.UNAVAILABLE,
                "unavailable_code": "lunch",
                "cause": StateCause.AGENT,
                "by": "1002",
            },
        )
    ]


async def test_supervisor_acts_only_on_its_call_centers(world: World) -> None:
    lead = await login(world.server.base_url, "helpdesk-lead", "pwlead")
    ok = await _mutate(world, lead, SET_STATE, state="AVAILABLE", ext="1002")
    assert "errors" not in ok
    assert world.control.commands[-1][1]["cause"] is StateCause.SUPERVISOR
    sales_agent = await _mutate(world, lead, SET_STATE, state="AVAILABLE", ext="1004")
    assert error_codes(sales_agent) == ["FORBIDDEN"]
    promote = "mutation($id: ID!) { promoteCall(callId: $id, priority: 5) { accepted } }"
    assert "errors" not in await _mutate(world, lead, promote, id="w-1")
    assert error_codes(await _mutate(world, lead, promote, id="w-7002")) == ["FORBIDDEN"]
    assert error_codes(await _mutate(world, lead, promote, id="nope")) == ["NOT_FOUND"]
    night = (
        "mutation($cc: ID!) { setNightServiceOverride(callCenterId: $cc, override: true) "
        "{ accepted } }"
    )
    assert "errors" not in await _mutate(world, lead, night, cc="7001")
    assert error_codes(await _mutate(world, lead, night, cc="7003")) == ["FORBIDDEN"]
    move = 'mutation { moveCall(callId: "w-1", toCallCenterId: "7002") { accepted } }'
    assert error_codes(await _mutate(world, lead, move)) == ["FORBIDDEN"]
    boss = await login(world.server.base_url, "supervisor", "pwsupervisor")
    assert "errors" not in await _mutate(world, boss, move)
    assert world.control.names() == [
        "set_agent_state",
        "promote_call",
        "set_night_service_override",
        "move_call",
    ]


async def test_a_priority_outside_the_engines_range_is_refused_naming_field_and_range(
    world: World,
) -> None:
    boss = await login(world.server.base_url, "supervisor", "pwsupervisor")
    promote = 'mutation($p: Int!) { promoteCall(callId: "w-1", priority: $p) { accepted } }'
    for accepted in (MIN_PRIORITY, MAX_PRIORITY):
        assert "errors" not in await _mutate(world, boss, promote, p=accepted)
    for refused in (MIN_PRIORITY - 1, MAX_PRIORITY + 1, 100):
        answer = await _mutate(world, boss, promote, p=refused)
        assert error_codes(answer) == ["BAD_USER_INPUT"]
        message = answer["errors"][0]["message"]
        assert f"priority must be a whole number from 0 to 9 (got {refused})" == message
    assert [c[1]["priority"] for c in world.control.commands] == [MIN_PRIORITY, MAX_PRIORITY]


async def test_agent_controls_only_its_own_calls(world: World) -> None:
    agent = await login(world.server.base_url, "1001", "pw1001")
    hold = "mutation($id: ID!) { holdCall(callId: $id) { accepted } }"
    assert "errors" not in await _mutate(world, agent, hold, id="a-1001")
    assert error_codes(await _mutate(world, agent, hold, id="a-1004")) == ["FORBIDDEN"]
    # The acme tenant's call with the same agent extension is not visible at all.
    assert error_codes(await _mutate(world, agent, hold, id="acme-call")) == ["NOT_FOUND"]
    transfer = 'mutation { transferCall(callId: "a-1001", destination: "7002") { accepted } }'
    assert "errors" not in await _mutate(world, agent, transfer)
    bad = 'mutation { transferCall(callId: "a-1001", destination: "drop table") { accepted } }'
    assert error_codes(await _mutate(world, agent, bad)) == ["BAD_USER_INPUT"]
    promote = 'mutation { promoteCall(callId: "w-1", priority: 9) { accepted } }'
    assert error_codes(await _mutate(world, agent, promote)) == ["FORBIDDEN"]
    hang_up = 'mutation { hangUpCall(callId: "a-1001") { accepted } }'
    record = 'mutation { recordCall(callId: "a-1001", enabled: true) { accepted } }'
    assert "errors" not in await _mutate(world, agent, hang_up)
    assert "errors" not in await _mutate(world, agent, record)
    assert world.control.names() == ["hold_call", "transfer_call", "hang_up", "record_call"]


LISTEN = (
    "mutation($id: ID!, $e: String!, $m: MonitorMode!) { monitorCall(callId: $id, extension: $e,"
    " mode: $m) { accepted } }"
)


async def test_only_supervisors_of_the_call_center_listen_in(world: World) -> None:
    stop = 'mutation { stopMonitor(callId: "a-1001") { accepted } }'
    lead = await login(world.server.base_url, "helpdesk-lead", "pwlead")
    assert "errors" not in await _mutate(world, lead, LISTEN, id="a-1001", e="1099", m="LISTEN")
    assert "errors" not in await _mutate(world, lead, LISTEN, id="a-1001", e="1099", m="BARGE")
    assert "errors" not in await _mutate(world, lead, stop)
    # 7002's call is not the lead's; agents never listen in, not even to their own call.
    foreign = await _mutate(world, lead, LISTEN, id="a-1004", e="1099", m="LISTEN")
    assert error_codes(foreign) == ["FORBIDDEN"]
    agent = await login(world.server.base_url, "1001", "pw1001")
    own = await _mutate(world, agent, LISTEN, id="a-1001", e="1001", m="LISTEN")
    assert error_codes(own) == ["FORBIDDEN"]
    assert error_codes(await _mutate(world, agent, stop)) == ["FORBIDDEN"]
    missing = await _mutate(world, lead, LISTEN, id="nope", e="1099", m="LISTEN")
    assert error_codes(missing) == ["NOT_FOUND"]
    assert world.control.commands == [
        (
            "monitor_call",
            {
                "tenant": "demo",
                "call_id": "a-1001",
                "extension": "1099",
                "mode": mode,
                "by": "helpdesk-lead",
            },
        )
        for mode in ("LISTEN", "BARGE")
    ] + [("stop_monitor", {"tenant": "demo", "call_id": "a-1001", "by": "helpdesk-lead"})]


async def test_supervisor_listens_in_only_from_its_own_phone(world: World) -> None:
    """Issue 19: monitorCall rang any extension, so a supervisor could make a colleague's phone
    (or an agent's, or another tenant's number) overhear a call."""
    lead = await login(world.server.base_url, "helpdesk-lead", "pwlead")
    for phone in ("1002", "1100", "7001", "+31201234567"):
        answer = await _mutate(world, lead, LISTEN, id="a-1001", e=phone, m="LISTEN")
        assert error_codes(answer) == ["FORBIDDEN"]
        assert answer["errors"][0]["message"] == "you may listen in only from your own phone (1099)"
    # An admin has the run of its tenant but no phone on its account: it cannot listen in.
    admin = await login(world.server.base_url, "admin", "pwadmin")
    answer = await _mutate(world, admin, LISTEN, id="a-1001", e="1002", m="LISTEN")
    assert (
        answer["errors"][0]["message"] == "your account has no phone of its own to listen in from"
    )
    assert world.control.commands == []


async def test_retrieve_goes_to_own_phone_or_an_agent_of_the_tenant(world: World) -> None:
    """Issue 19: retrieveCall took any string as the extension to send a waiting call to."""
    retrieve = 'mutation($e: String!) { retrieveCall(callId: "w-1", extension: $e) { accepted } }'
    lead = await login(world.server.base_url, "helpdesk-lead", "pwlead")
    for nowhere in ("1100", "9999", "+31201234567", "7002"):
        answer = await _mutate(world, lead, retrieve, e=nowhere)
        assert error_codes(answer) == ["NOT_FOUND"]
        assert answer["errors"][0]["message"] == f"no agent {nowhere!r} and not your own phone"
    # Another tenant's supervisor does not even find demo's waiting call.
    boss = await login(world.server.base_url, "boss@acme", "pwboss")
    assert error_codes(await _mutate(world, boss, retrieve, e="1001")) == ["NOT_FOUND"]
    assert world.control.commands == []
    assert "errors" not in await _mutate(world, lead, retrieve, e="1099")
    assert "errors" not in await _mutate(world, lead, retrieve, e="1005")
    assert [c[1]["extension"] for c in world.control.commands] == ["1099", "1005"]


async def test_admin_acts_within_its_tenant_only(world: World) -> None:
    admin = await login(world.server.base_url, "admin", "pwadmin")
    acme_admin = await login(world.server.base_url, "admin@acme", "pwacmeadmin")
    assert "errors" not in await _mutate(world, admin, SET_STATE, state="AVAILABLE", ext="1007")
    # acme has an agent 1007? No: and demo's 1007 is invisible from acme.
    result = await _mutate(world, acme_admin, SET_STATE, state="AVAILABLE", ext="1007")
    assert error_codes(result) == ["NOT_FOUND"]
    promote = 'mutation { promoteCall(callId: "w-1", priority: 9) { accepted } }'
    assert error_codes(await _mutate(world, acme_admin, promote)) == ["NOT_FOUND"]
    # acme's admin acting on acme's own agent 1001 reaches the engine with tenant acme.
    assert "errors" not in await _mutate(
        world, acme_admin, SET_STATE, state="AVAILABLE", ext="1001"
    )
    assert [c[1]["tenant"] for c in world.control.commands] == ["demo", "acme"]


async def test_refusals_and_missing_engine_are_clear_errors(world: World) -> None:
    world.control.refuse["hold_call"] = ControlError("refused", "hold_call refused by the test")
    agent = await login(world.server.base_url, "1001", "pw1001")
    refused = await _mutate(world, agent, 'mutation { holdCall(callId: "a-1001") { accepted } }')
    assert error_codes(refused) == ["REFUSED"]
    assert refused["errors"][0]["message"] == "hold_call refused by the test"


async def test_click_to_dial_rest(world: World) -> None:
    base = world.server.base_url
    agent = await login(base, "1001", "pw1001")
    lead = await login(base, "helpdesk-lead", "pwlead")
    async with httpx.AsyncClient(base_url=base) as http:

        async def dial(token: str, extension: str, destination: str) -> httpx.Response:
            return await http.post(
                "/api/v1/calls",
                json={"extension": extension, "destination": destination},
                headers={"Authorization": f"Bearer {token}"},
            )

        ok = await dial(agent, "1001", "+31201234567")
        assert ok.status_code == 202
        assert ok.json()["call_id"].startswith("c2d-")
        assert (await dial(agent, "1002", "+31201234567")).status_code == 403
        assert (await dial(lead, "1003", "0201234567")).status_code == 202
        assert (await dial(lead, "1004", "0201234567")).status_code == 403
        assert (await dial(agent, "1001", "not a number")).status_code == 422
        world.control.refuse["click_to_dial"] = ControlError("refused", "no dialling today")
        assert (await dial(agent, "1001", "+31201234567")).status_code == 409
    assert [c[1]["extension"] for c in world.control.commands] == ["1001", "1003", "1001"]
