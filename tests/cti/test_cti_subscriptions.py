"""Subscriptions over a real websocket (`gql`, graphql-transport-ws) and over graphql-sse."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
import websockets
from gql.transport.exceptions import TransportQueryError
from redis.asyncio import Redis
from websockets.exceptions import ConnectionClosed
from websockets.typing import Subprotocol

from cti.event_log import EventLog
from queueing.events import EventType
from tests.cti.cti_clients import graphql, login, request, ws_session
from tests.cti.cti_events_factory import event
from tests.cti.cti_world import World, wait_for_subscribers

QUEUE_EVENTS = """subscription($cc: ID, $after: Int) {
  queueEvents(callCenterId: $cc, afterSequence: $after) {
    type callId callCenterId caller agent reason sequence timestamp data } }"""
AGENT_EVENTS = """subscription($cc: ID, $after: Int) {
  agentStateChanged(callCenterId: $cc, afterSequence: $after) {
    extension state previous cause reason sequence } }"""
MY_CALLS = """subscription($after: Int) { myCalls(afterSequence: $after) {
  type callId caller sequence screenPop { crm recordId name url } } }"""


async def collect(stream: AsyncIterator[dict[str, Any]], n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    async with asyncio.timeout(15):
        async for item in stream:
            out.append(next(iter(item.values())))
            if len(out) == n:
                return out
    return out


async def test_queue_events_arrive_live_with_all_fields(
    world: World, redis: Redis, prefix: str
) -> None:
    token = await login(world.server.base_url, "supervisor", "pwsupervisor")
    log = EventLog(redis, prefix)
    async with ws_session(world.server.ws_url, token) as session:
        stream = session.subscribe(request(QUEUE_EVENTS, cc="7001"))
        task = asyncio.ensure_future(collect(stream, 2))
        await wait_for_subscribers(world, 1)
        await log.append_many(
            [
                event(1, call_center_id="7001", call_id="c-1"),
                event(2, call_center_id="7002", call_id="c-2"),  # another queue: filtered
                event(
                    3,
                    type_=EventType.CALL_OFFERED,
                    call_center_id="7001",
                    call_id="c-1",
                    agent="1002",
                    data={"policy": "circular", "ring_timeout": 15},
                ),
            ]
        )
        got = await task
        await stream.aclose()
    assert [(e["type"], e["sequence"], e["callCenterId"]) for e in got] == [
        ("CALL_ADDED", 1, "7001"),
        ("CALL_OFFERED", 3, "7001"),
    ]
    assert got[1]["agent"] == "1002"
    assert got[1]["data"] == {"policy": "circular", "ring_timeout": 15}
    assert got[0]["caller"] == "+31201234567"
    assert got[0]["reason"] == "test event 1"


async def test_resubscribing_after_a_sequence_replays_what_was_missed(
    world: World, redis: Redis, prefix: str
) -> None:
    token = await login(world.server.base_url, "admin", "pwadmin")
    log = EventLog(redis, prefix)
    await log.append_many(event(s) for s in range(1, 6))
    async with ws_session(world.server.ws_url, token) as session:
        stream = session.subscribe(request(QUEUE_EVENTS, after=2))
        first = await collect(stream, 3)
        await log.append_many([event(6), event(7)])
        rest = await collect(stream, 2)
        await stream.aclose()
    assert [e["sequence"] for e in first + rest] == [3, 4, 5, 6, 7]


async def test_set_agent_state_comes_back_as_agent_state_changed(world: World) -> None:
    base = world.server.base_url
    lead = await login(base, "helpdesk-lead", "pwlead")
    agent = await login(base, "1002", "pw1002")
    other = await login(base, "1004", "pw1004")
    async with (
        ws_session(world.server.ws_url, lead) as lead_ws,
        ws_session(world.server.ws_url, agent) as agent_ws,
    ):
        lead_task = asyncio.ensure_future(collect(lead_ws.subscribe(request(AGENT_EVENTS)), 2))
        agent_task = asyncio.ensure_future(collect(agent_ws.subscribe(request(AGENT_EVENTS)), 1))
        await wait_for_subscribers(world, 2)
        mutation = "mutation { setAgentState(state: AVAILABLE) { accepted } }"
        # 1004 (Sales) is outside the lead's call centers and not agent 1002: nobody here sees it.
        assert "errors" not in await graphql(base, other, mutation)
        assert "errors" not in await graphql(base, agent, mutation)
        unavailable = 'mutation { setAgentState(state: UNAVAILABLE, reason: "break") { accepted } }'
        assert "errors" not in await graphql(base, agent, unavailable)
        lead_got = await lead_task
        agent_got = await agent_task
    assert [(e["extension"], e["state"], e["cause"]) for e in lead_got] == [
        ("1002", "AVAILABLE", "agent"),
        ("1002", "UNAVAILABLE", "agent"),
    ]
    assert lead_got[0]["previous"] == "SIGN_OUT"
    assert lead_got[0]["sequence"] < lead_got[1]["sequence"]
    assert [e["extension"] for e in agent_got] == ["1002"]


async def test_my_calls_carries_the_screen_pop_record(
    world: World, redis: Redis, prefix: str
) -> None:
    token = await login(world.server.base_url, "1001", "pw1001")
    log = EventLog(redis, prefix)
    async with ws_session(world.server.ws_url, token) as session:
        task = asyncio.ensure_future(collect(session.subscribe(request(MY_CALLS)), 2))
        await wait_for_subscribers(world, 1)
        await log.append_many(
            [
                event(1, type_=EventType.CALL_OFFERED, agent="1002", call_id="x"),  # not mine
                event(2, type_=EventType.CALL_OFFERED, agent="1001", call_id="mine"),
                event(3, type_=EventType.CALL_ANSWERED, agent="1001", call_id="mine"),
            ]
        )
        got = await task
    assert [(e["type"], e["callId"]) for e in got] == [
        ("CALL_OFFERED", "mine"),
        ("CALL_ANSWERED", "mine"),
    ]
    assert got[0]["screenPop"] == [
        {
            "crm": "demo-crm",
            "recordId": "42",
            "name": "Jansen Installatietechniek B.V.",
            "url": "https://crm.example/42",
        }
    ]
    assert got[1]["screenPop"] == []


async def test_a_tenant_never_sees_another_tenants_events(
    world: World, redis: Redis, prefix: str
) -> None:
    acme_admin = await login(world.server.base_url, "admin@acme", "pwacmeadmin")
    acme_agent = await login(world.server.base_url, "1001@acme", "pwacme1001")
    log = EventLog(redis, prefix)
    async with (
        ws_session(world.server.ws_url, acme_admin) as admin_ws,
        ws_session(world.server.ws_url, acme_agent) as agent_ws,
    ):
        queue = asyncio.ensure_future(
            collect(admin_ws.subscribe(request(QUEUE_EVENTS, after=-1)), 1)
        )
        mine = asyncio.ensure_future(collect(agent_ws.subscribe(request(MY_CALLS, after=-1)), 1))
        await wait_for_subscribers(world, 2)
        # The demo tenant's events, even for an agent with the same extension, stay in demo.
        await log.append_many(
            [
                event(1, tenant="demo", type_=EventType.CALL_OFFERED, agent="1001"),
                event(2, tenant="demo", call_center_id="8001"),
            ]
        )
        await asyncio.sleep(0.3)
        assert not queue.done() and not mine.done()
        await log.append(
            event(
                1,
                tenant="acme",
                type_=EventType.CALL_OFFERED,
                agent="1001",
                call_center_id="8001",
                call_id="acme-1",
            )
        )
        got_queue, got_mine = await queue, await mine
    assert [(e["callId"], e["callCenterId"]) for e in got_queue] == [("acme-1", "8001")]
    assert [e["callId"] for e in got_mine] == ["acme-1"]
    # And a demo call center id is simply unknown in acme.
    async with ws_session(world.server.ws_url, acme_admin) as session:
        with pytest.raises(TransportQueryError, match="no call center '7001'"):
            await collect(session.subscribe(request(QUEUE_EVENTS, cc="7001")), 1)


async def test_subscription_authorization_errors(world: World) -> None:
    lead = await login(world.server.base_url, "helpdesk-lead", "pwlead")
    agent = await login(world.server.base_url, "1004", "pw1004")
    async with ws_session(world.server.ws_url, lead) as session:
        with pytest.raises(TransportQueryError, match="may not see this call center"):
            await collect(session.subscribe(request(QUEUE_EVENTS, cc="7002")), 1)
        with pytest.raises(TransportQueryError, match="afterSequence"):
            await collect(session.subscribe(request(QUEUE_EVENTS, after=-5)), 1)
    async with ws_session(world.server.ws_url, agent) as session:
        with pytest.raises(TransportQueryError, match="may not see this call center"):
            await collect(session.subscribe(request(AGENT_EVENTS, cc="7001")), 1)


async def test_websocket_without_a_valid_token_is_closed(world: World) -> None:
    for payload in ({"Authorization": "Bearer forged.token.value"}, {}):
        async with websockets.connect(
            world.server.ws_url, subprotocols=[Subprotocol("graphql-transport-ws")]
        ) as ws:
            await ws.send(json.dumps({"type": "connection_init", "payload": payload}))
            with pytest.raises(ConnectionClosed) as closed:
                await asyncio.wait_for(ws.recv(), 5)
        assert closed.value.rcvd is not None
        assert closed.value.rcvd.code == 4403
    # The server keeps serving.
    token = await login(world.server.base_url, "admin", "pwadmin")
    assert "errors" not in await graphql(world.server.base_url, token, "{ agents { extension } }")


async def test_graphql_sse_streams_events(world: World, redis: Redis, prefix: str) -> None:
    token = await login(world.server.base_url, "admin", "pwadmin")
    log = EventLog(redis, prefix)
    await log.append_many([event(1), event(2)])
    body = {"query": QUEUE_EVENTS, "variables": {"after": 0}}
    headers = {"Authorization": f"Bearer {token}", "Accept": "text/event-stream"}
    got: list[dict[str, Any]] = []
    async with (
        httpx.AsyncClient(base_url=world.server.base_url, timeout=10) as http,
        http.stream("POST", "/graphql/stream", json=body, headers=headers) as response,
    ):
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/event-stream")
        event_name = ""
        async with asyncio.timeout(10):
            async for line in response.aiter_lines():
                if line.startswith("event: "):
                    event_name = line[len("event: ") :]
                elif line.startswith("data: ") and event_name == "next":
                    got.append(json.loads(line[len("data: ") :])["data"]["queueEvents"])
                    if len(got) == 2:
                        break
    assert [e["sequence"] for e in got] == [1, 2]


async def test_agent_queue_view_follows_joins_and_leaves(
    world: World, redis: Redis, prefix: str
) -> None:
    token = await login(world.server.base_url, "1002", "pw1002")  # member of 7001 only
    log = EventLog(redis, prefix)
    async with ws_session(world.server.ws_url, token) as session:
        stream = session.subscribe(request(QUEUE_EVENTS))
        task = asyncio.ensure_future(collect(stream, 4))
        await wait_for_subscribers(world, 1)
        await log.append_many(
            [
                event(1, call_center_id="7002", call_id="before-join"),  # not visible yet
                event(2, type_=EventType.AGENT_JOINED, call_center_id="7002", agent="1002"),
                event(3, call_center_id="7002", call_id="after-join"),
                event(4, type_=EventType.AGENT_LEFT, call_center_id="7002", agent="1002"),
                event(5, call_center_id="7002", call_id="after-leave"),  # not visible again
                event(6, call_center_id="7001", call_id="home"),
            ]
        )
        got = await task
        await stream.aclose()
    assert [e["sequence"] for e in got] == [2, 3, 4, 6]


async def test_agents_see_their_colleagues_in_their_own_call_centers_only(world: World) -> None:
    base = world.server.base_url
    colleague = await login(base, "1003", "pw1003")  # Helpdesk, like 1002
    outsider = await login(base, "1004", "pw1004")  # Sales
    agent = await login(base, "1002", "pw1002")
    async with ws_session(world.server.ws_url, colleague) as session:
        subscription = session.subscribe(request(AGENT_EVENTS, cc="7001"))
        task = asyncio.ensure_future(collect(subscription, 1))
        await wait_for_subscribers(world, 1)
        assert "errors" not in await graphql(base, outsider, MAKE_AVAILABLE)  # not in Helpdesk
        assert "errors" not in await graphql(base, agent, MAKE_AVAILABLE)
        got = await task
    assert [(e["extension"], e["state"]) for e in got] == [("1002", "AVAILABLE")]
    async with ws_session(world.server.ws_url, outsider) as session:
        with pytest.raises(TransportQueryError, match="may not see"):
            await collect(session.subscribe(request(AGENT_EVENTS, cc="7001")), 1)


MAKE_AVAILABLE = "mutation { setAgentState(state: AVAILABLE) { accepted } }"


async def test_an_agent_without_an_extension_gets_no_agent_states(world: World) -> None:
    """Issue 19: the filter keyed on the agent's own extension let everything through when the
    account had none, so it received every agent's state changes."""
    base = world.server.base_url
    assert "errors" not in await graphql(base, await login(base, "1002", "pw1002"), MAKE_AVAILABLE)
    trainee = await login(base, "trainee", "pwtrainee")
    async with ws_session(world.server.ws_url, trainee) as session:
        # Replayed from the start, the stream would hold 1002's change at once.
        with pytest.raises(TransportQueryError, match="you have no extension"):
            await collect(session.subscribe(request(AGENT_EVENTS, after=-1)), 1)
        with pytest.raises(TransportQueryError, match="may not see this call center"):
            await collect(session.subscribe(request(AGENT_EVENTS, cc="7001", after=-1)), 1)
