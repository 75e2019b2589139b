"""`afterSequence` replays at most `CtiSettings.max_replay_events` events (cti/fanout.py)."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import pytest
from gql.transport.exceptions import TransportQueryError
from redis.asyncio import Redis

from cti.event_log import EventLog
from tests.cti.cti_clients import login, request, ws_session
from tests.cti.cti_events_factory import event
from tests.cti.cti_world import World

LIMIT = 5
QUEUE_EVENTS = """subscription($after: Int) {
  queueEvents(callCenterId: "7001", afterSequence: $after) { sequence } }"""
MY_CALLS = "subscription($after: Int) { myCalls(afterSequence: $after) { sequence } }"


@pytest.fixture
def settings_overrides() -> dict[str, Any]:
    return {"max_replay_events": LIMIT}


async def first(stream: AsyncIterator[dict[str, Any]], n: int) -> list[int]:
    sequences: list[int] = []
    async with asyncio.timeout(15):
        async for item in stream:
            sequences.append(next(iter(item.values()))["sequence"])
            if len(sequences) == n:
                break
    return sequences


async def test_replay_deeper_than_the_limit_is_refused(
    world: World, redis: Redis, prefix: str
) -> None:
    await EventLog(redis, prefix).append_many([event(s) for s in range(1, LIMIT + 2)])
    admin = await login(world.server.base_url, "admin", "pwadmin")
    agent = await login(world.server.base_url, "1001", "pw1001")
    for token, query, after in (
        (admin, QUEUE_EVENTS, -1),
        (admin, QUEUE_EVENTS, 0),
        (agent, MY_CALLS, -1),
    ):
        async with ws_session(world.server.ws_url, token) as session:
            with pytest.raises(TransportQueryError) as refused:
                await first(session.subscribe(request(query, after=after)), 1)
        assert refused.value.errors is not None
        error = refused.value.errors[0]
        assert error["extensions"]["code"] == "REPLAY_TOO_LONG"
        assert "read the snapshot again" in error["message"]
    # Exactly the limit back is still replayed.
    async with ws_session(world.server.ws_url, admin) as session:
        stream = session.subscribe(request(QUEUE_EVENTS, after=1))
        assert await first(stream, LIMIT) == list(range(2, LIMIT + 2))
