"""`*44` as a prefix before a number (seed 3.2.8): the call is recorded and kept for the caller,
who hears the confirmation; a user without a recording licence is refused; and an internal call
of an always-recording caller is recorded (3.2.6: outgoing calls too)."""

from __future__ import annotations

import json
from pathlib import Path
from types import SimpleNamespace
from typing import Any, cast

from pbx_core import call_control as cc
from pbx_core.directory import Directories, Directory, RecordingMode, SipUser
from pbx_core.recording.files import pcaps_of_call
from pbx_core.service import PbxService
from pbx_core.sip.calls.caller_media import CallerMedia
from pbx_core.sip.calls.context import CallContext
from tests.pbx_core.support import EventLog, agent_phone, free_port, run_sipp


def _caller(pbx: PbxService, caller: str, called: str, tmp_path: Path) -> dict[str, Any]:
    return {
        "work_dir": tmp_path,
        "remote": ("127.0.0.1", pbx.config.sip_port),
        "variables": {"from": caller, "to": called, "media_port": free_port(), "hold_ms": 800},
        "extra": ["-au", caller, "-ap", f"pw{caller}"],
    }


def _metadata(pbx: PbxService, call_id: str) -> dict[str, Any]:
    assert pbx.config.recordings_dir is not None
    path = pbx.config.recordings_dir / "calls" / f"{call_id}.json"
    result: dict[str, Any] = json.loads(path.read_text())
    return result


async def test_star44_before_a_number_records_keeps_and_confirms(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    callee = await agent_phone(pbx.config.sip_port, "1002", "agent_answer.xml", tmp_path)
    try:
        caller = await run_sipp("ext_call.xml", **_caller(pbx, "1012", "*441002", tmp_path))
        assert caller.returncode == 0, caller.errors
        offered = await events.next_of(cc.CallOffered, caller="1012")
        assert offered.called == "1002"  # the prefix is not part of the number
        await events.next_of(cc.CallHungUp, call_id=offered.call_id)
        assert (await callee.wait()).returncode == 0
    finally:
        callee.kill()
    metadata = _metadata(pbx, offered.call_id)
    assert (metadata["keep"], metadata["extension"], metadata["called"]) == (True, "1012", "1002")
    assert metadata["ended_at"] > 0
    assert pbx.config.recordings_dir is not None
    assert pcaps_of_call(pbx.config.recordings_dir, offered.call_id)


async def test_star44_prefix_without_a_recording_licence_is_refused(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    caller = await run_sipp(
        "ext_call_fails_403.xml", **_caller(pbx, "1001", "*441002", tmp_path)
    )  # 1001 has no recording licence
    assert caller.returncode == 0, caller.errors
    assert events.of(cc.CallOffered) == []


async def test_always_recording_caller_records_an_internal_call(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    # 1012 records on demand: the call is kept, and owned by 1011 whose "always" keeps it.
    callee = await agent_phone(pbx.config.sip_port, "1012", "agent_answer.xml", tmp_path)
    try:
        caller = await run_sipp("ext_call.xml", **_caller(pbx, "1011", "1012", tmp_path))
        assert caller.returncode == 0, caller.errors
        offered = await events.next_of(cc.CallOffered, caller="1011")
        await events.next_of(cc.CallHungUp, call_id=offered.call_id)
        assert (await callee.wait()).returncode == 0
    finally:
        callee.kill()
    metadata = _metadata(pbx, offered.call_id)
    assert (metadata["keep"], metadata["extension"]) == (True, "1011")


def test_a_recording_licence_counts_in_its_own_tenant_only() -> None:
    # The same extension in two tenants: only demo's 1012 records; acme's is asked about in
    # acme (the call's tenant), never answered from demo's licence.
    demo = Directory.of(
        [SipUser("1012", "pw", recording=RecordingMode.ON_DEMAND, tenant="demo")],
        tenant="demo",
        domain="127.0.0.1",
    )
    acme = Directory.of([SipUser("1012", "pw", tenant="acme")], tenant="acme", domain="acme.test")
    ctx = cast(CallContext, SimpleNamespace(directories=Directories.of([demo, acme])))
    media = CallerMedia(ctx)
    assert media.licensed("demo", "1012")
    assert not media.licensed("acme", "1012")
    assert not media.licensed("nobody", "1012")
