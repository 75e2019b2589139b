"""The whisper: a prompt to the agent alone once it is bridged, before caller and agent hear each
other (the caller keeps its music meanwhile). Real SIP (SIPp phones) and real RTP, each party
sending its own tone (see test_hold_and_monitor.py); the whisper here is the 1400 Hz
`reminder_tone` so it can be told apart from the music and the parties."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pbx_core import call_control as cc
from pbx_core.service import PbxService
from tests.pbx_core.handlers import AnswerAndBridge
from tests.pbx_core.rtp_phone import RtpPhone, level
from tests.pbx_core.support import EventLog, agent_phone, trunk_caller

CALLER_HZ, AGENT_HZ, WHISPER_HZ = 500, 1000, 1400
HEARD = 1500
"""Goertzel level above which a tone is in a frame (as `RtpPhone.share` counts it)."""


async def test_agent_hears_the_whisper_alone_then_the_caller(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(
        AnswerAndBridge(pbx, "1002", prompt="ringback_tone", whisper="reminder_tone")
    )
    caller, agent = RtpPhone(CALLER_HZ).start(), RtpPhone(AGENT_HZ).start()
    agent_sipp = await agent_phone(
        pbx.config.sip_port, "1002", "agent_answer.xml", tmp_path, ring_ms=100,
        media_port=agent.port,
    )  # fmt: skip
    caller_sipp = await trunk_caller(
        pbx.config.sip_port, "trunk_call_remote_bye.xml", tmp_path, media_port=caller.port
    )
    try:
        answered = await events.next_of(cc.CallAnswered, extension="1002")
        bridged_at = asyncio.get_running_loop().time()
        await agent.wait_to_hear(WHISPER_HZ)
        await agent.wait_to_hear(CALLER_HZ)  # then the conversation
        whispered = [
            (t, frame)
            for t, frame in agent.received
            if t >= bridged_at and level(frame, WHISPER_HZ) > HEARD
        ]
        assert whispered, "no whisper to the agent"
        assert not any(level(f, CALLER_HZ) > HEARD for _, f in whispered), "caller in the whisper"
        whisper_end = whispered[-1][0]
        assert caller.share(WHISPER_HZ, bridged_at) == 0, "the caller heard the whisper"
        during = [f for t, f in caller.received if bridged_at <= t <= whisper_end]
        assert not any(level(f, AGENT_HZ) > HEARD for f in during), "caller heard the agent early"
        await caller.wait_to_hear(AGENT_HZ)
        pbx.send(cc.Hangup(answered.call_id))
        await events.next_of(cc.CallHungUp, call_id=answered.call_id)
        assert (await caller_sipp.wait()).returncode == 0
        assert (await agent_sipp.wait()).returncode == 0
    finally:
        caller_sipp.kill()
        agent_sipp.kill()
        await caller.close()
        await agent.close()
