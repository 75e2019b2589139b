from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import pytest
from redis.asyncio import Redis

from cti.event_log import EventLog
from cti.fanout import EventFanout
from queueing.events import DomainEvent, EventType
from tests.cti.cti_events_factory import event
from tests.cti.cti_redis_testkit import REDIS_URL


@pytest.fixture
async def fanout(redis: Redis, prefix: str) -> AsyncIterator[EventFanout]:
    reader = Redis.from_url(REDIS_URL, decode_responses=True)
    fan = EventFanout(reader, EventLog(redis, prefix), block_ms=50, queue_size=10)
    await fan.start()
    try:
        yield fan
    finally:
        await fan.stop()
        await reader.aclose()


async def registered(fan: EventFanout, count: int) -> None:
    async with asyncio.timeout(10):
        while fan.stats.subscribers < count:
            await asyncio.sleep(0.01)


async def take(stream: AsyncIterator[DomainEvent], n: int) -> list[int]:
    out: list[int] = []
    async with asyncio.timeout(10):
        while len(out) < n:
            out.append((await anext(stream)).sequence)
    return out


async def test_live_subscribers_each_get_every_event(
    fanout: EventFanout, redis: Redis, prefix: str
) -> None:
    log = EventLog(redis, prefix)
    await log.append(event(1))
    streams = [fanout.subscribe("demo") for _ in range(3)]
    # The first anext registers; start them all before publishing.
    pending = [asyncio.ensure_future(take(s, 3)) for s in streams]
    await registered(fanout, 3)
    await log.append_many([event(2), event(3), event(4)])
    results = await asyncio.gather(*pending)
    assert results == [[2, 3, 4]] * 3


async def test_resume_after_sequence_reads_back_then_goes_live(
    fanout: EventFanout, redis: Redis, prefix: str
) -> None:
    log = EventLog(redis, prefix)
    await log.append_many(event(s) for s in range(1, 6))
    stream = fanout.subscribe("demo", after_sequence=2)
    first = await take(stream, 3)
    await log.append_many([event(6), event(7)])
    assert first + await take(stream, 2) == [3, 4, 5, 6, 7]


async def test_resume_while_events_keep_coming_has_no_gap_or_duplicate(
    fanout: EventFanout, redis: Redis, prefix: str
) -> None:
    log = EventLog(redis, prefix)
    # Another subscriber keeps the tenant active so the reader is mid-stream when we join.
    watcher = fanout.subscribe("demo")
    watching = asyncio.ensure_future(take(watcher, 200))
    await registered(fanout, 1)

    async def publish() -> None:
        for s in range(1, 201):
            await log.append(event(s))
            if s % 20 == 0:
                await asyncio.sleep(0.01)

    publishing = asyncio.ensure_future(publish())
    await asyncio.sleep(0.02)
    late = fanout.subscribe("demo", after_sequence=0)
    assert await take(late, 200) == list(range(1, 201))
    await publishing
    assert await watching == list(range(1, 201))


async def test_slow_subscriber_overflows_but_loses_nothing(
    fanout: EventFanout, redis: Redis, prefix: str
) -> None:
    log = EventLog(redis, prefix)
    stream = fanout.subscribe("demo", after_sequence=0)
    assert await take(stream, 0) == []
    await log.append(event(1))
    assert await take(stream, 1) == [1]
    # Queue size is 10: 100 events while we do not read overflow it.
    await log.append_many(event(s) for s in range(2, 102))
    await asyncio.sleep(0.3)
    assert await take(stream, 100) == list(range(2, 102))
    assert fanout.stats.overflows >= 1
    await stream.aclose()  # type: ignore[attr-defined]


async def test_filter_and_tenant_isolation(fanout: EventFanout, redis: Redis, prefix: str) -> None:
    log = EventLog(redis, prefix)

    def agents_only(e: DomainEvent) -> bool:
        return e.type is EventType.AGENT_STATE_CHANGED

    stream_a = fanout.subscribe("a", after_sequence=-1, accepts=agents_only)
    stream_b = fanout.subscribe("b", after_sequence=-1)
    await log.append_many(
        [
            event(1, tenant="a"),
            event(2, tenant="a", type_=EventType.AGENT_STATE_CHANGED, agent="1001"),
            event(1, tenant="b"),
        ]
    )
    got_a = await anext(stream_a)
    assert (got_a.tenant, got_a.sequence) == ("a", 2)
    got_b = await anext(stream_b)
    assert (got_b.tenant, got_b.sequence) == ("b", 1)
    await log.append(event(3, tenant="b"))
    assert (await anext(stream_b)).sequence == 3


async def test_unsubscribing_stops_watching_the_tenant(fanout: EventFanout) -> None:
    stream = fanout.subscribe("demo")
    task = asyncio.ensure_future(anext(stream))
    await registered(fanout, 1)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await stream.aclose()  # type: ignore[attr-defined]
    assert fanout.stats.subscribers == 0


async def test_stop_ends_the_reader_even_mid_read(redis: Redis, prefix: str) -> None:
    # redis-py can turn the cancellation of a blocked XREAD into a connection error; stop()
    # must still end the reader instead of it retrying forever.
    for _ in range(5):
        reader = Redis.from_url(REDIS_URL, decode_responses=True)
        fan = EventFanout(reader, EventLog(redis, prefix), block_ms=1000)
        await fan.start()
        stream = fan.subscribe("demo")
        waiting = asyncio.ensure_future(anext(stream))
        await registered(fan, 1)
        await asyncio.sleep(0.05)  # the reader is now blocked in XREAD
        async with asyncio.timeout(5):
            await fan.stop()
        waiting.cancel()
        await reader.aclose()
