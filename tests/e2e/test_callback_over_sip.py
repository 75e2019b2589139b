"""Callback that keeps the place over SIP (docs/callback.md): the real PBX, rtpengine and the
engine runtime; SIPp phones. A caller on the trunk is served by agent 1001 while a caller from
the number of extension 1006 waits behind it, presses 1 twice (RFC 4733) and is hung up after
the confirmation; once the caller in front is done and the agent's wrap-up is over, the agent's
phone rings first, then 1006's, both answer and are connected: reported as a callback, not as an
abandoned call."""

from __future__ import annotations

import asyncio
from pathlib import Path

from redis.asyncio import Redis

from cti.engine_runtime import EngineRuntime
from cti.snapshots import AgentState, StateCause
from pbx_core.service import PbxService
from queueing.events import EventType
from tests.e2e.keying_phone import KeyingCall
from tests.e2e.test_queue_over_sip import caller, stream_events, wait_for
from tests.pbx_core.support import Sipp, free_port, register, run_sipp


async def phone(pbx: PbxService, extension: str, scenario: str, work_dir: Path) -> Sipp:
    """A registered SIPp phone answering one call with `scenario`."""
    work_dir.mkdir(exist_ok=True)
    port = free_port()
    registered = await register(pbx.config.sip_port, extension, port, work_dir)
    assert registered.returncode == 0, registered.errors
    return await Sipp(
        scenario,
        work_dir=work_dir,
        local_port=port,
        variables={"media_port": free_port(), "ring_ms": 300, "talk_ms": 1500},
    ).start()


async def test_a_caller_who_presses_1_is_called_back_after_the_caller_in_front(
    pbx: PbxService, runtime: EngineRuntime, redis: Redis, redis_prefix: str, tmp_path: Path
) -> None:
    prefix = redis_prefix.rstrip(":")
    # A SIPp phone lives at most 20 s (SIPP_TIMEOUT_S): the agent gets a fresh phone for the
    # callback, registered again, as the customer's phone is started only once it is due.
    first = await phone(pbx, "1001", "agent_answer.xml", tmp_path / "agent")
    phones = [first]
    try:
        await runtime.set_agent_state(
            "demo", "1001", AgentState.AVAILABLE, unavailable_code=None,
            cause=StateCause.AGENT, by="1001",
        )  # fmt: skip
        front = asyncio.create_task(
            run_sipp("trunk_call.xml", **caller(pbx, tmp_path, "7001", 12000))
        )
        served = await wait_for(redis, prefix, EventType.CALL_ANSWERED)

        # From the trunk with 1006's number: the test PBX takes 127.0.0.1 as its trunk.
        (tmp_path / "waiting").mkdir()
        waiting = KeyingCall(
            pbx.config.sip_port, tmp_path / "waiting", "1006", "7001", on_trunk=True
        )
        added = await wait_for(redis, prefix, EventType.CALL_ADDED, caller="1006")
        await waiting.press("11")
        requested = await wait_for(redis, prefix, EventType.CALLBACK_REQUESTED)
        assert requested.call_id == added.call_id
        assert requested.data == {"number": "1006", "position": 1, "via": "phone"}
        await waiting.hung_up_by_pbx()  # after the confirmation

        result = await front
        assert result.returncode == 0, result.errors
        await wait_for(redis, prefix, EventType.CALL_RELEASED, call_id=served.call_id)
        assert (await first.wait()).returncode == 0
        agent = await phone(pbx, "1001", "agent_answer.xml", tmp_path / "agent-again")
        customer = await phone(pbx, "1006", "agent_answer_hangup.xml", tmp_path / "customer")
        phones += [agent, customer]
        dialing = await wait_for(
            redis, prefix, EventType.CALLBACK_DIALING, timeout=30, call_id=added.call_id
        )
        assert dialing.agent == "1001" and dialing.data == {"number": "1006", "attempt": 1}
        answered = await wait_for(redis, prefix, EventType.CALLBACK_ANSWERED, timeout=20)
        assert answered.call_id == added.call_id and answered.agent == "1001"
        await wait_for(redis, prefix, EventType.CALL_RELEASED, call_id=added.call_id)
        assert (await customer.wait()).returncode == 0
        assert (await agent.wait()).returncode == 0
    finally:
        for running in phones:
            running.kill()
    kinds = [e.type for e in await stream_events(redis, prefix) if e.call_id == added.call_id]
    assert EventType.CALL_ABANDONED not in kinds
    assert kinds.index(EventType.CALLBACK_REQUESTED) < kinds.index(EventType.CALL_OFFERED)
    assert kinds.index(EventType.CALLBACK_DIALING) < kinds.index(EventType.CALLBACK_ANSWERED)
