"""The busy lamp field (RFC 4235 dialog package) over real SIP: a SIPp phone's BLF key watches a
colleague while another SIPp phone calls that colleague; the NOTIFYs say early, confirmed,
terminated, and an un-SUBSCRIBE ends the subscription."""

from __future__ import annotations

import asyncio
from pathlib import Path

from pbx_core import call_control as cc
from pbx_core.presence.blf import EVENT
from pbx_core.service import PbxService
from tests.pbx_core.support import EventLog, Sipp, agent_phone, free_port, run_sipp


def watching(pbx: PbxService) -> int:
    subscriptions = pbx._subscriptions  # the SIP thread's own record: a test looks in
    return subscriptions.count(EVENT) if subscriptions is not None else -1


async def test_a_blf_key_sees_a_colleague_ring_answer_and_hang_up(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    key = await Sipp(
        "blf_subscribe.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": "1003", "to": "1002"},
        extra=["-au", "1003", "-ap", "pw1003"],
    ).start()
    callee = await agent_phone(
        pbx.config.sip_port, "1002", "agent_answer.xml", tmp_path, ring_ms=500, talk_ms=500
    )
    try:
        for _ in range(200):
            if watching(pbx) == 1:
                break
            await asyncio.sleep(0.05)
        assert watching(pbx) == 1
        caller = await run_sipp(
            "ext_call.xml",
            work_dir=tmp_path,
            remote=("127.0.0.1", pbx.config.sip_port),
            variables={"from": "1001", "to": "1002", "media_port": free_port(), "hold_ms": 500},
            extra=["-au", "1001", "-ap", "pw1001"],
        )
        assert caller.returncode == 0, caller.errors
        await events.next_of(cc.CallHungUp)
        result = await key.wait()
        assert result.returncode == 0, result.errors
        assert (await callee.wait()).returncode == 0
    finally:
        key.kill()
        callee.kill()
    assert watching(pbx) == 0  # un-SUBSCRIBEd
