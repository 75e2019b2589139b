"""The relay's claim (cti/engine_command_relay.py): a command the holder took is answered even
when it runs past the sender's wait; a command whose sender gave up is never carried out, even
by a holder whose clock says its deadline has not passed yet. The holder's engine here is a
function of the test's own; the relay and Redis are real."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator, Awaitable, Callable

import pytest
from redis.asyncio import Redis

from common import redis_keys
from cti.control import ControlError
from cti.engine_command_relay import CommandRelay, RelayConsumer
from cti.engine_commands import BookCallback, Command, HangUp

Execute = Callable[[str, Command], Awaitable[str | None]]


@pytest.fixture
async def consumers(redis: Redis, prefix: str) -> AsyncIterator[Callable[..., RelayConsumer]]:
    started: list[RelayConsumer] = []

    def start(execute: Execute, clock: Callable[[], float] = time.time) -> RelayConsumer:
        consumer = RelayConsumer(
            redis, prefix, held=lambda: ["demo"], execute=execute, clock=clock, poll=0.1
        )
        consumer.start()
        started.append(consumer)
        return consumer

    yield start
    for consumer in started:
        await consumer.stop()


async def test_a_command_taken_by_the_holder_is_answered_after_the_senders_wait(
    redis: Redis, prefix: str, consumers: Callable[..., RelayConsumer]
) -> None:
    async def slow(tenant: str, command: Command) -> str | None:
        await asyncio.sleep(0.5)  # the PBX confirming, say
        return "callback-1"

    consumers(slow)
    sender = CommandRelay(redis, prefix, wait=0.2, run=5.0)

    assert await sender.send("demo", BookCallback("7001", "0201111111")) == "callback-1"


async def test_a_command_whose_sender_gave_up_is_never_carried_out(
    redis: Redis, prefix: str, consumers: Callable[..., RelayConsumer]
) -> None:
    sender = CommandRelay(redis, prefix, wait=0.1)
    with pytest.raises(ControlError) as refused:
        await sender.send("demo", HangUp("c-1", "1001"))  # nobody reads the list yet
    assert refused.value.code == "engine_unreachable"

    carried_out: list[Command] = []

    async def record(tenant: str, command: Command) -> str | None:
        carried_out.append(command)
        return None

    # A holder comes, its clock behind the sender's: only the claim stops it.
    consumers(record, clock=lambda: 0.0)
    assert await CommandRelay(redis, prefix).send("demo", HangUp("c-2", "1001")) is None
    assert carried_out == [HangUp("c-2", "1001")]


async def test_a_bug_in_a_command_is_answered_and_the_holder_carries_on(
    redis: Redis, prefix: str, consumers: Callable[..., RelayConsumer]
) -> None:
    async def buggy(tenant: str, command: Command) -> str | None:
        if isinstance(command, HangUp):
            raise KeyError(command.call_id)
        return "callback-1"

    consumers(buggy)
    sender = CommandRelay(redis, prefix)
    with pytest.raises(ControlError) as refused:
        await sender.send("demo", HangUp("c-1", "1001"))
    assert refused.value.code == "engine_failed"
    assert await sender.send("demo", BookCallback("7001", "0201111111")) == "callback-1"


async def test_a_request_popped_just_after_stepping_down_is_left_for_the_next_holder(
    redis: Redis, prefix: str
) -> None:
    asked: list[int] = []

    def held() -> list[str]:
        """Held when the pop starts, stepped down by the time it returns."""
        asked.append(1)
        return ["demo"] if len(asked) == 1 else []

    carried_out: list[Command] = []

    async def record(tenant: str, command: Command) -> str | None:
        carried_out.append(command)
        return None

    request = '{"id": "' + "a" * 32 + '"}'
    requests = redis_keys.engine_commands(prefix, "demo")
    await redis.rpush(requests, request)
    consumer = RelayConsumer(redis, prefix, held=held, execute=record, poll=0.1)
    consumer.start()
    try:
        async with asyncio.timeout(10):
            while len(asked) < 3:  # popped, found stepped down, put back, and round again
                await asyncio.sleep(0.05)
    finally:
        await consumer.stop()
    assert await redis.lrange(requests, 0, -1) == [request]
    assert carried_out == []
