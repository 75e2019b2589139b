"""CTI hold/resume and supervisor monitoring over real SIP (SIPp phones) and real RTP.

Every phone's audio is an `RtpPhone` playing its own tone: caller 500 Hz, agent 1000 Hz,
supervisor 1500 Hz. Who hears whom is read from the tones in the frames each one receives.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pbx_core import call_control as cc
from pbx_core.recording.files import pcaps_of_call
from pbx_core.service import PbxService
from tests.pbx_core.handlers import AnswerAndBridge
from tests.pbx_core.rtp_phone import RtpPhone
from tests.pbx_core.support import EventLog, Sipp, agent_phone, trunk_caller
from tests.pbx_core.test_rtp_dtmf import telephone_event_packets

CALLER_HZ, AGENT_HZ, SUPERVISOR_HZ = 500, 1000, 1500
REMINDER_HZ = 1400
"""`reminder_tone` (pbx_core/media/prompts.py)."""
LISTEN_S = 0.6
"""How long each check listens: 30 frames."""
HEARD_SHARE = 0.6
"""A tone is heard when it is in this share of the frames. Usually all are; but the test's three
phones share one event loop, and on a loaded machine a stall of it starves every talker at once
(seen: 5 silent frames of 25). A tone that must not be heard must be in none."""


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
    pbx: PbxService, events: EventLog, tmp_path: Path, request: pytest.FixtureRequest
) -> AsyncIterator[Conversation]:
    """A trunk caller to 7001 bridged to an agent (1002, or the parameter); both hear each
    other's tone."""
    extension = getattr(request, "param", "1002")
    pbx.register_handler(AnswerAndBridge(pbx, extension, prompt="comfort_nl"))
    caller, agent = RtpPhone(CALLER_HZ).start(), RtpPhone(AGENT_HZ).start()
    agent_sipp = await agent_phone(
        pbx.config.sip_port,
        extension,
        "agent_answer_reinvites.xml",
        tmp_path,
        ring_ms=100,
        media_port=agent.port,
    )
    caller_sipp = await trunk_caller(
        pbx.config.sip_port, "trunk_call_remote_bye.xml", tmp_path, media_port=caller.port
    )
    try:
        answered = await events.next_of(cc.CallAnswered, extension=extension)
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


def _assert_hearing(
    since: float, expected: Mapping[RtpPhone, tuple[tuple[int, ...], tuple[int, ...]]]
) -> None:
    """phone -> (tones it must hear in most frames, tones it must never hear)."""
    for phone, (heard, unheard) in expected.items():
        shares = {hz: round(phone.share(hz, since), 2) for hz in (*heard, *unheard)}
        ok = all(shares[hz] > HEARD_SHARE for hz in heard) and not any(shares[hz] for hz in unheard)
        assert ok, f"phone {phone.port}: share of frames per tone {shares}, hears {heard}"


async def _hang_up(pbx: PbxService, events: EventLog, talk: Conversation) -> None:
    pbx.send(cc.Hangup(talk.call_id))
    await events.next_of(cc.CallHungUp, call_id=talk.call_id)
    assert (await talk.caller_sipp.wait()).returncode == 0
    assert (await talk.agent_sipp.wait()).returncode == 0


async def _supervisor(
    pbx: PbxService, tmp_path: Path, scenario: str = "agent_answer.xml", **variables: Any
) -> tuple[RtpPhone, Sipp]:
    phone = RtpPhone(SUPERVISOR_HZ).start()
    sipp = await agent_phone(
        pbx.config.sip_port, "1003", scenario, tmp_path, media_port=phone.port, **variables
    )
    return phone, sipp


@asynccontextmanager
async def _answering_supervisor(
    pbx: PbxService, tmp_path: Path
) -> AsyncIterator[tuple[RtpPhone, Sipp]]:
    """The supervisor's phone 1003, answering at once; hung up and closed afterwards."""
    phone, sipp = await _supervisor(pbx, tmp_path, ring_ms=100)
    try:
        yield phone, sipp
    finally:
        sipp.kill()
        await phone.close()


async def test_cti_hold_gives_music_and_mutes_both_sides_until_resume(
    pbx: PbxService, events: EventLog, conversation: Conversation, tmp_path: Path
) -> None:
    talk = conversation
    async with _answering_supervisor(pbx, tmp_path) as (supervisor, supervisor_sipp):
        pbx.send(cc.MonitorCall(talk.call_id, "m1", "1003", cc.MonitorMode.LISTEN))
        await events.next_of(cc.MonitorStarted, monitor_id="m1")
        await supervisor.wait_to_hear(AGENT_HZ)
        pbx.send(cc.HoldCall(talk.call_id))
        await events.next_of(cc.CallHeld, call_id=talk.call_id, leg_id=talk.leg_id)
        pbx.send(cc.HoldCall(talk.call_id))
        failed = await events.next_of(cc.CommandFailed, command="HoldCall")
        assert "hold already" in failed.reason
        since = await _listen()
        assert talk.agent.share(CALLER_HZ, since) == 0, "the agent still hears the caller"
        assert len([t for t, _ in talk.caller.packets if t >= since]) > 20, "no music to the caller"
        assert talk.caller.share(AGENT_HZ, since) == 0, "music, not the agent"
        # rtpengine 10.5 blocks a held party's copies to the mixer too (docs/pbx.md).
        assert supervisor.share(CALLER_HZ, since) == supervisor.share(AGENT_HZ, since) == 0

        pbx.send(cc.ResumeCall(talk.call_id))
        await events.next_of(cc.CallResumed, call_id=talk.call_id, leg_id=talk.leg_id)
        await talk.agent.wait_to_hear(CALLER_HZ)
        await talk.caller.wait_to_hear(AGENT_HZ)
        await supervisor.wait_to_hear(CALLER_HZ)
        pbx.send(cc.ResumeCall(talk.call_id))
        failed = await events.next_of(cc.CommandFailed, command="ResumeCall")
        assert "not on hold" in failed.reason
        await _hang_up(pbx, events, talk)
        assert (await events.next_of(cc.MonitorEnded, monitor_id="m1")).reason == "call_ended"
        assert (await supervisor_sipp.wait()).returncode == 0


async def test_reminder_beeps_reach_the_agent_of_a_held_call_only(
    pbx: PbxService, events: EventLog, conversation: Conversation
) -> None:
    talk = conversation
    pbx.send(cc.HoldCall(talk.call_id))
    await events.next_of(cc.CallHeld, call_id=talk.call_id)
    since = asyncio.get_running_loop().time()
    pbx.send(cc.PlayToAgent(talk.call_id, "reminder_tone"))
    await talk.agent.wait_to_hear(REMINDER_HZ)
    assert talk.caller.share(REMINDER_HZ, since) == 0, "the caller hears the agent's reminder"
    assert talk.agent.share(CALLER_HZ, since) == 0, "the call is still held"
    await _hang_up(pbx, events, talk)


async def test_listen_barge_listen_barge_stop_goes_back_to_the_plain_bridge(
    pbx: PbxService, events: EventLog, conversation: Conversation, tmp_path: Path
) -> None:
    talk = conversation
    async with _answering_supervisor(pbx, tmp_path) as (supervisor, supervisor_sipp):
        caller_and_agent_only = {
            talk.caller: ((AGENT_HZ,), (SUPERVISOR_HZ,)),
            talk.agent: ((CALLER_HZ,), (SUPERVISOR_HZ,)),
        }
        listening = caller_and_agent_only | {supervisor: ((CALLER_HZ, AGENT_HZ), ())}
        pbx.send(cc.MonitorCall(talk.call_id, "m1", "1003", cc.MonitorMode.LISTEN))
        started = await events.next_of(cc.MonitorStarted, monitor_id="m1")
        assert (started.extension, started.mode) == ("1003", cc.MonitorMode.LISTEN)
        await supervisor.wait_to_hear(CALLER_HZ)
        since = await _listen()
        _assert_hearing(since, listening)
        rtpengine_to_agent = talk.agent.sources(since)
        assert len(rtpengine_to_agent) == 1, "listening leaves the call's media path alone"

        pbx.send(cc.MonitorCall(talk.call_id, "m1", "1003", cc.MonitorMode.BARGE))
        await events.next_of(cc.MonitorStarted, monitor_id="m1", mode=cc.MonitorMode.BARGE)
        await talk.caller.wait_to_hear(SUPERVISOR_HZ)
        since = await _listen()
        _assert_hearing(
            since,
            {
                talk.caller: ((AGENT_HZ, SUPERVISOR_HZ), ()),
                talk.agent: ((CALLER_HZ, SUPERVISOR_HZ), ()),
                supervisor: ((CALLER_HZ, AGENT_HZ), ()),
            },
        )
        assert talk.agent.sources(since).isdisjoint(rtpengine_to_agent), "the mixer feeds it"

        pbx.send(cc.MonitorCall(talk.call_id, "m1", "1003", cc.MonitorMode.LISTEN))
        await events.next_of(cc.MonitorStarted, monitor_id="m1", mode=cc.MonitorMode.LISTEN)
        since = await _listen()
        _assert_hearing(since, listening)
        assert talk.agent.sources(since) == rtpengine_to_agent, "back on rtpengine's path"

        # Barge and stop at once: the second re-INVITE to the agent waits for the first.
        pbx.send(cc.MonitorCall(talk.call_id, "m1", "1003", cc.MonitorMode.BARGE))
        pbx.send(cc.StopMonitor(talk.call_id, "m1"))
        await events.next_of(cc.MonitorStarted, monitor_id="m1", mode=cc.MonitorMode.BARGE)
        ended = await events.next_of(cc.MonitorEnded, monitor_id="m1")
        assert ended.reason == "stopped"
        assert (await supervisor_sipp.wait()).returncode == 0, "the supervisor gets a BYE"
        since = await _listen()
        _assert_hearing(since, caller_and_agent_only)
        assert talk.agent.sources(since) == rtpengine_to_agent, "back on rtpengine's path"
        pbx.send(cc.StopMonitor(talk.call_id, "m1"))
        failed = await events.next_of(cc.CommandFailed, command="StopMonitor")
        assert "no monitor" in failed.reason
        await _hang_up(pbx, events, talk)


async def test_whisper_coaches_the_agent_alone_and_switches_modes_in_the_call(
    pbx: PbxService, events: EventLog, conversation: Conversation, tmp_path: Path
) -> None:
    """Issue 23.3: the supervisor talks to the agent only, hears both; the caller never hears
    the supervisor. Listen -> whisper -> barge -> whisper in one monitor, no new dial."""
    talk = conversation
    async with _answering_supervisor(pbx, tmp_path) as (supervisor, _sipp):
        whispering = {
            talk.caller: ((AGENT_HZ,), (SUPERVISOR_HZ,)),
            talk.agent: ((CALLER_HZ, SUPERVISOR_HZ), ()),
            supervisor: ((CALLER_HZ, AGENT_HZ), ()),
        }
        pbx.send(cc.MonitorCall(talk.call_id, "m1", "1003", cc.MonitorMode.LISTEN))
        await events.next_of(cc.MonitorStarted, monitor_id="m1", mode=cc.MonitorMode.LISTEN)
        await supervisor.wait_to_hear(CALLER_HZ)
        pbx.send(cc.MonitorCall(talk.call_id, "m1", "1003", cc.MonitorMode.WHISPER))
        await events.next_of(cc.MonitorStarted, monitor_id="m1", mode=cc.MonitorMode.WHISPER)
        await talk.agent.wait_to_hear(SUPERVISOR_HZ)
        _assert_hearing(await _listen(), whispering)

        pbx.send(cc.MonitorCall(talk.call_id, "m1", "1003", cc.MonitorMode.BARGE))
        await events.next_of(cc.MonitorStarted, monitor_id="m1", mode=cc.MonitorMode.BARGE)
        await talk.caller.wait_to_hear(SUPERVISOR_HZ)
        pbx.send(cc.MonitorCall(talk.call_id, "m1", "1003", cc.MonitorMode.WHISPER))
        await events.next_of(cc.MonitorStarted, monitor_id="m1", mode=cc.MonitorMode.WHISPER)
        _assert_hearing(await _listen(), whispering)
        await _hang_up(pbx, events, talk)


async def test_supervisor_not_joining_or_hanging_up_leaves_the_call_as_it_was(
    pbx: PbxService, events: EventLog, conversation: Conversation, tmp_path: Path
) -> None:
    talk = conversation
    for extension, reason in (("1004", "not_registered"), ("1002", "busy")):
        pbx.send(cc.MonitorCall(talk.call_id, f"m-{extension}", extension))
        ended = await events.next_of(cc.MonitorEnded, monitor_id=f"m-{extension}")
        assert ended.reason == reason, extension
    pbx.send(cc.MonitorCall(talk.call_id, "m-x", "9999"))
    failed = await events.next_of(cc.CommandFailed, command="MonitorCall")
    assert "unknown extension" in failed.reason

    supervisor, refusing = await _supervisor(pbx, tmp_path, "agent_busy.xml")
    try:
        pbx.send(cc.MonitorCall(talk.call_id, "m1", "1003"))
        assert (await events.next_of(cc.MonitorEnded, monitor_id="m1")).reason == "busy"
        assert (await refusing.wait()).returncode == 0, "the phone's 486 is acknowledged"
    finally:
        refusing.kill()
        await supervisor.close()

    supervisor, ringing = await _supervisor(pbx, tmp_path, "agent_no_answer.xml")
    try:
        pbx.send(cc.MonitorCall(talk.call_id, "m2", "1003", ring_timeout=0.5))
        assert (await events.next_of(cc.MonitorEnded, monitor_id="m2")).reason == "no_answer"
        assert (await ringing.wait()).returncode == 0, "the phone gets the CANCEL"
    finally:
        ringing.kill()
        await supervisor.close()

    supervisor, hanging_up = await _supervisor(
        pbx, tmp_path, "agent_answer_hangup.xml", ring_ms=100, talk_ms=1000
    )
    try:
        pbx.send(cc.MonitorCall(talk.call_id, "m3", "1003", cc.MonitorMode.BARGE))
        await events.next_of(cc.MonitorStarted, monitor_id="m3")
        pbx.send(cc.MonitorCall(talk.call_id, "m4", "1001"))
        failed = await events.next_of(cc.CommandFailed, command="MonitorCall")
        assert "monitored already" in failed.reason
        await talk.caller.wait_to_hear(SUPERVISOR_HZ)
        assert (await events.next_of(cc.MonitorEnded, monitor_id="m3")).reason == "hung_up"
        assert (await hanging_up.wait()).returncode == 0
    finally:
        hanging_up.kill()
        await supervisor.close()
    _assert_hearing(
        await _listen(),
        {
            talk.caller: ((AGENT_HZ,), (SUPERVISOR_HZ,)),
            talk.agent: ((CALLER_HZ,), (SUPERVISOR_HZ,)),
        },
    )
    await _hang_up(pbx, events, talk)


@pytest.mark.parametrize("conversation", ["1011"], indirect=True)  # 1011: always recorded
async def test_call_end_ends_the_monitor_and_the_recording_is_kept(
    pbx: PbxService, events: EventLog, conversation: Conversation, tmp_path: Path
) -> None:
    talk = conversation
    async with _answering_supervisor(pbx, tmp_path) as (supervisor, supervisor_sipp):
        pbx.send(cc.MonitorCall(talk.call_id, "m1", "1003", cc.MonitorMode.LISTEN))
        await events.next_of(cc.MonitorStarted, monitor_id="m1")
        await supervisor.wait_to_hear(AGENT_HZ)
        await _hang_up(pbx, events, talk)
        ended = await events.next_of(cc.MonitorEnded, monitor_id="m1")
        assert ended.reason == "call_ended"
        assert (await supervisor_sipp.wait()).returncode == 0, "the supervisor gets a BYE"
    assert pbx.config.recordings_dir is not None
    metadata = json.loads(
        (pbx.config.recordings_dir / "calls" / f"{talk.call_id}.json").read_text()
    )
    assert (metadata["keep"], metadata["extension"]) == (True, "1011")
    assert pcaps_of_call(pbx.config.recordings_dir, talk.call_id)


async def test_hold_and_monitor_need_a_bridged_agent(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, None))  # the caller waits with music
    caller_sipp = await trunk_caller(
        pbx.config.sip_port, "trunk_call_remote_bye.xml", tmp_path, media_port=9
    )
    try:
        call_id = (await events.next_of(cc.CallAnswered)).call_id
        for command in (
            cc.HoldCall(call_id),
            cc.ResumeCall(call_id),
            cc.PlayToAgent(call_id, "reminder_tone"),
            cc.MonitorCall(call_id, "m1", "1003"),
            cc.StopMonitor(call_id, "m1"),
            cc.HandOver(call_id, "m1"),
            cc.ParkCall(call_id, "1002"),
        ):
            pbx.send(command)
            failed = await events.next_of(cc.CommandFailed, command=type(command).__name__)
            assert failed.call_id == call_id and failed.reason
        pbx.send(cc.MonitorCall("no-such-call", "m1", "1003"))
        failed = await events.next_of(cc.CommandFailed, call_id="no-such-call")
        assert failed.reason == "no such call"
        pbx.send(cc.Hangup(call_id))
        await events.next_of(cc.CallHungUp, call_id=call_id)
        assert (await caller_sipp.wait()).returncode == 0
    finally:
        caller_sipp.kill()


async def test_barging_passes_agent_dtmf_and_a_failing_mixer_leaves_the_call_going(
    pbx: PbxService, events: EventLog, conversation: Conversation, tmp_path: Path
) -> None:
    talk = conversation
    async with _answering_supervisor(pbx, tmp_path) as (_, supervisor_sipp):
        pbx.send(cc.MonitorCall(talk.call_id, "m1", "1003", cc.MonitorMode.BARGE))
        await events.next_of(cc.MonitorStarted, monitor_id="m1")
        await talk.caller.wait_to_hear(SUPERVISOR_HZ)
        assert talk.agent.peer is not None
        for packet in telephone_event_packets(5, 100, 16000, 0xA6E27):
            talk.agent.sock.sendto(packet, talk.agent.peer)  # to the mixer, on to rtpengine
            await asyncio.sleep(0.02)
        digit = await events.next_of(cc.DtmfReceived, call_id=talk.call_id)
        assert (digit.digit, digit.leg_id) == ("5", talk.leg_id)

        def broken_tick() -> None:
            raise RuntimeError("mixer fault injected by the test")

        assert pbx._calls is not None
        monitor = pbx._calls.calls[talk.call_id].monitor
        assert monitor is not None
        monitor.media._conference._tick = broken_tick  # type: ignore[method-assign]
        ended = await events.next_of(cc.MonitorEnded, monitor_id="m1")
        assert ended.reason == "failed"
        assert (await supervisor_sipp.wait()).returncode == 0, "the supervisor gets a BYE"
        _assert_hearing(
            await _listen(),
            {
                talk.caller: ((AGENT_HZ,), (SUPERVISOR_HZ,)),
                talk.agent: ((CALLER_HZ,), (SUPERVISOR_HZ,)),
            },
        )
        await _hang_up(pbx, events, talk)
