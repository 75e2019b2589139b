"""Live subscriptions of one audience share one GraphQL execution; resuming ones do not."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from typing import Any

import pytest
from redis.asyncio import Redis
from strawberry.types import ExecutionResult

from cti.event_log import EventLog
from cti.graphql_api.shared import SharedSubscriptions, TooSlow, is_live_only_subscription
from cti.services import CtiServices
from tests.cti.cti_clients import login, request, ws_session
from tests.cti.cti_events_factory import event
from tests.cti.cti_world import World, wait_for_subscribers

LIVE = "subscription { queueEvents { sequence } }"
RESUMING = "subscription($a: Int) { queueEvents(afterSequence: $a) { sequence } }"


def test_which_documents_are_live_only() -> None:
    assert is_live_only_subscription(LIVE, None, None)
    assert is_live_only_subscription(RESUMING, {"a": None}, None)
    assert is_live_only_subscription(RESUMING, {}, None)
    assert not is_live_only_subscription(RESUMING, {"a": 3}, None)
    assert not is_live_only_subscription(
        "subscription { queueEvents(afterSequence: 3) { sequence } }", None, None
    )
    assert not is_live_only_subscription("{ agents { extension } }", None, None)
    assert not is_live_only_subscription("subscription {", None, None)


def _services(world: World) -> CtiServices:
    services: CtiServices = world.server.app.state.services
    return services


async def _take(stream: Any, n: int) -> list[int]:
    out: list[int] = []
    async with asyncio.timeout(15):
        async for item in stream:
            out.append(item["queueEvents"]["sequence"])
            if len(out) == n:
                break
    await stream.aclose()
    return out


async def test_same_audience_shares_one_execution(world: World, redis: Redis, prefix: str) -> None:
    hub = _services(world).shared_subscriptions
    admin = await login(world.server.base_url, "admin", "pwadmin")
    admin_again = await login(world.server.base_url, "admin", "pwadmin")
    lead = await login(world.server.base_url, "helpdesk-lead", "pwlead")
    log = EventLog(redis, prefix)
    async with (
        ws_session(world.server.ws_url, admin) as one,
        ws_session(world.server.ws_url, admin_again) as two,
        ws_session(world.server.ws_url, lead) as three,
    ):
        tasks = [
            asyncio.ensure_future(_take(one.subscribe(request(LIVE)), 2)),
            asyncio.ensure_future(_take(two.subscribe(request(LIVE)), 2)),
            asyncio.ensure_future(_take(three.subscribe(request(LIVE)), 1)),
            asyncio.ensure_future(_take(one.subscribe(request(RESUMING, a=0)), 2)),
        ]
        await wait_for_subscribers(world, 3)
        # Two admins share a group; the helpdesk lead is another audience; resuming is alone.
        assert hub.group_count == 2
        await log.append_many([event(1, call_center_id="7002"), event(2, call_center_id="7001")])
        results = await asyncio.gather(*tasks)
    assert results == [[1, 2], [1, 2], [2], [1, 2]]
    await asyncio.sleep(0.2)
    assert hub.group_count == 0


async def _stream(results: list[ExecutionResult], gate: asyncio.Event) -> AsyncIterator[Any]:
    await gate.wait()
    for result in results:
        yield result
        await asyncio.sleep(0.01)  # a live stream: time passes between events


async def test_a_member_that_falls_behind_is_told_to_resume() -> None:
    hub = SharedSubscriptions(member_queue_size=2)
    gate = asyncio.Event()
    results = [
        ExecutionResult(data={"queueEvents": {"sequence": s}}, errors=None) for s in range(5)
    ]

    async def start() -> AsyncIterator[Any]:
        return _stream(results, gate)

    async with hub.join(("k",), start) as slow, hub.join(("k",), start) as fast:
        got_fast: list[int] = []

        async def read_fast() -> None:
            async for shared in fast:
                assert isinstance(shared.result.data, dict)
                got_fast.append(shared.result.data["queueEvents"]["sequence"])
                # Serialized once for every member, as the websocket sends it.
                assert json.loads(shared.payload_json) == {"data": shared.result.data}

        reader = asyncio.ensure_future(read_fast())
        gate.set()
        await asyncio.wait_for(reader, 5)
        assert got_fast == [0, 1, 2, 3, 4]
        with pytest.raises(TooSlow, match="afterSequence"):
            async for _ in slow:
                pass
