from __future__ import annotations

from redis.asyncio import Redis

from cti.event_log import EventLog
from tests.cti.cti_events_factory import event


async def test_append_and_read_back_in_order(redis: Redis, prefix: str) -> None:
    log = EventLog(redis, prefix)
    for sequence in range(5):
        assert await log.append(event(sequence))
    read = [e.sequence async for e in log.read_after("demo", 1)]
    assert read == [2, 3, 4]
    assert await log.last_sequence("demo") == 4
    assert await redis.exists(f"{prefix}:demo:events")


async def test_same_sequence_is_stored_once(redis: Redis, prefix: str) -> None:
    log = EventLog(redis, prefix)
    assert await log.append(event(7))
    assert not await log.append(event(7))
    assert await log.append_many([event(7), event(8), event(9)]) == 2
    assert [e.sequence async for e in log.read_after("demo", -1)] == [7, 8, 9]


async def test_tenants_have_separate_streams(redis: Redis, prefix: str) -> None:
    log = EventLog(redis, prefix)
    await log.append(event(1, tenant="a"))
    await log.append(event(1, tenant="b"))
    await log.append(event(2, tenant="b"))
    assert [e.tenant async for e in log.read_after("a", -1)] == ["a"]
    assert await log.last_sequence("b") == 2
    assert await log.last_sequence("nobody") == -1


async def test_read_after_pages_through_long_streams(redis: Redis, prefix: str) -> None:
    log = EventLog(redis, prefix)
    await log.append_many(event(s) for s in range(1, 1201))
    read = [e.sequence async for e in log.read_after("demo", 100, page=250)]
    assert read == list(range(101, 1201))
