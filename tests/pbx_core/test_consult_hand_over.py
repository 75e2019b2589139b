"""The receptionist's attended transfer in the PBX (docs/pbx.md, "Consult", "Hand-over") over
real SIP and RTP: the agent (the receptionist, 1002) consults a colleague (1003) while the
caller hears neither of them; `HandOver` gives the colleague the call (its refusals are in
test_hold_and_monitor.py's `test_hold_and_monitor_need_a_bridged_agent`). Tones as in
test_hold_and_monitor.py: caller 500 Hz, agent 1000 Hz, colleague 1500 Hz."""

from __future__ import annotations

from pathlib import Path

from pbx_core import call_control as cc
from pbx_core.service import PbxService
from tests.pbx_core.support import EventLog
from tests.pbx_core.test_hold_and_monitor import (
    AGENT_HZ,
    CALLER_HZ,
    SUPERVISOR_HZ,
    Conversation,
    _assert_hearing,
    _listen,
    _supervisor,
    conversation,
)

__all__ = ["conversation"]


async def test_consult_then_hand_over_moves_the_call_to_the_colleague(
    pbx: PbxService, events: EventLog, conversation: Conversation, tmp_path: Path
) -> None:
    talk = conversation
    colleague, colleague_sipp = await _supervisor(
        pbx, tmp_path, "agent_answer_reinvites.xml", ring_ms=100
    )
    try:
        pbx.send(cc.MonitorCall(talk.call_id, "c1", "1003", cc.MonitorMode.CONSULT))
        await events.next_of(cc.MonitorStarted, monitor_id="c1", mode=cc.MonitorMode.CONSULT)
        await talk.agent.wait_to_hear(SUPERVISOR_HZ)
        await colleague.wait_to_hear(AGENT_HZ)
        _assert_hearing(
            await _listen(),
            {
                talk.caller: ((), (AGENT_HZ, SUPERVISOR_HZ)),  # music on hold only
                talk.agent: ((SUPERVISOR_HZ,), (CALLER_HZ,)),
                colleague: ((AGENT_HZ,), (CALLER_HZ,)),
            },
        )
        pbx.send(cc.HandOver(talk.call_id, "c1"))
        ended = await events.next_of(cc.MonitorEnded, monitor_id="c1")
        assert ended.reason == "handed_over"
        gone = await events.next_of(cc.LegHungUp, call_id=talk.call_id)
        assert gone.leg_id == talk.leg_id
        answered = await events.next_of(cc.CallAnswered, call_id=talk.call_id, extension="1003")
        assert answered.leg_id != talk.leg_id
        assert (await talk.agent_sipp.wait()).returncode == 0  # the agent's phone got its BYE
        await talk.caller.wait_to_hear(SUPERVISOR_HZ)
        await colleague.wait_to_hear(CALLER_HZ)
        since = await _listen()
        _assert_hearing(since, {talk.caller: ((SUPERVISOR_HZ,), ()), colleague: ((CALLER_HZ,), ())})
        pbx.send(cc.Hangup(talk.call_id))
        await events.next_of(cc.CallHungUp, call_id=talk.call_id)
        assert (await talk.caller_sipp.wait()).returncode == 0
        assert (await colleague_sipp.wait()).returncode == 0
    finally:
        colleague_sipp.kill()
        await colleague.close()
