"""Hold/resume, DTMF, on-demand recording (*44), blind transfer (REFER and commanded)."""

from __future__ import annotations

import asyncio
import json
import socket
from pathlib import Path
from typing import Any

from pbx_core import call_control as cc
from pbx_core.recording.files import pcaps_of_call
from pbx_core.service import PbxService
from tests.pbx_core.handlers import AnswerAndBridge
from tests.pbx_core.support import EventLog, Sipp, agent_phone, free_port, run_sipp


def _trunk(pbx: PbxService, tmp_path: Path, number: str, hold_ms: int) -> dict[str, Any]:
    return {
        "work_dir": tmp_path,
        "remote": ("127.0.0.1", pbx.config.sip_port),
        "variables": {
            "from": "+31201234567",
            "to": number,
            "media_port": free_port(),
            "hold_ms": hold_ms,
        },
    }


async def test_caller_hold_resume_and_dtmf_reach_the_application(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, None))
    caller = await run_sipp("trunk_call_features.xml", **_trunk(pbx, tmp_path, "7001", 0))
    assert caller.returncode == 0, caller.errors
    offered = await events.next_of(cc.CallOffered)
    await events.next_of(cc.CallHeld, call_id=offered.call_id, leg_id="")
    await events.next_of(cc.CallResumed, call_id=offered.call_id, leg_id="")
    digits = [
        (await events.next_of(cc.DtmfReceived, call_id=offered.call_id)).digit for _ in range(2)
    ]
    assert digits == ["5", "#"]
    await events.next_of(cc.CallHungUp, call_id=offered.call_id)


async def test_agent_star44_requests_recording_and_refer_transfers_the_caller(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, "1012"))  # 1012 records on demand
    first = await agent_phone(
        pbx.config.sip_port,
        "1012",
        "agent_record_and_transfer.xml",
        tmp_path,
        ring_ms=200,
        refer_to="1002",
    )
    second = await agent_phone(
        pbx.config.sip_port, "1002", "agent_answer.xml", tmp_path, ring_ms=200
    )
    try:
        caller = await run_sipp("trunk_call.xml", **_trunk(pbx, tmp_path, "7001", 4000))
        assert caller.returncode == 0, caller.errors
        offered = await events.next_of(cc.CallOffered)
        leg = await events.next_of(cc.CallAnswered, call_id=offered.call_id, extension="1012")
        digits = [
            (await events.next_of(cc.DtmfReceived, leg_id=leg.leg_id)).digit for _ in range(3)
        ]
        assert digits == ["*", "4", "4"]
        await events.next_of(cc.RecordingRequested, call_id=offered.call_id)
        transferred = await events.next_of(cc.CallTransferred, call_id=offered.call_id)
        assert transferred.target == "1002"
        await events.next_of(cc.CallAnswered, call_id=offered.call_id, extension="1002")
        hung_up = await events.next_of(cc.CallHungUp, call_id=offered.call_id)
        assert hung_up.side is cc.HangupSide.CALLER
        assert (await first.wait()).returncode == 0
        assert (await second.wait()).returncode == 0, "the transfer target must get the BYE"
    finally:
        first.kill()
        second.kill()
    assert pbx.config.recordings_dir is not None
    metadata = json.loads(
        (pbx.config.recordings_dir / "calls" / f"{offered.call_id}.json").read_text()
    )
    assert (metadata["keep"], metadata["extension"]) == (True, "1012")


async def test_commanded_transfer_to_another_call_center_is_offered_again(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    # Night service: 7003 sends its callers to 7002, whose handler bridges them to 1003.
    pbx.register_handler(AnswerAndBridge(pbx, "1003", transfer_to={"7003": "7002"}))
    agent = await agent_phone(
        pbx.config.sip_port, "1003", "agent_answer.xml", tmp_path, ring_ms=200
    )
    try:
        caller = await run_sipp("trunk_call.xml", **_trunk(pbx, tmp_path, "7003", 1500))
        assert caller.returncode == 0, caller.errors
        first = await events.next_of(cc.CallOffered, called="7003")
        again = await events.next_of(cc.CallOffered, called="7002")
        assert (again.call_id, again.transferred) == (first.call_id, True)
        await events.next_of(cc.CallAnswered, call_id=first.call_id, extension="1003")
        await events.next_of(cc.CallHungUp, call_id=first.call_id)
        assert (await agent.wait()).returncode == 0
    finally:
        agent.kill()


async def test_always_recording_user_is_recorded_and_kept(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, "1011"))  # 1011 records every call
    agent = await agent_phone(
        pbx.config.sip_port, "1011", "agent_answer.xml", tmp_path, ring_ms=200
    )
    try:
        caller = await run_sipp("trunk_call.xml", **_trunk(pbx, tmp_path, "7001", 1000))
        assert caller.returncode == 0, caller.errors
        offered = await events.next_of(cc.CallOffered)
        await events.next_of(cc.CallHungUp, call_id=offered.call_id)
        assert (await agent.wait()).returncode == 0
    finally:
        agent.kill()
    assert pbx.config.recordings_dir is not None
    metadata = json.loads(
        (pbx.config.recordings_dir / "calls" / f"{offered.call_id}.json").read_text()
    )
    assert (metadata["keep"], metadata["extension"]) == (True, "1011")
    assert pcaps_of_call(pbx.config.recordings_dir, offered.call_id)


async def test_never_recording_user_leaves_no_recording(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, "1004"))
    agent = await agent_phone(
        pbx.config.sip_port, "1004", "agent_answer.xml", tmp_path, ring_ms=200
    )
    try:
        caller = await run_sipp("trunk_call.xml", **_trunk(pbx, tmp_path, "7001", 500))
        assert caller.returncode == 0, caller.errors
        offered = await events.next_of(cc.CallOffered)
        await events.next_of(cc.CallHungUp, call_id=offered.call_id)
    finally:
        agent.kill()
    assert pbx.config.recordings_dir is not None
    assert not (pbx.config.recordings_dir / "calls" / f"{offered.call_id}.json").exists()
    assert not pcaps_of_call(pbx.config.recordings_dir, offered.call_id)


async def test_agent_hold_plays_music_to_the_caller_until_resume(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, "1002"))
    agent = await agent_phone(
        pbx.config.sip_port, "1002", "agent_hold_resume.xml", tmp_path, ring_ms=200
    )
    media = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    media.bind(("127.0.0.1", 0))
    media.setblocking(False)
    arrivals: list[float] = []

    async def listen() -> None:
        loop = asyncio.get_running_loop()
        while True:
            await loop.sock_recv(media, 2048)
            arrivals.append(loop.time())

    listener = asyncio.create_task(listen())
    loop = asyncio.get_running_loop()
    try:
        trunk = _trunk(pbx, tmp_path, "7001", 0)
        trunk["variables"]["media_port"] = media.getsockname()[1]
        caller = await Sipp("trunk_call_remote_bye.xml", **trunk).start()
        leg = await events.next_of(cc.CallAnswered, extension="1002")
        held = await events.next_of(cc.CallHeld, leg_id=leg.leg_id)
        held_at = loop.time()
        await events.next_of(cc.CallResumed, call_id=held.call_id, leg_id=leg.leg_id)
        resumed_at = loop.time()
        await events.next_of(cc.CallHungUp, call_id=held.call_id)
        assert (await caller.wait()).returncode == 0
        assert (await agent.wait()).returncode == 0
    finally:
        listener.cancel()
        media.close()
        agent.kill()
    # The agent sends no audio: what the caller receives while held is the PBX's music.
    during_hold = [t for t in arrivals if held_at + 0.3 < t < resumed_at]
    after_resume = [t for t in arrivals if t > resumed_at + 0.5]
    assert len(during_hold) > 20, f"{len(during_hold)} packets while held"
    assert not after_resume, f"music went on after resume ({len(after_resume)} packets)"
