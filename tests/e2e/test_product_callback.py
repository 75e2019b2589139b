"""Callback that keeps the place in the whole product, as `make demo` runs it (docs/callback.md):
the demo Helpdesk (7001) offers callbacks. Agent 1001 serves a caller from the trunk; a second
caller, from the number of extension 1006, waits behind, presses 1 twice (RFC 4733), hears the
confirmation and is hung up; after the caller in front is served and the agent's wrap-up is
over, the agent's phone rings first, then 1006's; both answer and are connected."""

from __future__ import annotations

import asyncio
from pathlib import Path

from redis.asyncio import Redis

from cti.event_log import EventLog
from queueing.events import DomainEvent, EventType
from tests.e2e.keying_phone import KeyingCall
from tests.e2e.test_product import graphql, product, token, trunk_call
from tests.pbx_core.support import Sipp, free_port, register
from tests.product_harness import REDIS_URL, ProductThread

__all__ = ["product"]


async def phone(product: ProductThread, extension: str, scenario: str, work_dir: Path) -> Sipp:
    """A registered SIPp phone answering one call (a SIPp phone lives at most 20 s)."""
    work_dir.mkdir(exist_ok=True)
    port = free_port()
    registered = await register(product.sip_port, extension, port, work_dir)
    assert registered.returncode == 0, registered.errors
    return await Sipp(
        scenario,
        work_dir=work_dir,
        local_port=port,
        variables={"media_port": free_port(), "ring_ms": 300, "talk_ms": 1500},
    ).start()


async def next_event(
    redis: Redis, prefix: str, kind: EventType, timeout: float = 30, **match: object
) -> DomainEvent:
    deadline = asyncio.get_running_loop().time() + timeout
    while asyncio.get_running_loop().time() < deadline:
        async for event in EventLog(redis, prefix).read_after("demo", -1):
            if event.type is kind and all(getattr(event, k) == v for k, v in match.items()):
                return event
        await asyncio.sleep(0.2)
    raise AssertionError(f"no {kind} {match} within {timeout} s")


async def test_a_caller_who_presses_1_is_called_back_in_turn(
    product: ProductThread, tmp_path: Path
) -> None:
    redis = Redis.from_url(REDIS_URL, decode_responses=True)
    prefix = product.prefix
    first = await phone(product, "1001", "agent_answer.xml", tmp_path / "agent")
    phones = [first]
    try:
        agent = await token(product.base_url, "1001", "pw1001")
        ready = await graphql(
            product.base_url, agent, "mutation { setAgentState(state: AVAILABLE) { accepted } }"
        )
        assert ready == {"data": {"setAgentState": {"accepted": True}}}
        front = trunk_call(product, tmp_path, "7001", 12000)
        served = await next_event(redis, prefix, EventType.CALL_ANSWERED)

        (tmp_path / "waiting").mkdir()
        waiting = KeyingCall(product.sip_port, tmp_path / "waiting", "1006", "7001", on_trunk=True)
        added = await next_event(redis, prefix, EventType.CALL_ADDED, caller="1006")
        await waiting.press("11")
        requested = await next_event(redis, prefix, EventType.CALLBACK_REQUESTED)
        assert (requested.call_id, requested.data["position"]) == (added.call_id, 1)
        await waiting.hung_up_by_pbx()

        assert (await front).returncode == 0
        await next_event(redis, prefix, EventType.CALL_RELEASED, call_id=served.call_id)
        assert (await first.wait()).returncode == 0
        again = await phone(product, "1001", "agent_answer.xml", tmp_path / "agent-again")
        customer = await phone(product, "1006", "agent_answer_hangup.xml", tmp_path / "customer")
        phones += [again, customer]
        dialing = await next_event(redis, prefix, EventType.CALLBACK_DIALING, call_id=added.call_id)
        assert dialing.agent == "1001" and dialing.data["number"] == "1006"
        await next_event(redis, prefix, EventType.CALLBACK_ANSWERED, call_id=added.call_id)
        await next_event(redis, prefix, EventType.CALL_RELEASED, call_id=added.call_id)
        assert (await customer.wait()).returncode == 0
        assert (await again.wait()).returncode == 0
    finally:
        for running in phones:
            running.kill()
        await redis.aclose()
