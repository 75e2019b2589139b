"""CTI hold/resume and supervisor monitoring over real SIP (SIPp phones) and real RTP.

Every phone's audio is an `RtpPhone` playing its own tone: caller 500 Hz, agent 1000 Hz,
supervisor 1500 Hz. Who hears whom is read from the tones in the frames each one receives.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path

import pytest

from pbx_core import call_control as cc
from pbx_core.service import PbxService
from tests.pbx_core.handlers import AnswerAndBridge
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import EventLog, Sipp, agent_phone

CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 500, 1000, 1500
LISTEN_S = 0.6
"""How long each check listens: 30 frames."""


@dataclass
class Conversation:
    call_id: str
    leg_id: str
    caller: RtpPhone
    agent: RtpPhone
    caller_sipp: Sipp
    agent_sipp: Sipp


@pytest.fixture
async def conversation(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> AsyncIterator[Conversation]:
    """A trunk caller to 7001 bridged to agent 1002; both hear each other's tone."""
    pbx.register_handler(AnswerAndBridge(pbx, "1002", prompt="comfort_nl"))
    caller, agent = RtpPhone(CALLER_HZ).start(), RtpPhone(AGENT_HZ).start()
    agent_sipp = await agent_phone(
        pbx.config.sip_port,
        "1002",
        "agent_answer_reinvites.xml",
        tmp_path,
        ring_ms=100,
        media_port=agent.port,
    )
    caller_sipp = await Sipp(
        "trunk_call_remote_bye.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": "+31201234567", "to": "7001", "media_port": caller.port},
    ).start()
    try:
        answered = await events.next_of(cc.CallAnswered, extension="1002")
        await agent.wait_to_hear(CALLER_HZ)
        await caller.wait_to_hear(AGENT_HZ)
        yield Conversation(
            answered.call_id, answered.leg_id, caller, agent, caller_sipp, agent_sipp
        )
    finally:
        caller_sipp.kill()
        agent_sipp.kill()
        await caller.close()
        await agent.close()


async def _listen() -> float:
    loop = asyncio.get_running_loop()
    since = loop.time() + 0.1  # let a switch settle
    await asyncio.sleep(LISTEN_S)
    return since


async def _hang_up(pbx: PbxService, events: EventLog, talk: Conversation) -> None:
    pbx.send(cc.Hangup(talk.call_id))
    await events.next_of(cc.CallHungUp, call_id=talk.call_id)
    assert (await talk.caller_sipp.wait()).returncode == 0
    assert (await talk.agent_sipp.wait()).returncode == 0


async def test_cti_hold_gives_music_and_mutes_the_caller_until_resume(
    pbx: PbxService, events: EventLog, conversation: Conversation
) -> None:
    talk = conversation
    pbx.send(cc.HoldCall(talk.call_id))
    await events.next_of(cc.CallHeld, call_id=talk.call_id, leg_id=talk.leg_id)
    pbx.send(cc.HoldCall(talk.call_id))
    failed = await events.next_of(cc.CommandFailed, command="HoldCall")
    assert "hold already" in failed.reason
    since = await _listen()
    assert talk.agent.share(CALLER_HZ, since) == 0, "the agent still hears the caller"
    assert len([t for t in talk.caller.packets if t >= since]) > 20, "no music to the caller"
    assert talk.caller.share(AGENT_HZ, since) == 0, "music, not the agent"

    pbx.send(cc.ResumeCall(talk.call_id))
    await events.next_of(cc.CallResumed, call_id=talk.call_id, leg_id=talk.leg_id)
    await talk.agent.wait_to_hear(CALLER_HZ)
    await talk.caller.wait_to_hear(AGENT_HZ)
    pbx.send(cc.ResumeCall(talk.call_id))
    failed = await events.next_of(cc.CommandFailed, command="ResumeCall")
    assert "not on hold" in failed.reason
    await _hang_up(pbx, events, talk)
