"""Calls survive a `kill -9` of the product's PBX process (issue 20, docs/deploy.md "Calls that
survive a PBX crash"). Before the crash caller A talks to agent 1001 and caller D to 1003,
callers B and C wait in 7001 on music; the product is killed and started again as systemd
would, rtpengine (its own service, as in production) keeps the audio going. After it: A and
1001 still hear each other and A's BYE reaches 1001's phone, 1003's BYE reaches D; B and C are
still in the queue, B is offered to 1002 as it becomes available and they hear each other; C's
BYE is answered and recorded as the caller's abandonment. Caller E, whose phone forgot its
dialog meanwhile, answers the restarted PBX's check with 481 and ends as lost, the only one."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from redis.asyncio import Redis

from bench.chaos import OwnRtpengine, PrivateRedis, RunningProduct
from cti.event_log import EventLog
from tests.e2e.test_product import CALLER, graphql, token
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, SippResult, agent_phone, free_port, run_sipp

WAITING = "query { callCenters { id waitingCalls { callId } } }"
AVAILABLE = "mutation { setAgentState(state: AVAILABLE) { accepted } }"
UNAVAILABLE = "mutation { setAgentState(state: UNAVAILABLE) { accepted } }"
RESTART_SECONDS = 90
"""The longest the product's restart may take on a loaded machine (the callers wait it out;
7001 sends its callers on after 120 s)."""


async def waiting_in_7001(base: str) -> list[str]:
    supervisor = await token(base, "supervisor", "pwsupervisor")
    answer = await graphql(base, supervisor, WAITING)
    (cc,) = [cc for cc in answer["data"]["callCenters"] if cc["id"] == "7001"]
    return [w["callId"] for w in cc["waitingCalls"]]


async def set_state(base: str, extension: str, mutation: str) -> None:
    bearer = await token(base, extension, f"pw{extension}")
    assert (await graphql(base, bearer, mutation))["data"]["setAgentState"]["accepted"]


async def event_types(redis_url: str, prefix: str) -> dict[str, list[str]]:
    """Per call, the types of the events the stream has for it, in order."""
    async with Redis.from_url(redis_url, decode_responses=True) as redis:
        calls: dict[str, list[str]] = {}
        async for event in EventLog(redis, prefix).read_after("demo", -1):
            if event.call_id:
                calls.setdefault(event.call_id, []).append(event.type.value)
        return calls


async def crash_and_restart(product: RunningProduct) -> float:
    """`kill -9` of the product, then a start as systemd would (after its RestartSec); the
    loop time of the kill."""
    killed_at = asyncio.get_running_loop().time()
    product.process.kill()
    await asyncio.to_thread(product.process.wait)
    await asyncio.sleep(1.0)  # systemd's RestartSec
    product.process = await asyncio.to_thread(product.start)
    return killed_at


async def phone_through_restart(
    product: RunningProduct, extension: str, rtp: RtpPhone, work_dir: Path,
    scenario: str = "agent_answer.xml", **variables: Any,
) -> Sipp:  # fmt: skip
    """An agent's SIPp phone registered at the product, its media to `rtp`, lasting through the
    product's restart."""
    return await agent_phone(
        product.sip_port, extension, scenario, work_dir,
        timeout_s=RESTART_SECONDS + 120, media_port=rtp.port, **variables,
    )  # fmt: skip


def packets_between(phone: RtpPhone, start: float, end: float) -> int:
    return sum(1 for at, _source in phone.packets if start <= at <= end)


async def test_waiting_and_connected_calls_survive_a_pbx_crash(tmp_path: Path) -> None:
    redis_server = PrivateRedis(tmp_path)
    rtpengine = OwnRtpengine(tmp_path, redis_server.port)
    product = await asyncio.to_thread(RunningProduct, tmp_path, redis_server.url, None, rtpengine)
    a, b, c, d = (RtpPhone(f).start() for f in (400, 500, None, 600))
    agent1, agent2, agent3 = (RtpPhone(f).start() for f in (1000, 1200, 1400))
    phones: list[Sipp] = []
    base = product.base

    def caller(
        media_port: int, hold_s: float, scenario: str = "trunk_call.xml"
    ) -> asyncio.Task[SippResult]:
        return asyncio.create_task(run_sipp(
            scenario, work_dir=tmp_path, remote=("127.0.0.1", product.sip_port),
            variables={"from": CALLER, "to": "7001", "media_port": media_port,
                       "hold_ms": int(hold_s * 1000)},
            timeout_s=int(hold_s) + 60,
            extra=["-aa"],  # a phone answers the restarted PBX's in-dialog OPTIONS
        ))  # fmt: skip

    async def phone_of(
        extension: str, rtp: RtpPhone, scenario: str = "agent_answer.xml", talk_s: float = 1
    ) -> Sipp:
        phone = await phone_through_restart(
            product, extension, rtp, tmp_path, scenario, talk_ms=int(talk_s * 1000)
        )
        phones.append(phone)
        return phone

    try:
        await set_state(base, "1002", UNAVAILABLE)  # signed in: 7001 keeps its callers waiting
        phone1 = await phone_of("1001", agent1)
        await set_state(base, "1001", AVAILABLE)
        talks = caller(a.port, RESTART_SECONDS + 20)
        await agent1.wait_to_hear(400, timeout=30)  # A talks to 1001
        await a.wait_to_hear(1000, timeout=10)
        phone3 = await phone_of("1003", agent3, "agent_answer_hangup.xml", RESTART_SECONDS + 25)
        await set_state(base, "1003", AVAILABLE)
        hung_up_on = caller(d.port, RESTART_SECONDS + 60, "trunk_call_remote_bye.xml")
        await agent3.wait_to_hear(600, timeout=30)  # D talks to 1003
        waits = caller(b.port, RESTART_SECONDS + 40)
        await asyncio.sleep(1)  # B before C in the queue
        leaves = caller(c.port, RESTART_SECONDS)
        await asyncio.sleep(1)
        forgets = caller(free_port(), RESTART_SECONDS, "trunk_call_forgets_dialog.xml")
        async with asyncio.timeout(30):
            while len(waiting := await waiting_in_7001(base)) < 3:
                await asyncio.sleep(0.3)
        # C hears the music on hold (its chord's 440 Hz), not still 7001's welcome: a prompt
        # ends by itself, and music would start only at the PBX's next turn (after the restart).
        await c.wait_to_hear(440, timeout=60)

        killed_at = await crash_and_restart(product)

        # rtpengine never stopped: music and conversation went on while no PBX ran.
        assert packets_between(c, killed_at + 0.5, killed_at + 1.5) > 10
        assert packets_between(agent1, killed_at + 0.5, killed_at + 1.5) > 10
        # The same callers, in the same order, but E: its phone forgot the dialog.
        assert await waiting_in_7001(base) == waiting[:2]
        assert (await forgets).returncode == 0  # it answered the check with 481
        await agent1.wait_to_hear(400, timeout=10)  # A and 1001 still hear each other
        await a.wait_to_hear(1000, timeout=10)
        await d.wait_to_hear(1400, timeout=10)  # and D and 1003

        await phone_of("1002", agent2)
        await set_state(base, "1002", AVAILABLE)
        await agent2.wait_to_hear(500, timeout=30)  # B is put through to 1002
        await b.wait_to_hear(1200, timeout=10)

        for task in (talks, leaves, waits):  # each caller's BYE after the restart: answered
            result = await task
            assert result.returncode == 0, result.errors
        assert (await phone1.wait()).returncode == 0  # A's BYE reached 1001's phone
        assert (await phone3.wait()).returncode == 0  # 1003's BYE was answered
        result = await hung_up_on  # and reached D
        assert result.returncode == 0, result.errors
    finally:
        for rtp in (a, b, c, d, agent1, agent2, agent3):
            await rtp.close()
        for phone in phones:
            phone.kill()
        await asyncio.to_thread(product.stop)
        rtpengine.stop()

    calls = await event_types(redis_server.url, product.prefix)
    redis_server.stop()
    b_id, c_id, e_id = waiting
    assert [call for call, types in calls.items() if "CALL_LOST" in types] == [e_id], calls
    assert calls[e_id][-1] == "CALL_LOST"
    assert [types[-1] for types in calls.values()].count("CALL_RELEASED") == 3, calls
    assert "CALL_ANSWERED" in calls[b_id] and calls[b_id][-1] == "CALL_RELEASED"
    assert calls[c_id][-1] == "CALL_ABANDONED"
