"""An agent's call history (cti/call_history.py) lists the callbacks they made as answered calls:
the engine's own events for a callback, read back from a real Redis stream."""

from __future__ import annotations

import dataclasses

from redis.asyncio import Redis

from cti.call_history import recent_calls
from cti.event_log import EventLog
from queueing.config import CallbackPolicy, Media
from queueing.inputs import AgentAnswered, AgentHungUp, CallbackAnswered, CallbackBooked
from tests.cti.cti_redis_testkit import REDIS_URL, delete_prefix, new_prefix
from tests.queueing.support import center, simulator, tenant


async def test_a_callback_the_agent_made_is_in_their_history() -> None:
    config = dataclasses.replace(
        tenant(center(media=Media(entrance_message=None), callback=CallbackPolicy())),
        tenant="demo",
    )
    sim = simulator(config, available=["1001"])
    sim.feed(CallbackBooked("web-1", "7001", "0612345678"))
    sim.feed(AgentAnswered("web-1", "1001"))
    sim.feed(CallbackAnswered("web-1"))
    sim.advance(42)
    sim.feed(AgentHungUp("web-1", "1001"))
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    prefix = new_prefix()
    log = EventLog(redis, prefix)
    try:
        assert await log.append_many(sim.events) == len(sim.events)
        [entry] = await recent_calls(redis, log, "demo", "1001", limit=10, scan=100)
        assert (entry.call_id, entry.caller, entry.talk_seconds) == ("web-1", "0612345678", 42.0)
        assert entry.answered_at is not None
    finally:
        await delete_prefix(redis, prefix)
        await redis.aclose()
