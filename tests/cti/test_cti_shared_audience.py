"""Subscriptions that name a call center are shared across callers allowed to see it, and only
across those: other scopes, other tenants and forbidden callers keep their own stream."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace
from typing import Any, cast

import pytest
from gql.transport.exceptions import TransportQueryError
from redis.asyncio import Redis

from cti.event_log import EventLog
from cti.graphql_api.audience import chosen_call_center
from cti.graphql_api.errors import Forbidden
from cti.graphql_api.shared import SharedSubscriptions
from cti.principal import Principal, Role
from cti.services import CtiServices
from cti.snapshots import CallCenterSnapshot, SnapshotStore
from queueing.events import EventType
from tests.cti.cti_clients import login, request, ws_session
from tests.cti.cti_events_factory import event
from tests.cti.cti_world import World, wait_for_subscribers

AGENT_EVENTS = """subscription($cc: ID) {
  agentStateChanged(callCenterId: $cc) { extension state sequence } }"""
QUEUE_EVENTS = """subscription($cc: ID) {
  queueEvents(callCenterId: $cc) { type callCenterId callId sequence } }"""


def _hub(world: World) -> SharedSubscriptions:
    hub: SharedSubscriptions = world.server.app.state.services.shared_subscriptions
    return hub


async def _take(stream: Any, n: int) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    async with asyncio.timeout(15):
        async for item in stream:
            out.append(next(iter(item.values())))
            if len(out) == n:
                break
    await stream.aclose()
    return out


def _state_change(sequence: int, agent: str) -> Any:
    return event(
        sequence,
        type_=EventType.AGENT_STATE_CHANGED,
        call_center_id=None,
        agent=agent,
        data={"state": "AVAILABLE", "previous": "UNAVAILABLE", "cause": "agent"},
    )


async def test_agents_of_a_call_center_share_it_but_not_their_own_view(
    world: World, redis: Redis, prefix: str
) -> None:
    url = world.server.base_url
    agent_1001 = await login(url, "1001", "pw1001")
    agent_1002 = await login(url, "1002", "pw1002")
    async with (
        ws_session(world.server.ws_url, agent_1001) as one,
        ws_session(world.server.ws_url, agent_1002) as two,
    ):
        tasks = [
            asyncio.ensure_future(_take(one.subscribe(request(AGENT_EVENTS, cc="7001")), 2)),
            asyncio.ensure_future(_take(two.subscribe(request(AGENT_EVENTS, cc="7001")), 2)),
            # No call center: an agent sees its own changes only, a scope of its own.
            asyncio.ensure_future(_take(one.subscribe(request(AGENT_EVENTS)), 1)),
        ]
        await wait_for_subscribers(world, 2)
        assert _hub(world).group_count == 2  # two agents, one Helpdesk group; 1001's own view
        await EventLog(redis, prefix).append_many(
            [
                _state_change(1, "1007"),  # Service only: not Helpdesk
                _state_change(2, "1002"),
                _state_change(3, "1005"),  # Sales
                _state_change(4, "1001"),
            ]
        )
        helpdesk_1001, helpdesk_1002, own_1001 = await asyncio.gather(*tasks)
    expected = [
        {"extension": "1002", "state": "AVAILABLE", "sequence": 2},
        {"extension": "1001", "state": "AVAILABLE", "sequence": 4},
    ]
    assert helpdesk_1001 == expected
    assert helpdesk_1002 == expected
    assert own_1001 == [{"extension": "1001", "state": "AVAILABLE", "sequence": 4}]


async def test_a_caller_who_may_not_see_the_call_center_is_refused_not_shared(
    world: World, redis: Redis, prefix: str
) -> None:
    url = world.server.base_url
    lead = await login(url, "helpdesk-lead", "pwlead")  # supervises 7001 only
    agent_1002 = await login(url, "1002", "pw1002")  # member of 7001
    outsider = await login(url, "1004", "pw1004")  # Sales only
    acme_admin = await login(url, "admin@acme", "pwacmeadmin")  # another tenant
    async with (
        ws_session(world.server.ws_url, lead) as lead_ws,
        ws_session(world.server.ws_url, agent_1002) as agent_ws,
        ws_session(world.server.ws_url, outsider) as outsider_ws,
        ws_session(world.server.ws_url, acme_admin) as acme_ws,
    ):
        tasks = [
            asyncio.ensure_future(_take(lead_ws.subscribe(request(QUEUE_EVENTS, cc="7001")), 2)),
            asyncio.ensure_future(_take(agent_ws.subscribe(request(QUEUE_EVENTS, cc="7001")), 2)),
        ]
        await wait_for_subscribers(world, 1)
        # A supervisor and an agent share Helpdesk's queue: one group, one execution.
        assert _hub(world).group_count == 1
        with pytest.raises(TransportQueryError, match="may not see this call center"):
            await _take(outsider_ws.subscribe(request(QUEUE_EVENTS, cc="7001")), 1)
        with pytest.raises(TransportQueryError, match="no call center"):
            await _take(acme_ws.subscribe(request(QUEUE_EVENTS, cc="7001")), 1)
        assert _hub(world).group_count == 1
        await EventLog(redis, prefix).append_many(
            [
                event(1, call_center_id="7002"),
                event(2, call_center_id="7001"),
                event(3, tenant="acme", call_center_id="7001"),
                event(4, call_center_id="7001", type_=EventType.CALL_ABANDONED),
            ]
        )
        from_lead, from_agent = await asyncio.gather(*tasks)
    expected = [
        {"type": "CALL_ADDED", "callCenterId": "7001", "callId": "c-2", "sequence": 2},
        {"type": "CALL_ABANDONED", "callCenterId": "7001", "callId": "c-4", "sequence": 4},
    ]
    assert from_lead == expected
    assert from_agent == expected


class _CountingStore(SnapshotStore):
    def __init__(self, redis: Redis, prefix: str) -> None:
        super().__init__(redis, prefix)
        self.reads = 0

    async def call_center(self, tenant: str, call_center_id: str) -> CallCenterSnapshot | None:
        self.reads += 1
        await asyncio.sleep(0.05)  # still in flight when the others ask
        return await super().call_center(tenant, call_center_id)


async def test_subscribers_checked_at_once_share_one_snapshot_read(
    redis: Redis, prefix: str
) -> None:
    store = _CountingStore(redis, prefix)
    await store.write_call_center(
        "demo", CallCenterSnapshot("7001", "7001", "Helpdesk", "Basic", 25, members=("1001",))
    )
    services = cast(CtiServices, SimpleNamespace(snapshots=store))
    member = Principal("demo", "1001", Role.AGENT, extension="1001")
    outsider = Principal("demo", "1004", Role.AGENT, extension="1004")
    checks = [chosen_call_center(services, member, "7001") for _ in range(200)]
    results = await asyncio.gather(
        *checks, chosen_call_center(services, outsider, "7001"), return_exceptions=True
    )
    assert store.reads == 1
    assert all(isinstance(r, CallCenterSnapshot) and r.id == "7001" for r in results[:-1])
    assert isinstance(results[-1], Forbidden)
    # Shared only while in flight: the next subscriber reads the snapshot as it is now.
    await chosen_call_center(services, member, "7001")
    assert store.reads == 2
