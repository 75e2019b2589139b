"""Manager/Assistant in the PBX (SIPp phones, rtpengine): a manager's filtered call rings the
assistant and not the manager; with filtering off the manager rings; the assistant answers and
puts the call through to the manager (REFER), who hears the whisper alone first and then the
caller; the assistant diverts a ringing call elsewhere; an unanswered filtered call gets the
manager's handling, not the assistant's; two opted-in assistants ring at once, the first to
answer takes the call and the other's ringing is cancelled. Each party sends its own tone (as
test_whisper.py)."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from common.manager_assistant import Assistant, FilterMode, Manager
from pbx_core import call_control as cc
from pbx_core.features.diversion import Forwarding
from pbx_core.features.manager_assistant import FilteredCall
from pbx_core.service import PbxService
from tests.pbx_core.rtp_phone import RtpPhone, level
from tests.pbx_core.support import EventLog, Sipp, agent_phone, free_port

CALLER_HZ, MANAGER_HZ, WHISPER_HZ = 500, 1000, 1400
HEARD = 1500
MANAGER, ASSISTANT, CALLER, OTHER = "1001", "1002", "1003", "1004"


def _pair(
    pbx: PbxService,
    filtering: bool = True,
    mode: FilterMode = FilterMode.ALL,
    assistants: tuple[str, ...] = (ASSISTANT,),
) -> list[FilteredCall]:
    heard: list[FilteredCall] = []
    pbx.manager_assistant.on_filtered = heard.append  # the SIP thread; a list append is safe
    paired = tuple(Assistant(a) for a in assistants)
    boss = Manager(cc.DEFAULT_TENANT, MANAGER, filtering, mode, (), paired)
    pbx.manager_assistant.replace_tenant(cc.DEFAULT_TENANT, [boss])
    return heard


async def _call(pbx: PbxService, tmp_path: Path, media_port: int, hold_ms: int) -> Sipp:
    """1003 calls the manager (digest auth), talks hold_ms, hangs up."""
    return await Sipp(
        "ext_call.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": CALLER, "to": MANAGER, "media_port": media_port, "hold_ms": hold_ms},
        extra=["-s", MANAGER, "-au", CALLER, "-ap", f"pw{CALLER}"],
    ).start()


@pytest.fixture
def tenant() -> str:
    return cc.DEFAULT_TENANT  # the test directory's


async def test_a_filtered_call_rings_the_assistant_not_the_manager(
    pbx: PbxService, events: EventLog, tmp_path: Path, tenant: str
) -> None:
    heard = _pair(pbx)
    manager = await agent_phone(pbx.config.sip_port, MANAGER, "agent_answer.xml", tmp_path)
    assistant = await agent_phone(pbx.config.sip_port, ASSISTANT, "agent_answer.xml", tmp_path)
    try:
        caller = await _call(pbx, tmp_path, free_port(), 500)
        answered = await events.next_of(cc.CallAnswered, extension=ASSISTANT)
        await events.next_of(cc.CallHungUp, call_id=answered.call_id)
        assert (await caller.wait()).returncode == 0
        assert (await assistant.wait()).returncode == 0
        rung = {e.extension for e in events.of(cc.CallRinging)}
        assert rung == {ASSISTANT}, "the manager's phone must not ring"
        name = heard[0].caller_name
        filtered = FilteredCall(tenant, answered.call_id, MANAGER, (ASSISTANT,), CALLER, name)
        assert heard == [filtered]
    finally:
        manager.kill()
        assistant.kill()


async def test_filtering_off_rings_the_manager(
    pbx: PbxService, events: EventLog, tmp_path: Path, tenant: str
) -> None:
    heard = _pair(pbx, filtering=False)
    manager = await agent_phone(pbx.config.sip_port, MANAGER, "agent_answer.xml", tmp_path)
    try:
        caller = await _call(pbx, tmp_path, free_port(), 500)
        answered = await events.next_of(cc.CallAnswered, extension=MANAGER)
        await events.next_of(cc.CallHungUp, call_id=answered.call_id)
        assert (await caller.wait()).returncode == 0
        assert (await manager.wait()).returncode == 0
        assert heard == []
    finally:
        manager.kill()


async def test_external_mode_lets_a_colleague_through(
    pbx: PbxService, events: EventLog, tmp_path: Path, tenant: str
) -> None:
    heard = _pair(pbx, mode=FilterMode.EXTERNAL)  # 1003 is a colleague: internal
    manager = await agent_phone(pbx.config.sip_port, MANAGER, "agent_answer.xml", tmp_path)
    try:
        caller = await _call(pbx, tmp_path, free_port(), 500)
        await events.next_of(cc.CallAnswered, extension=MANAGER)
        assert (await caller.wait()).returncode == 0
        assert heard == []
    finally:
        manager.kill()


async def test_the_assistant_puts_the_call_through_with_a_whisper(
    pbx: PbxService, events: EventLog, tmp_path: Path, prompts_dir: Path, tenant: str
) -> None:
    heard = _pair(pbx)
    whisper = str(prompts_dir / "reminder_tone.wav")  # what the application would speak

    def whisper_for(call: FilteredCall) -> None:
        heard.append(call)
        pbx.manager_assistant.set_whisper(call.call_id, whisper)

    pbx.manager_assistant.on_filtered = whisper_for
    caller_rtp, manager_rtp = RtpPhone(CALLER_HZ).start(), RtpPhone(MANAGER_HZ).start()
    assistant = await agent_phone(
        pbx.config.sip_port, ASSISTANT, "ma_assistant_refer.xml", tmp_path, ring_ms=100,
        talk_ms=500, refer_to=MANAGER, diverted=f"sip:{MANAGER}",
    )  # fmt: skip
    manager = await agent_phone(
        pbx.config.sip_port, MANAGER, "agent_answer.xml", tmp_path, ring_ms=100,
        media_port=manager_rtp.port,
    )  # fmt: skip
    try:
        caller = await _call(pbx, tmp_path, caller_rtp.port, 8000)
        first = await events.next_of(cc.CallAnswered, extension=ASSISTANT)
        transferred = await events.next_of(cc.CallTransferred, call_id=first.call_id)
        assert transferred.target == MANAGER
        await events.next_of(cc.CallAnswered, call_id=first.call_id, extension=MANAGER)
        bridged_at = asyncio.get_running_loop().time()
        await manager_rtp.wait_to_hear(WHISPER_HZ)
        await manager_rtp.wait_to_hear(CALLER_HZ)  # then the caller
        whispered = [
            (t, f) for t, f in manager_rtp.received
            if t >= bridged_at and level(f, WHISPER_HZ) > HEARD
        ]  # fmt: skip
        assert not any(level(f, CALLER_HZ) > HEARD for _, f in whispered), "caller in whisper"
        assert caller_rtp.share(WHISPER_HZ, bridged_at) == 0, "the caller heard the whisper"
        await caller_rtp.wait_to_hear(MANAGER_HZ)
        assert (await assistant.wait()).returncode == 0
        pbx.send(cc.Hangup(first.call_id))
        await events.next_of(cc.CallHungUp, call_id=first.call_id)
        assert [c.call_id for c in heard] == [first.call_id]
    finally:
        assistant.kill()
        manager.kill()
        caller.kill()
        await caller_rtp.close()
        await manager_rtp.close()


async def test_the_assistant_diverts_a_ringing_call(
    pbx: PbxService, events: EventLog, tmp_path: Path, tenant: str
) -> None:
    _pair(pbx)
    assistant = await agent_phone(pbx.config.sip_port, ASSISTANT, "agent_no_answer.xml", tmp_path)
    other = await agent_phone(pbx.config.sip_port, OTHER, "agent_answer.xml", tmp_path)
    try:
        caller = await _call(pbx, tmp_path, free_port(), 500)
        ringing = await events.next_of(cc.CallRinging, extension=ASSISTANT)
        pbx.send(cc.Transfer(ringing.call_id, OTHER))  # the assistant's console: divert
        await events.next_of(cc.CallAnswered, call_id=ringing.call_id, extension=OTHER)
        await events.next_of(cc.CallHungUp, call_id=ringing.call_id)
        assert (await caller.wait()).returncode == 0
        assert (await other.wait()).returncode == 0
    finally:
        assistant.kill()
        other.kill()


async def test_an_unanswered_filtered_call_gets_the_managers_forwarding(
    pbx: PbxService, events: EventLog, tmp_path: Path, tenant: str
) -> None:
    _pair(pbx)
    # The manager forwards unanswered calls to 1004; the assistant's own settings do not count.
    pbx.user_services.put(tenant, MANAGER, Forwarding(forward_no_answer=OTHER))
    assistant = await agent_phone(pbx.config.sip_port, ASSISTANT, "agent_no_answer.xml", tmp_path)
    other = await agent_phone(pbx.config.sip_port, OTHER, "agent_answer.xml", tmp_path)
    try:
        caller = await _call(pbx, tmp_path, free_port(), 500)
        failed = await events.next_of(cc.OfferFailed, extension=ASSISTANT)
        assert failed.failure is cc.OfferFailure.NO_ANSWER
        await events.next_of(cc.CallAnswered, call_id=failed.call_id, extension=OTHER)
        assert (await caller.wait()).returncode == 0
        rung = {e.extension for e in events.of(cc.CallRinging)}
        assert MANAGER not in rung
    finally:
        assistant.kill()
        other.kill()


async def test_all_assistants_ring_and_the_first_to_answer_takes_it(
    pbx: PbxService, events: EventLog, tmp_path: Path, tenant: str
) -> None:
    """1002 rings on (the receptionist's scenario: rung, then cancelled), 1004 answers after
    300 ms: 1004 has the call, 1002's ringing is cancelled, the manager never rings."""
    heard = _pair(pbx, assistants=(ASSISTANT, OTHER))
    ringing_on = await agent_phone(
        pbx.config.sip_port, ASSISTANT, "receptionist_phone.xml", tmp_path
    )
    taker = await agent_phone(pbx.config.sip_port, OTHER, "agent_answer.xml", tmp_path,
                              ring_ms=300)  # fmt: skip
    try:
        caller = await _call(pbx, tmp_path, free_port(), 500)
        answered = await events.next_of(cc.CallAnswered, extension=OTHER)
        cancelled = await events.next_of(cc.OfferFailed, extension=ASSISTANT)
        assert cancelled.failure is cc.OfferFailure.CANCELLED
        await events.next_of(cc.CallHungUp, call_id=answered.call_id)
        assert (await caller.wait()).returncode == 0
        assert (await taker.wait()).returncode == 0
        assert (await ringing_on.wait()).returncode == 0  # INVITE, 180, CANCEL
        rung = {e.extension for e in events.of(cc.CallRinging)}
        assert rung == {ASSISTANT, OTHER}, "both assistants ring, the manager does not"
        assert [c.assistants for c in heard] == [(ASSISTANT, OTHER)]
    finally:
        ringing_on.kill()
        taker.kill()


async def test_the_managers_handling_only_once_every_assistant_failed(
    pbx: PbxService, events: EventLog, tmp_path: Path, tenant: str
) -> None:
    """1002 has no phone (fails at once), 1005 rings on unanswered: the call waits for 1005,
    then takes the manager's forward-no-answer (1004)."""
    _pair(pbx, assistants=(ASSISTANT, "1005"))
    pbx.user_services.put(tenant, MANAGER, Forwarding(forward_no_answer=OTHER))
    unanswered = await agent_phone(pbx.config.sip_port, "1005", "agent_no_answer.xml", tmp_path)
    other = await agent_phone(pbx.config.sip_port, OTHER, "agent_answer.xml", tmp_path)
    try:
        caller = await _call(pbx, tmp_path, free_port(), 500)
        absent = await events.next_of(cc.OfferFailed, extension=ASSISTANT)
        assert absent.failure is cc.OfferFailure.NOT_REGISTERED
        failed = await events.next_of(cc.OfferFailed, extension="1005")
        assert failed.failure is cc.OfferFailure.NO_ANSWER
        await events.next_of(cc.CallAnswered, call_id=failed.call_id, extension=OTHER)
        assert (await caller.wait()).returncode == 0
        assert MANAGER not in {e.extension for e in events.of(cc.CallRinging)}
    finally:
        unanswered.kill()
        other.kill()
