"""Queries over real HTTP: what each role sees, and bad documents refused cleanly."""

from __future__ import annotations

import httpx

from cti.graphql_api.schema import build_schema
from tests.cti.cti_clients import error_codes, graphql, login
from tests.cti.cti_world import World

CALL_CENTERS = """{ callCenters { id number name tier maxWaiters
  waitingCalls { callId caller position waitingSeconds priority callback }
  agents { extension state } } }"""


async def test_supervisor_sees_all_three_call_centers_with_waiting_calls(world: World) -> None:
    token = await login(world.server.base_url, "supervisor", "pwsupervisor")
    body = await graphql(world.server.base_url, token, CALL_CENTERS)
    assert "errors" not in body
    centers = body["data"]["callCenters"]
    assert [(c["number"], c["name"], c["tier"], c["maxWaiters"]) for c in centers] == [
        ("7001", "Helpdesk", "Basic", 25),
        ("7002", "Sales", "Standard", 50),
        ("7003", "Service", "Premium", 525),
    ]
    helpdesk = centers[0]
    assert [w["callId"] for w in helpdesk["waitingCalls"]] == ["w-1", "w-2"]
    assert 25 <= helpdesk["waitingCalls"][0]["waitingSeconds"] < 600
    assert [w["callback"] for w in helpdesk["waitingCalls"]] == [False, False]
    assert [a["extension"] for a in helpdesk["agents"]] == ["1001", "1002", "1003"]
    assert {a["state"] for a in helpdesk["agents"]} == {"SIGN_OUT"}


async def test_each_role_sees_its_own_scope(world: World) -> None:
    base = world.server.base_url
    lead = await login(base, "helpdesk-lead", "pwlead")
    agent = await login(base, "1001", "pw1001")
    admin = await login(base, "admin", "pwadmin")
    acme = await login(base, "admin@acme", "pwacmeadmin")

    async def ids(token: str, query: str, field: str, key: str) -> list[str]:
        body = await graphql(base, token, query)
        assert "errors" not in body, body
        return [item[key] for item in body["data"][field]]

    cc_query = "{ callCenters { id } }"
    assert await ids(lead, cc_query, "callCenters", "id") == ["7001"]
    assert await ids(agent, cc_query, "callCenters", "id") == ["7001", "7003"]
    assert await ids(admin, cc_query, "callCenters", "id") == ["7001", "7002", "7003"]
    assert await ids(acme, cc_query, "callCenters", "id") == ["8001"]

    agents_query = "{ agents { extension state stateSeconds callCenters } }"
    assert await ids(agent, agents_query, "agents", "extension") == ["1001"]
    assert await ids(lead, agents_query, "agents", "extension") == ["1001", "1002", "1003"]
    assert len(await ids(admin, agents_query, "agents", "extension")) == 10
    assert await ids(acme, agents_query, "agents", "extension") == ["1001"]

    calls_query = "{ myCalls { callId caller phase } }"
    assert await ids(agent, calls_query, "myCalls", "callId") == ["a-1001"]
    acme_agent = await login(base, "1001@acme", "pwacme1001")
    assert await ids(acme_agent, calls_query, "myCalls", "callId") == ["acme-call"]


async def test_unauthenticated_query_gets_a_clear_error(world: World) -> None:
    body = await graphql(world.server.base_url, None, "{ callCenters { id } }")
    assert error_codes(body) == ["UNAUTHENTICATED"]
    assert body["errors"][0]["message"] == "missing Authorization header"


async def test_bad_documents_are_refused_with_reasons(world: World) -> None:
    base = world.server.base_url
    token = await login(base, "admin", "pwadmin")
    malformed = await graphql(base, token, "{ callCenters { id ")
    assert "Syntax Error" in malformed["errors"][0]["message"]
    unknown = await graphql(base, token, "{ callCenters { nope } }")
    assert "Cannot query field 'nope'" in unknown["errors"][0]["message"]
    wrong_type = await graphql(
        base, token, "mutation { setAgentState(state: DANCING, extension: 1001) { accepted } }"
    )
    assert wrong_type["errors"]
    deep = "{ callCenters { waitingCalls { callId } } }"
    for _ in range(10):
        deep = deep.replace("callId", "callId __typename")
    assert "errors" not in await graphql(base, token, deep)
    aliases = " ".join(f"a{i}: callCenters {{ id }}" for i in range(20))
    too_wide = await graphql(base, token, "{ " + aliases + " }")
    assert "aliases" in too_wide["errors"][0]["message"].lower()
    huge = "{ callCenters { " + "id " * 3000 + "} }"
    too_long = await graphql(base, token, huge)
    assert "token" in too_long["errors"][0]["message"].lower()
    bad_limit = await graphql(base, token, "{ myCallHistory(limit: 100000) { callId } }")
    assert error_codes(bad_limit) == ["BAD_USER_INPUT"]
    # The server is still fine after all that.
    async with httpx.AsyncClient(base_url=base) as http:
        assert (await http.get("/healthz")).status_code == 200
    not_json = await httpx.AsyncClient(base_url=base).post(
        "/graphql", content=b"\xff\x00", headers={"content-type": "application/json"}
    )
    assert not_json.status_code == 400


async def test_depth_limit_is_enforced() -> None:
    # The schema's fields nest 2 levels below the root field; a limit of 1 shows the limiter works.
    schema = build_schema(
        max_depth=1, max_aliases=15, max_tokens=2000, max_document_chars=16384, introspection=False
    )
    result = await schema.execute("{ callCenters { waitingCalls { callId } } }")
    assert result.errors
    assert "exceeds maximum operation depth" in result.errors[0].message
