"""Calls between extensions through the B2BUA, over real SIP (SIPp caller and callee)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pbx_core import call_control as cc
from pbx_core.service import PbxService
from tests.pbx_core.support import EventLog, agent_phone, free_port, run_sipp


def _caller(
    pbx: PbxService, caller: str, called: str, tmp_path: Path, **extra: object
) -> dict[str, Any]:
    return {
        "work_dir": tmp_path,
        "remote": ("127.0.0.1", pbx.config.sip_port),
        "variables": {"from": caller, "to": called, "media_port": free_port(), "hold_ms": 500}
        | extra,
        "extra": ["-au", caller, "-ap", f"pw{caller}"],
    }


async def test_extension_calls_extension_and_hangs_up(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    callee = await agent_phone(
        pbx.config.sip_port, "1002", "agent_answer.xml", tmp_path, talk_ms=500
    )
    try:
        caller = await run_sipp("ext_call.xml", **_caller(pbx, "1001", "1002", tmp_path))
        assert caller.returncode == 0, caller.errors
        offered = await events.next_of(cc.CallOffered)
        assert (offered.caller, offered.called, offered.source) == (
            "1001",
            "1002",
            cc.CallSource.EXTENSION,
        )
        answered = await events.next_of(cc.CallAnswered, extension="1002")
        assert answered.call_id == offered.call_id
        hung_up = await events.next_of(cc.CallHungUp, call_id=answered.call_id)
        assert hung_up.side is cc.HangupSide.CALLER
        assert (await callee.wait()).returncode == 0
    finally:
        callee.kill()
    assert await pbx.active_calls() == []


async def test_callee_hangs_up_first(pbx: PbxService, events: EventLog, tmp_path: Path) -> None:
    callee = await agent_phone(
        pbx.config.sip_port, "1003", "agent_answer_hangup.xml", tmp_path, talk_ms=500
    )
    try:
        caller = await run_sipp("ext_call_remote_bye.xml", **_caller(pbx, "1001", "1003", tmp_path))
        assert caller.returncode == 0, caller.errors
        hung_up = await events.next_of(cc.CallHungUp)
        assert hung_up.side is cc.HangupSide.CALLEE
        assert (await callee.wait()).returncode == 0
    finally:
        callee.kill()


async def test_busy_extension_gets_486(pbx: PbxService, events: EventLog, tmp_path: Path) -> None:
    callee = await agent_phone(pbx.config.sip_port, "1004", "agent_busy.xml", tmp_path, talk_ms=500)
    try:
        caller = await run_sipp("ext_call_fails_486.xml", **_caller(pbx, "1001", "1004", tmp_path))
        assert caller.returncode == 0, caller.errors
        failed = await events.next_of(cc.OfferFailed, extension="1004")
        assert failed.failure is cc.OfferFailure.BUSY
        assert (await callee.wait()).returncode == 0
    finally:
        callee.kill()


async def test_unanswered_extension_times_out_with_480(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    callee = await agent_phone(
        pbx.config.sip_port, "1005", "agent_no_answer.xml", tmp_path, talk_ms=500
    )
    try:
        caller = await run_sipp("ext_call_fails_480.xml", **_caller(pbx, "1001", "1005", tmp_path))
        assert caller.returncode == 0, caller.errors
        failed = await events.next_of(cc.OfferFailed, extension="1005")
        assert failed.failure is cc.OfferFailure.NO_ANSWER
        assert (await callee.wait()).returncode == 0, "the callee must see a CANCEL"
    finally:
        callee.kill()


async def test_caller_cancels_while_callee_rings(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    callee = await agent_phone(
        pbx.config.sip_port, "1006", "agent_no_answer.xml", tmp_path, talk_ms=500
    )
    try:
        caller = await run_sipp(
            "ext_call_cancel.xml", **_caller(pbx, "1001", "1006", tmp_path, hold_ms=300)
        )
        assert caller.returncode == 0, caller.errors
        hung_up = await events.next_of(cc.CallHungUp)
        assert hung_up.side is cc.HangupSide.CALLER
        assert (await callee.wait()).returncode == 0, "the callee must see a CANCEL"
    finally:
        callee.kill()
    assert await pbx.active_calls() == []


async def test_unregistered_extension_gets_480(pbx: PbxService, tmp_path: Path) -> None:
    caller = await run_sipp("ext_call_fails_480.xml", **_caller(pbx, "1001", "1007", tmp_path))
    assert caller.returncode == 0, caller.errors


async def test_unknown_number_gets_404(pbx: PbxService, tmp_path: Path) -> None:
    caller = await run_sipp("ext_call_fails_404.xml", **_caller(pbx, "1001", "4242", tmp_path))
    assert caller.returncode == 0, caller.errors


async def test_wrong_password_call_is_refused(pbx: PbxService, tmp_path: Path) -> None:
    args = _caller(pbx, "1001", "1002", tmp_path)
    args["extra"] = ["-au", "1001", "-ap", "not-the-password"]
    caller = await run_sipp("ext_call_fails_403.xml", **args)
    assert caller.returncode == 0, caller.errors
