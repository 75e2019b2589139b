"""Outbound calls: click-to-dial (`Dial`: the agent's phone rings first, then the destination)
and extensions dialling outside numbers through the outbound trunk."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from pbx_core import call_control as cc
from pbx_core.config import PbxConfig, RtpengineAddress
from pbx_core.media.ng_client import NgClient
from pbx_core.media.rtpengine_process import RtpengineProcess
from pbx_core.service import PbxService
from pbx_core.trunks.routing import DirectNumber, TrunkRouting
from tests.pbx_core.conftest import REDIS_URL, directory_for_tests
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import EventLog, Sipp, free_port, free_sip_port, register, run_sipp


@pytest.fixture
async def pbx_with_trunk(
    redis_prefix: str, prompts_dir: Path, rtpengine: RtpengineProcess
) -> AsyncIterator[PbxService]:
    config = PbxConfig(
        sip_port=free_sip_port(),
        redis_url=REDIS_URL,
        key_prefix=redis_prefix,
        rtpengine=RtpengineAddress(rtpengine.host, rtpengine.ng_port),
        prompts_dir=prompts_dir,
        outbound_trunk=("127.0.0.1", free_port()),
    )
    service = PbxService(config, directory_for_tests())
    await service.start()
    # A tenant calls out from its own numbers: without one the carrier would refuse the call.
    numbers = [DirectNumber("+31201230001", "demo", "1001")]
    await service.update_trunks(TrunkRouting.of(config.outbound_trunk, numbers))
    yield service
    await service.stop()


async def test_dial_rings_agent_then_trunk_destination_and_connects_media(
    pbx_with_trunk: PbxService, tmp_path: Path, rtpengine: RtpengineProcess
) -> None:
    pbx = pbx_with_trunk
    assert pbx.config.outbound_trunk is not None
    events = EventLog(pbx.subscribe())
    agent_port, agent_media, trunk_media = free_port(), free_port(), free_port()
    assert (await register(pbx.config.sip_port, "1001", agent_port, tmp_path)).returncode == 0
    variables = {"ring_ms": 200}
    agent = await Sipp(
        "agent_answer.xml",
        work_dir=tmp_path,
        local_port=agent_port,
        variables=variables | {"media_port": agent_media},
    ).start()
    trunk = await Sipp(
        "agent_answer.xml",
        work_dir=tmp_path,
        local_port=pbx.config.outbound_trunk[1],
        variables=variables | {"media_port": trunk_media},
    ).start()
    try:
        pbx.send(cc.Dial("c2d-1", "1001", "+31201234567", ring_timeout=5))
        await events.next_of(cc.CallAnswered, call_id="c2d-1", leg_id="agent")
        await events.next_of(cc.CallAnswered, call_id="c2d-1", leg_id="destination")
        # rtpengine knows both ends: the phone and the trunk's media addresses.
        client = NgClient(rtpengine.host, rtpengine.ng_port)
        try:
            tags = client.query("c2d-1")["tags"]
        finally:
            client.close()
        ports = {
            stream["endpoint"]["port"]
            for tag in tags.values()
            for media in tag.get("medias", [])
            for stream in media.get("streams", [])
        }
        assert {agent_media, trunk_media} <= ports
        pbx.send(cc.Hangup("c2d-1"))
        hung_up = await events.next_of(cc.CallHungUp, call_id="c2d-1")
        assert hung_up.side is cc.HangupSide.PBX
        assert (await agent.wait()).returncode == 0, "the phone must get the BYE"
        assert (await trunk.wait()).returncode == 0, "the destination must get the BYE"
    finally:
        agent.kill()
        trunk.kill()


async def test_dial_to_an_unregistered_agent_fails_at_once(pbx_with_trunk: PbxService) -> None:
    events = EventLog(pbx_with_trunk.subscribe())
    pbx_with_trunk.send(cc.Dial("c2d-2", "1007", "+31201234567"))
    failed = await events.next_of(cc.OfferFailed, call_id="c2d-2")
    assert (failed.leg_id, failed.failure) == ("agent", cc.OfferFailure.NOT_REGISTERED)
    await events.next_of(cc.CallHungUp, call_id="c2d-2")


async def test_agent_hangs_up_and_destination_gets_bye(
    pbx_with_trunk: PbxService, tmp_path: Path
) -> None:
    pbx = pbx_with_trunk
    events = EventLog(pbx.subscribe())
    agent_port, callee_port = free_port(), free_port()
    assert (await register(pbx.config.sip_port, "1003", agent_port, tmp_path)).returncode == 0
    assert (await register(pbx.config.sip_port, "1004", callee_port, tmp_path)).returncode == 0
    agent = await Sipp(
        "agent_answer_hangup.xml",
        work_dir=tmp_path,
        local_port=agent_port,
        variables={"media_port": free_port(), "ring_ms": 200, "talk_ms": 1500},
    ).start()
    callee = await Sipp(
        "agent_answer.xml",
        work_dir=tmp_path,
        local_port=callee_port,
        variables={"media_port": free_port(), "ring_ms": 200},
    ).start()
    try:
        pbx.send(cc.Dial("c2d-3", "1003", "1004"))
        await events.next_of(cc.CallAnswered, call_id="c2d-3", leg_id="destination")
        hung_up = await events.next_of(cc.CallHungUp, call_id="c2d-3")
        assert hung_up.side is cc.HangupSide.CALLER
        assert (await agent.wait()).returncode == 0
        assert (await callee.wait()).returncode == 0, "the destination must get the BYE"
    finally:
        agent.kill()
        callee.kill()


async def test_the_destination_hears_the_intro_as_it_answers(
    pbx_with_trunk: PbxService, tmp_path: Path
) -> None:
    """A queue callback's introduction (docs/callback.md): the destination hears the prompt,
    though the agent's phone sends no audio at all."""
    pbx = pbx_with_trunk
    events = EventLog(pbx.subscribe())
    agent_port, callee_port = free_port(), free_port()
    assert (await register(pbx.config.sip_port, "1005", agent_port, tmp_path)).returncode == 0
    assert (await register(pbx.config.sip_port, "1006", callee_port, tmp_path)).returncode == 0
    customer = RtpPhone(None).start()
    agent = await Sipp(
        "agent_answer.xml",
        work_dir=tmp_path,
        local_port=agent_port,
        variables={"media_port": free_port(), "ring_ms": 200},
    ).start()
    callee = await Sipp(
        "agent_answer.xml",
        work_dir=tmp_path,
        local_port=callee_port,
        variables={"media_port": customer.port, "ring_ms": 200},
    ).start()
    try:
        pbx.send(cc.Dial("c2d-intro", "1005", "1006", intro="callback_intro_nl"))
        await events.next_of(cc.CallAnswered, call_id="c2d-intro", leg_id="destination")
        loop = asyncio.get_running_loop()
        deadline = loop.time() + 15
        while len(customer.received) < 50 and loop.time() < deadline:
            await asyncio.sleep(0.1)
        assert len(customer.received) >= 50, "a second of the intro reaches the destination"
        pbx.send(cc.Hangup("c2d-intro"))
        await events.next_of(cc.CallHungUp, call_id="c2d-intro")
        assert (await agent.wait()).returncode == 0
        assert (await callee.wait()).returncode == 0
    finally:
        agent.kill()
        callee.kill()
        await customer.close()


async def test_extension_dials_an_outside_number_through_the_trunk(
    pbx_with_trunk: PbxService, tmp_path: Path
) -> None:
    pbx = pbx_with_trunk
    assert pbx.config.outbound_trunk is not None
    events = EventLog(pbx.subscribe())
    trunk = await Sipp(
        "agent_answer.xml",
        work_dir=tmp_path,
        local_port=pbx.config.outbound_trunk[1],
        variables={"media_port": free_port(), "ring_ms": 200},
    ).start()
    try:
        caller = await run_sipp(
            "ext_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", pbx.config.sip_port),
            variables={
                "from": "1001",
                "to": "0201234567",
                "media_port": free_port(),
                "hold_ms": 500,
            },
            extra=["-au", "1001", "-ap", "pw1001"],
        )
        assert caller.returncode == 0, caller.errors
        answered = await events.next_of(cc.CallAnswered, extension="0201234567")
        hung_up = await events.next_of(cc.CallHungUp, call_id=answered.call_id)
        assert hung_up.side is cc.HangupSide.CALLER
        assert (await trunk.wait()).returncode == 0, "the trunk must get the BYE"
    finally:
        trunk.kill()
