"""Trunk calls to call-center numbers, driven by an application handler, over real SIP."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Callable
from pathlib import Path
from typing import Any

from pbx_core import call_control as cc
from pbx_core.service import PbxService
from tests.pbx_core.handlers import AnswerAndBridge, RejectAll
from tests.pbx_core.support import EventLog, agent_phone, free_port, run_sipp

CALLER = "+31201234567"


def _trunk(pbx: PbxService, tmp_path: Path, number: str = "7001", **extra: Any) -> dict[str, Any]:
    return {
        "work_dir": tmp_path,
        "remote": ("127.0.0.1", pbx.config.sip_port),
        "variables": {"from": CALLER, "to": number, "media_port": free_port(), "hold_ms": 1500}
        | extra,
    }


async def test_trunk_call_is_offered_answered_and_bridged_to_agent(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, "1001"))
    agent = await agent_phone(pbx.config.sip_port, "1001", "agent_answer.xml", tmp_path)
    try:
        caller = await run_sipp("trunk_call.xml", **_trunk(pbx, tmp_path, hold_ms=2000))
        assert caller.returncode == 0, caller.errors
        offered = await events.next_of(cc.CallOffered)
        assert (offered.caller, offered.called, offered.source) == (
            CALLER,
            "7001",
            cc.CallSource.TRUNK,
        )
        await events.next_of(cc.CallAnswered, call_id=offered.call_id, leg_id="")
        await events.next_of(cc.CallAnswered, call_id=offered.call_id, extension="1001")
        hung_up = await events.next_of(cc.CallHungUp, call_id=offered.call_id)
        assert hung_up.side is cc.HangupSide.CALLER
        assert (await agent.wait()).returncode == 0, "the agent must get the BYE"
    finally:
        agent.kill()
    assert await pbx.active_calls() == []


async def test_agent_hangs_up_and_caller_gets_bye(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, "1002"))
    agent = await agent_phone(pbx.config.sip_port, "1002", "agent_answer_hangup.xml", tmp_path)
    try:
        caller = await run_sipp("trunk_call_remote_bye.xml", **_trunk(pbx, tmp_path))
        assert caller.returncode == 0, caller.errors
        hung_up = await events.next_of(cc.CallHungUp)
        assert hung_up.side is cc.HangupSide.CALLEE
        assert (await agent.wait()).returncode == 0
    finally:
        agent.kill()


async def test_waiting_caller_hears_rtp_from_rtpengine(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, None))
    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind(("127.0.0.1", 0))
    media.setblocking(False)
    media_port = media.getsockname()[1]
    packets: list[bytes] = []

    async def listen() -> None:
        loop = asyncio.get_running_loop()
        while True:
            packets.append(await loop.sock_recv(media, 2048))

    listener = asyncio.create_task(listen())
    try:
        caller = await run_sipp(
            "trunk_call.xml", **_trunk(pbx, tmp_path, media_port=media_port, hold_ms=3000)
        )
        assert caller.returncode == 0, caller.errors
    finally:
        listener.cancel()
        media.close()
    finished = await events.next_of(cc.MediaFinished)
    assert finished.prompt == "recording_on_nl"
    # RTP version 2, PCMU (payload type 0): the prompt and then the music, 50 packets/s.
    rtp = [p for p in packets if len(p) > 12 and p[0] >> 6 == 2 and p[1] & 0x7F == 0]
    assert len(rtp) > 50, f"only {len(rtp)} RTP packets of {len(packets)} datagrams"


async def test_caller_hangs_up_while_waiting(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, None))
    caller = await run_sipp("trunk_call.xml", **_trunk(pbx, tmp_path, hold_ms=500))
    assert caller.returncode == 0, caller.errors
    hung_up = await events.next_of(cc.CallHungUp)
    assert hung_up.side is cc.HangupSide.CALLER
    assert await pbx.active_calls() == []


async def test_caller_hangs_up_while_agent_rings_cancels_the_agent(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, "1003"))
    agent = await agent_phone(pbx.config.sip_port, "1003", "agent_no_answer.xml", tmp_path)
    try:
        caller = await run_sipp("trunk_call.xml", **_trunk(pbx, tmp_path, hold_ms=2000))
        assert caller.returncode == 0, caller.errors
        await events.next_of(cc.CallRinging, extension="1003")
        failed = await events.next_of(cc.OfferFailed, extension="1003")
        assert failed.failure is cc.OfferFailure.CANCELLED
        hung_up = await events.next_of(cc.CallHungUp)
        assert hung_up.side is cc.HangupSide.CALLER
        assert (await agent.wait()).returncode == 0, "the agent must get a CANCEL"
    finally:
        agent.kill()


async def test_agent_not_answering_times_out_and_app_hangs_up(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, "1004", ring_timeout=1.0, hang_up_on_failure=True))
    agent = await agent_phone(pbx.config.sip_port, "1004", "agent_no_answer.xml", tmp_path)
    try:
        caller = await run_sipp("trunk_call_remote_bye.xml", **_trunk(pbx, tmp_path))
        assert caller.returncode == 0, caller.errors
        failed = await events.next_of(cc.OfferFailed, extension="1004")
        assert failed.failure is cc.OfferFailure.NO_ANSWER
        hung_up = await events.next_of(cc.CallHungUp)
        assert hung_up.side is cc.HangupSide.PBX
        assert (await agent.wait()).returncode == 0, "the agent must get a CANCEL"
    finally:
        agent.kill()


async def test_busy_agent_is_reported(pbx: PbxService, events: EventLog, tmp_path: Path) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, "1005", hang_up_on_failure=True))
    agent = await agent_phone(pbx.config.sip_port, "1005", "agent_busy.xml", tmp_path)
    try:
        caller = await run_sipp("trunk_call_remote_bye.xml", **_trunk(pbx, tmp_path))
        assert caller.returncode == 0, caller.errors
        failed = await events.next_of(cc.OfferFailed, extension="1005")
        assert (failed.failure, failed.code) == (cc.OfferFailure.BUSY, 486)
        assert (await agent.wait()).returncode == 0
    finally:
        agent.kill()


async def test_full_queue_rejects_with_busy(pbx: PbxService, tmp_path: Path) -> None:
    pbx.register_handler(RejectAll(pbx))
    caller = await run_sipp("trunk_call_rejected.xml", **_trunk(pbx, tmp_path))
    assert caller.returncode == 0, caller.errors
    assert await pbx.active_calls() == []


async def test_call_center_number_without_handler_is_refused(
    pbx: PbxService, tmp_path: Path
) -> None:
    caller = await run_sipp("trunk_call_unavailable.xml", **_trunk(pbx, tmp_path))
    assert caller.returncode == 0, caller.errors
    assert await pbx.active_calls() == []


class StopRingingAfterRing(AnswerAndBridge):
    """Rings the agent, thinks better of it on the first 180 (StopRinging), then hangs up."""

    async def __call__(self, event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallRinging):
            self.pbx.send(cc.StopRinging(event.call_id, event.leg_id))
            return
        await super().__call__(event)


async def test_stop_ringing_cancels_the_agent(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(StopRingingAfterRing(pbx, "1006", hang_up_on_failure=True))
    agent = await agent_phone(pbx.config.sip_port, "1006", "agent_no_answer.xml", tmp_path)
    try:
        caller = await run_sipp("trunk_call_remote_bye.xml", **_trunk(pbx, tmp_path))
        assert caller.returncode == 0, caller.errors
        failed = await events.next_of(cc.OfferFailed, extension="1006")
        assert failed.failure is cc.OfferFailure.CANCELLED
        hung_up = await events.next_of(cc.CallHungUp, call_id=failed.call_id)
        assert hung_up.side is cc.HangupSide.PBX
        assert (await agent.wait()).returncode == 0, "the agent must get a CANCEL"
    finally:
        agent.kill()


class OfferOnly:
    """Leaves the caller unanswered and rings an agent (a queue that does not answer first)."""

    def __init__(self, pbx: PbxService, extension: str) -> None:
        self.pbx = pbx
        self.extension = extension

    def __call__(self, event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallOffered):
            leg_id = f"{event.call_id}/agent"
            self.pbx.send(cc.OfferCall(event.call_id, leg_id, self.extension, 10))


async def test_caller_cancels_before_being_answered(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(OfferOnly(pbx, "1007"))
    agent = await agent_phone(pbx.config.sip_port, "1007", "agent_no_answer.xml", tmp_path)
    try:
        caller = await run_sipp("trunk_call_cancel.xml", **_trunk(pbx, tmp_path, hold_ms=1000))
        assert caller.returncode == 0, caller.errors
        failed = await events.next_of(cc.OfferFailed, extension="1007")
        assert failed.failure is cc.OfferFailure.CANCELLED
        hung_up = await events.next_of(cc.CallHungUp, call_id=failed.call_id)
        assert hung_up.side is cc.HangupSide.CALLER
        assert (await agent.wait()).returncode == 0, "the agent must get a CANCEL"
    finally:
        agent.kill()
    assert await pbx.active_calls() == []


class BridgeThenDrop(AnswerAndBridge):
    """Bridges the agent, takes the agent off again (DisconnectLeg), then hangs up."""

    async def __call__(self, event: cc.CallEvent) -> None:
        await super().__call__(event)
        if isinstance(event, cc.CallAnswered) and event.leg_id:
            await asyncio.sleep(0.5)
            self.pbx.send(cc.DisconnectLeg(event.call_id, event.leg_id))
        elif isinstance(event, cc.LegHungUp):
            await asyncio.sleep(0.5)
            self.pbx.send(cc.Hangup(event.call_id))


async def test_disconnect_leg_drops_the_agent_and_keeps_the_caller(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(BridgeThenDrop(pbx, "1008"))
    agent = await agent_phone(pbx.config.sip_port, "1008", "agent_answer.xml", tmp_path)
    try:
        caller = await run_sipp("trunk_call_remote_bye.xml", **_trunk(pbx, tmp_path))
        assert caller.returncode == 0, caller.errors
        left = await events.next_of(cc.LegHungUp, extension="1008")
        assert left.side is cc.HangupSide.PBX
        hung_up = await events.next_of(cc.CallHungUp, call_id=left.call_id)
        assert hung_up.side is cc.HangupSide.PBX
        assert (await agent.wait()).returncode == 0, "the agent must get the BYE"
    finally:
        agent.kill()


class AnswerThen:
    """Answers every new call, then sends one more command for it (busy after answer: the
    queue turned out full; ringback after answer: keep ringing)."""

    def __init__(self, pbx: PbxService, then: Callable[[str], cc.CallCommand]) -> None:
        self.pbx = pbx
        self.then = then

    def __call__(self, event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallOffered):
            self.pbx.send(cc.Answer(event.call_id))
            self.pbx.send(self.then(event.call_id))


async def test_reject_of_an_answered_call_plays_busy_tone_then_hangs_up(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerThen(pbx, cc.Reject))
    caller = await run_sipp("trunk_call_remote_bye.xml", **_trunk(pbx, tmp_path))
    assert caller.returncode == 0, caller.errors
    offered = await events.next_of(cc.CallOffered)
    hung_up = await events.next_of(cc.CallHungUp, call_id=offered.call_id)
    assert (hung_up.side, hung_up.code) == (cc.HangupSide.PBX, 486)


class AutoAnswerOffer(AnswerAndBridge):
    async def __call__(self, event: cc.CallEvent) -> None:
        if isinstance(event, cc.CallOffered):
            self.pbx.send(cc.Answer(event.call_id))
            leg_id = f"{event.call_id}/agent"
            self.pbx.send(cc.OfferCall(event.call_id, leg_id, "1009", 5, auto_answer=True))
            return
        await super().__call__(event)


async def test_offer_with_auto_answer_sends_the_hint(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AutoAnswerOffer(pbx, None))
    agent = await agent_phone(pbx.config.sip_port, "1009", "agent_answer_auto.xml", tmp_path)
    try:
        caller = await run_sipp("trunk_call.xml", **_trunk(pbx, tmp_path, hold_ms=500))
        assert caller.returncode == 0, caller.errors
        await events.next_of(cc.CallAnswered, extension="1009")
        assert (await agent.wait()).returncode == 0, "the INVITE must carry answer-after=0"
    finally:
        agent.kill()


async def test_send_ringing_to_an_answered_caller_plays_the_ring_tone(
    pbx: PbxService, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerThen(pbx, cc.SendRinging))
    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind(("127.0.0.1", 0))
    media.setblocking(False)
    packets: list[bytes] = []

    async def listen() -> None:
        loop = asyncio.get_running_loop()
        while True:
            packets.append(await loop.sock_recv(media, 2048))

    listener = asyncio.create_task(listen())
    try:
        port = media.getsockname()[1]
        caller = await run_sipp(
            "trunk_call.xml", **_trunk(pbx, tmp_path, media_port=port, hold_ms=1500)
        )
        assert caller.returncode == 0, caller.errors
    finally:
        listener.cancel()
        media.close()
    # The ring tone starts with 1 s of 425 Hz: PCMU samples far from silence (0xFF/0x7F).
    loud = [
        p for p in packets if len(p) == 172 and sum(b not in (0xFF, 0x7F) for b in p[12:]) > 100
    ]
    assert len(loud) > 20, f"{len(loud)} tone packets of {len(packets)}"
