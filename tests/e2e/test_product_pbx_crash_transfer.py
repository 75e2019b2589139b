"""A connected call taken over by a restarted PBX can still be transferred, and one held before
the crash resumed after it (issue 20 point 3, docs/deploy.md "Calls that survive a PBX crash").
Caller A talks to agent 1001 in 7001; the product is killed (`kill -9`) and started again; then
1001 transfers A to extension 1002, through the CTI (`transferCall`) or from its phone (a blind
transfer: REFER): 1001's phone gets the PBX's BYE, 1002's phone rings, A and 1002 hear each
other, and 1002's BYE reaches A. The event stream has A's call answered once and released once
(by the agent's transfer), never lost."""

from __future__ import annotations

import asyncio
import secrets
import socket
from pathlib import Path

import pytest
from redis.asyncio import Redis

from bench.chaos import OwnRtpengine, PrivateRedis, RunningProduct
from cti.event_log import EventLog
from pbx_core.sip.dialog_store import StoredDialog
from tests.e2e.test_product import CALLER, graphql, token
from tests.e2e.test_product_pbx_crash import (
    AVAILABLE,
    RESTART_SECONDS,
    UNAVAILABLE,
    crash_and_restart,
    event_types,
    packets_between,
    phone_through_restart,
    set_state,
)
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import Sipp, SippResult, run_sipp

MY_CALLS = "query { myCalls { callId phase } }"
TRANSFER = (
    "mutation($id: ID!, $to: String!) { transferCall(callId: $id, destination: $to) { accepted } }"
)


async def my_call(base: str, bearer: str) -> str:
    """The one call the signed-in agent has now."""
    (call,) = (await graphql(base, bearer, MY_CALLS))["data"]["myCalls"]
    return str(call["callId"])


async def press_transfer(redis_url: str, call_id: str) -> None:
    """The agent's user presses transfer on the phone: the test tells the SIPp phone (an
    in-dialog INFO in the PBX's leg to it, read from the stored dialog; its scenario sends the
    REFER then)."""
    async with Redis.from_url(redis_url, decode_responses=True) as redis:
        (key,) = [key async for key in redis.scan_iter(match=f"*dialog:{call_id}")]
        stored = StoredDialog.decode(await redis.get(key) or "")
    assert stored.bridged is not None  # the leg to 1001, taken over
    leg = stored.bridged.dialog
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
        info = (
            f"INFO {leg.remote_target} SIP/2.0\r\n"
            f"Via: SIP/2.0/UDP 127.0.0.1:{port};branch=z9hG4bK{secrets.token_hex(8)}\r\n"
            f"From: {leg.local_uri}\r\nTo: {leg.remote_uri}\r\nCall-ID: {leg.call_id}\r\n"
            "CSeq: 1 INFO\r\nMax-Forwards: 70\r\nContent-Length: 0\r\n\r\n"
        )
        sock.sendto(info.encode(), (leg.remote_host, leg.remote_port))


async def a_talks_to_1001(
    product: RunningProduct, a: RtpPhone, agent1: RtpPhone, tmp_path: Path
) -> tuple[asyncio.Task[SippResult], str, str]:
    """Caller A (a long call, its phone answering the restarted PBX's check) into 7001, put
    through to 1001 (AVAILABLE); 1001's bearer token and the call's id."""
    talks = asyncio.create_task(run_sipp(
        "trunk_call_remote_bye.xml", work_dir=tmp_path,
        remote=("127.0.0.1", product.sip_port),
        variables={"from": CALLER, "to": "7001", "media_port": a.port,
                   "hold_ms": (RESTART_SECONDS + 60) * 1000},
        timeout_s=RESTART_SECONDS + 120,
        extra=["-aa"],  # a phone answers the restarted PBX's in-dialog OPTIONS
    ))  # fmt: skip
    await agent1.wait_to_hear(400, timeout=30)  # A talks to 1001
    await a.wait_to_hear(1000, timeout=10)
    bearer = await token(product.base, "1001", "pw1001")
    return talks, bearer, await my_call(product.base, bearer)


async def stays(redis_url: str, prefix: str, call_id: str) -> list[tuple[str, str, str]]:
    """The call's events in the stream, in order: (call center, type, agent)."""
    async with Redis.from_url(redis_url, decode_responses=True) as redis:
        return [
            (event.call_center_id or "", event.type.value, event.agent or "")
            async for event in EventLog(redis, prefix).read_after("demo", -1)
            if event.call_id == call_id
        ]


@pytest.mark.parametrize("by", ["cti", "phone", "cti to 7002"])
async def test_a_connected_call_taken_over_after_a_pbx_crash_is_transferred(
    tmp_path: Path, by: str
) -> None:
    redis_server = PrivateRedis(tmp_path)
    rtpengine = OwnRtpengine(tmp_path, redis_server.port)
    product = await asyncio.to_thread(RunningProduct, tmp_path, redis_server.url, None, rtpengine)
    a, agent1, agent2 = (RtpPhone(f).start() for f in (400, 1000, 1200))
    phones: list[Sipp] = []
    base = product.base
    # Another extension, or another call center (Sales) where its agent 1004 takes the call.
    target, taker = ("7002", "1004") if by == "cti to 7002" else ("1002", "1002")

    async def phone_of(extension: str, rtp: RtpPhone, scenario: str, talk_s: float = 1) -> Sipp:
        phone = await phone_through_restart(
            product, extension, rtp, tmp_path, scenario, talk_ms=int(talk_s * 1000)
        )
        phones.append(phone)
        return phone

    try:
        await set_state(base, "1002", UNAVAILABLE)  # 1002 takes the transfer, no queue call
        if by != "phone":
            phone1 = await phone_of("1001", agent1, "agent_answer.xml")
        else:
            phone1 = await phone_through_restart(
                product, "1001", agent1, tmp_path, "agent_refer_when_told.xml", refer_to="1002"
            )
            phones.append(phone1)
        await set_state(base, "1001", AVAILABLE)
        talks, bearer, call_id = await a_talks_to_1001(product, a, agent1, tmp_path)

        killed_at = await crash_and_restart(product)
        assert packets_between(agent1, killed_at + 0.5, killed_at + 1.5) > 10  # media went on
        await agent1.wait_to_hear(400, timeout=10)  # and goes on with the restarted PBX
        await a.wait_to_hear(1000, timeout=10)

        phone2 = await phone_of(taker, agent2, "agent_answer_hangup.xml", talk_s=6)
        if target == "7002":
            await set_state(base, taker, AVAILABLE)
        bearer = await token(base, "1001", "pw1001")  # the restarted product's sign-in
        assert await my_call(base, bearer) == call_id  # still 1001's call
        if by != "phone":
            answer = await graphql(base, bearer, TRANSFER, id=call_id, to=target)
            assert answer.get("data") == {"transferCall": {"accepted": True}}, answer
        else:
            await press_transfer(redis_server.url, call_id)

        result = await phone1.wait()  # the PBX released 1001's leg with a BYE
        assert result.returncode == 0, result.errors
        agent1.speak(None)  # as a phone does after the BYE
        await agent2.wait_to_hear(400, timeout=30)  # A and 1002 hear each other
        await a.wait_to_hear(1200, timeout=10)
        since = asyncio.get_running_loop().time()
        await asyncio.sleep(1)
        assert a.share(1200, since) > 0.8  # 1002 goes on, and nothing of 1001 reaches A
        assert a.share(1000, since) == 0
        result = await phone2.wait()  # 1002 hung up after talking ...
        assert result.returncode == 0, result.errors
        result = await talks  # ... and its BYE reached A
        assert result.returncode == 0, result.errors
    finally:
        for rtp in (a, agent1, agent2):
            await rtp.close()
        for phone in phones:
            phone.kill()
        await asyncio.to_thread(product.stop)
        rtpengine.stop()

    events = await stays(redis_server.url, product.prefix, call_id)
    redis_server.stop()
    assert "CALL_LOST" not in {type_ for _, type_, _ in events}, events
    # Each stay in a call center answered once, then released once, by its agent.
    expected = [("7001", "1001")] + ([("7002", "1004")] if target == "7002" else [])
    for center, agent in expected:
        stay = [(type_, who) for cc, type_, who in events if cc == center]
        assert [t for t in stay if t[0] in ("CALL_ANSWERED", "CALL_RELEASED")] == [
            ("CALL_ANSWERED", agent),
            ("CALL_RELEASED", agent),
        ], events
        assert stay[-1][0] == "CALL_RELEASED", events


HOLD = "mutation($id: ID!) { holdCall(callId: $id) { accepted } }"
RESUME = "mutation($id: ID!) { resumeCall(callId: $id) { accepted } }"
HANG_UP = "mutation($id: ID!) { hangUpCall(callId: $id) { accepted } }"


def silent_for(phone: RtpPhone, frequency: float, since: float) -> bool:
    """Nothing of `frequency` reached `phone` since `since` (no frame carried it)."""
    return phone.share(frequency, since) == 0


async def test_a_call_held_before_a_pbx_crash_is_resumed_after_it(tmp_path: Path) -> None:
    """1001 holds caller A through the CTI (`holdCall`: A hears music, neither hears the other);
    the product is killed and started again; the call is still held, and `resumeCall` brings
    the two back together; 1001 then hangs up through the CTI and both phones get the BYE. The
    call is held once, resumed once, released once, never lost."""
    redis_server = PrivateRedis(tmp_path)
    rtpengine = OwnRtpengine(tmp_path, redis_server.port)
    product = await asyncio.to_thread(RunningProduct, tmp_path, redis_server.url, None, rtpengine)
    a, agent1 = (RtpPhone(f).start() for f in (400, 1000))
    phone1: Sipp | None = None
    base = product.base
    loop = asyncio.get_running_loop()

    async def ok(bearer: str, mutation: str, call_id: str) -> None:
        answer = await graphql(base, bearer, mutation, id=call_id)
        assert answer.get("errors") is None and answer["data"], answer
        (accepted,) = answer["data"].values()
        assert accepted == {"accepted": True}, answer

    try:
        phone1 = await phone_through_restart(product, "1001", agent1, tmp_path)
        await set_state(base, "1001", AVAILABLE)
        talks, bearer, call_id = await a_talks_to_1001(product, a, agent1, tmp_path)
        await ok(bearer, HOLD, call_id)
        await asyncio.sleep(0.5)
        held_at = loop.time()
        await asyncio.sleep(1)
        assert silent_for(agent1, 400, held_at) and silent_for(a, 1000, held_at)
        assert len(a.received) > 0 and a.received[-1][0] > held_at  # A hears the music

        killed_at = await crash_and_restart(product)
        assert packets_between(a, killed_at + 0.5, killed_at + 1.5) > 10  # the music went on
        bearer = await token(base, "1001", "pw1001")  # the restarted product's sign-in
        (call,) = (await graphql(base, bearer, MY_CALLS))["data"]["myCalls"]
        assert call == {"callId": call_id, "phase": "HELD"}
        assert silent_for(agent1, 400, held_at) and silent_for(a, 1000, held_at)  # still held

        await ok(bearer, RESUME, call_id)
        await agent1.wait_to_hear(400, timeout=10)  # together again
        await a.wait_to_hear(1000, timeout=10)
        await ok(bearer, HANG_UP, call_id)
        result = await phone1.wait()  # the BYE reached 1001's phone ...
        assert result.returncode == 0, result.errors
        result = await talks  # ... and A
        assert result.returncode == 0, result.errors
    finally:
        for rtp in (a, agent1):
            await rtp.close()
        if phone1 is not None:
            phone1.kill()
        await asyncio.to_thread(product.stop)
        rtpengine.stop()

    calls = await event_types(redis_server.url, product.prefix)
    redis_server.stop()
    types = calls[call_id]
    for once in ("CALL_ANSWERED", "CALL_HELD", "CALL_RESUMED", "CALL_RELEASED"):
        assert types.count(once) == 1, types
    assert types[-1] == "CALL_RELEASED" and "CALL_LOST" not in types, types
