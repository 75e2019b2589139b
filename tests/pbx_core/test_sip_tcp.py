"""SIP over TCP through the gateway (`pbx_core.sip.tcp_transport`) with the real PBX: SIPp
phones on TCP (`-t t1`) register, call and are called, next to UDP phones and a trunk."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from pbx_core import call_control as cc
from pbx_core.service import PbxService
from pbx_core.sip.tcp_transport import FLOW_PARAM, TcpTransportGateway
from tests.pbx_core.handlers import AnswerAndBridge
from tests.pbx_core.support import EventLog, Sipp, agent_phone, free_port, run_sipp
from tests.pbx_core.tcp_support import TCP, running_gateway, tcp_phone


@pytest.fixture
async def gateway(pbx: PbxService) -> AsyncIterator[TcpTransportGateway]:
    async with running_gateway(pbx) as running:
        yield running


def _call(
    pbx: PbxService,
    gateway: TcpTransportGateway,
    caller: str,
    called: str,
    tmp_path: Path,
    *,
    tcp: bool,
    **extra: object,
) -> dict[str, Any]:
    return {
        "work_dir": tmp_path,
        "remote": gateway.listen_address if tcp else ("127.0.0.1", pbx.config.sip_port),
        "variables": {"from": caller, "to": called, "media_port": free_port(), "hold_ms": 500}
        | extra,
        "extra": [*(TCP if tcp else []), "-au", caller, "-ap", f"pw{caller}"],
    }


async def _finished(phone: Sipp) -> None:
    """A UDP phone's scenario ended well."""
    try:
        result = await phone.wait()
        assert result.returncode == 0, result.errors
    finally:
        phone.kill()


async def test_register_over_tcp_with_digest_binds_the_connection(
    pbx: PbxService, gateway: TcpTransportGateway, tmp_path: Path
) -> None:
    registration = {
        "work_dir": tmp_path,
        "remote": gateway.listen_address,
        "variables": {"contact_port": free_port()},
    }
    refused = await run_sipp(
        "register_refused.xml", **registration, extra=[*TCP, "-s", "1004", "-au", "1004",
                                                       "-ap", "wrong"]
    )  # fmt: skip
    assert refused.returncode == 0, refused.errors  # 401, then 403
    assert pbx.registration("1004") is None
    result = await run_sipp(
        "register.xml", **registration, extra=[*TCP, "-s", "1004", "-au", "1004", "-ap", "pw1004"]
    )
    assert result.returncode == 0, result.errors
    binding = pbx.registration("1004")
    assert binding is not None
    assert (binding.host, binding.port) == gateway.relay_address
    assert f";{FLOW_PARAM}=" in binding.contact


async def test_tcp_phone_calls_udp_phone_and_hangs_up(
    pbx: PbxService, gateway: TcpTransportGateway, events: EventLog, tmp_path: Path
) -> None:
    callee = await agent_phone(
        pbx.config.sip_port, "1002", "agent_answer.xml", tmp_path, talk_ms=500
    )
    caller = await run_sipp(
        "ext_call.xml", **_call(pbx, gateway, "1001", "1002", tmp_path, tcp=True)
    )
    assert caller.returncode == 0, caller.errors
    offered = await events.next_of(cc.CallOffered)
    assert (offered.caller, offered.called) == ("1001", "1002")
    hung_up = await events.next_of(cc.CallHungUp, call_id=offered.call_id)
    assert hung_up.side is cc.HangupSide.CALLER
    await _finished(callee)


async def test_udp_phone_hangs_up_on_tcp_caller(
    pbx: PbxService, gateway: TcpTransportGateway, events: EventLog, tmp_path: Path
) -> None:
    callee = await agent_phone(
        pbx.config.sip_port, "1003", "agent_answer_hangup.xml", tmp_path, talk_ms=500
    )
    caller = await run_sipp(
        "ext_call_remote_bye.xml", **_call(pbx, gateway, "1001", "1003", tmp_path, tcp=True)
    )
    assert caller.returncode == 0, caller.errors  # the caller got the PBX's BYE over TCP
    hung_up = await events.next_of(cc.CallHungUp)
    assert hung_up.side is cc.HangupSide.CALLEE
    await _finished(callee)


@pytest.mark.parametrize(
    ("on_call", "caller_scenario", "side", "bye"),
    [
        (
            "agent_answer.xml",
            "ext_call.xml",
            cc.HangupSide.CALLER,
            ["received BYE BYE", "sent 200 BYE"],
        ),
        (
            "agent_answer_hangup.xml",
            "ext_call_remote_bye.xml",
            cc.HangupSide.CALLEE,
            ["sent BYE BYE", "received 200 BYE"],
        ),
    ],
)
async def test_udp_phone_calls_tcp_phone(
    pbx: PbxService,
    gateway: TcpTransportGateway,
    events: EventLog,
    tmp_path: Path,
    on_call: str,
    caller_scenario: str,
    side: cc.HangupSide,
    bye: list[str],
) -> None:
    phone = await tcp_phone(pbx, gateway, "1005", on_call, tmp_path, wait_ms=2500)
    caller = await run_sipp(
        caller_scenario, **_call(pbx, gateway, "1001", "1005", tmp_path, tcp=False)
    )
    assert caller.returncode == 0, caller.errors
    answered = await events.next_of(cc.CallAnswered, extension="1005")
    hung_up = await events.next_of(cc.CallHungUp, call_id=answered.call_id)
    assert hung_up.side is side
    exchange = await phone.finish()
    assert exchange[-6:] == [
        "received INVITE INVITE",
        "sent 180 INVITE",
        "sent 200 INVITE",
        "received ACK ACK",
        *bye,
    ]


async def test_tcp_caller_cancels_ringing_udp_phone(
    pbx: PbxService, gateway: TcpTransportGateway, events: EventLog, tmp_path: Path
) -> None:
    callee = await agent_phone(
        pbx.config.sip_port, "1006", "agent_no_answer.xml", tmp_path, talk_ms=500
    )
    caller = await run_sipp(
        "ext_call_cancel.xml",
        **_call(pbx, gateway, "1001", "1006", tmp_path, tcp=True, hold_ms=300),
    )
    assert caller.returncode == 0, caller.errors
    hung_up = await events.next_of(cc.CallHungUp)
    assert hung_up.side is cc.HangupSide.CALLER
    await _finished(callee)  # it saw the PBX's CANCEL
    assert await pbx.active_calls() == []


async def test_pbx_cancels_ringing_tcp_phone(
    pbx: PbxService, gateway: TcpTransportGateway, events: EventLog, tmp_path: Path
) -> None:
    # The fixture's ring timeout (2 s) ends the call: CANCEL to the TCP phone, 480 to the caller.
    phone = await tcp_phone(pbx, gateway, "1007", "agent_no_answer.xml", tmp_path, wait_ms=3000)
    call = _call(pbx, gateway, "1001", "1007", tmp_path, tcp=False)
    caller = await run_sipp("ext_call_fails_480.xml", **call)
    assert caller.returncode == 0, caller.errors
    failed = await events.next_of(cc.OfferFailed, extension="1007")
    assert failed.failure is cc.OfferFailure.NO_ANSWER
    exchange = await phone.finish()
    assert {"received CANCEL CANCEL", "sent 200 CANCEL", "sent 487 INVITE"} <= set(exchange)
    assert exchange[-1] == "received ACK ACK"  # the ACK of the 487, back to the phone


async def test_tcp_agent_answers_a_trunk_call_holds_resumes_and_hangs_up(
    pbx: PbxService, gateway: TcpTransportGateway, events: EventLog, tmp_path: Path
) -> None:
    pbx.register_handler(AnswerAndBridge(pbx, "1008"))
    agent = await tcp_phone(pbx, gateway, "1008", "agent_hold_resume.xml", tmp_path, wait_ms=7000)
    trunk = await run_sipp(
        "trunk_call_remote_bye.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": "+31201234567", "to": "7001", "media_port": free_port()},
    )
    assert trunk.returncode == 0, trunk.errors  # answered, bridged, the agent's BYE reached it
    offered = await events.next_of(cc.CallOffered)
    assert offered.source is cc.CallSource.TRUNK
    answered = await events.next_of(cc.CallAnswered, extension="1008")
    await events.next_of(cc.CallHeld, call_id=offered.call_id)  # the agent's re-INVITEs
    await events.next_of(cc.CallResumed, call_id=offered.call_id)
    hung_up = await events.next_of(cc.CallHungUp, call_id=answered.call_id)
    assert hung_up.side is cc.HangupSide.CALLEE
    exchange = await agent.finish()
    assert exchange.count("sent INVITE INVITE") == 2  # hold, resume
    assert exchange.count("received 200 INVITE") == 2
    assert exchange[-2:] == ["sent BYE BYE", "received 200 BYE"]


async def test_phone_whose_connection_closed_is_unreachable_at_once(
    pbx: PbxService, gateway: TcpTransportGateway, events: EventLog, tmp_path: Path
) -> None:
    result = await run_sipp(
        "register.xml",
        work_dir=tmp_path,
        remote=gateway.listen_address,
        variables={"contact_port": free_port()},
        extra=[*TCP, "-s", "1009", "-au", "1009", "-ap", "pw1009"],
    )
    assert result.returncode == 0, result.errors  # SIPp exited: its connection is closed
    async with asyncio.timeout(5):
        while gateway.connection_count:
            await asyncio.sleep(0.02)
    started = time.monotonic()
    call = _call(pbx, gateway, "1001", "1009", tmp_path, tcp=False)
    caller = await run_sipp("ext_call_fails_480.xml", **call)
    assert caller.returncode == 0, caller.errors
    failed = await events.next_of(cc.OfferFailed, extension="1009")
    assert failed.failure is not cc.OfferFailure.NO_ANSWER  # no 2 s ring timeout
    assert time.monotonic() - started < 1.5
