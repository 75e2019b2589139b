"""Only-with-a-PIN numbers where the PBX cannot ask for the PIN: refused with 403, never let
through (a PBX without the voice portal's PIN store; a click-to-dial, whose PIN nobody keys)."""

from __future__ import annotations

from pathlib import Path

from common.number_categories import Category
from pbx_core import call_control as cc
from pbx_core.service import PbxService
from pbx_core.trunks.calling_plan import OutgoingPlan
from pbx_core.trunks.routing import TrunkRouting
from tests.pbx_core.support import EventLog, agent_phone, free_port, run_sipp
from tests.pbx_core.test_trunk_outbound import NUMBERS, carrier_port, pbx

__all__ = ["pbx"]

PIN_ABROAD = {"demo": OutgoingPlan(frozenset(), pin=frozenset({Category.INTERNATIONAL}))}


async def _pin_abroad(pbx: PbxService) -> None:
    carrier = ("127.0.0.1", carrier_port(pbx))
    await pbx.update_trunks(TrunkRouting.of(carrier, NUMBERS, plans=PIN_ABROAD))


async def test_without_a_pin_store_the_call_is_refused(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    await _pin_abroad(pbx)
    caller = await run_sipp(
        "ext_call_fails_403.xml",
        work_dir=tmp_path,
        remote=("127.0.0.1", pbx.config.sip_port),
        variables={"from": "1001", "to": "00442079460000", "media_port": free_port()},
        extra=["-au", "1001", "-ap", "pw1001"],
    )
    assert caller.returncode == 0, caller.errors
    failed = await events.next_of(cc.OfferFailed)
    assert failed.code == 403


async def test_click_to_dial_to_a_pin_category_is_refused(
    pbx: PbxService, events: EventLog, tmp_path: Path
) -> None:
    await _pin_abroad(pbx)
    agent = await agent_phone(pbx.config.sip_port, "1001", "agent_answer.xml", tmp_path)
    try:
        pbx.send(cc.Dial("c2d-pin", "1001", "00442079460000", ring_timeout=15))
        failed = await events.next_of(cc.OfferFailed, call_id="c2d-pin", leg_id="destination")
        assert failed.code == 403
        await events.next_of(cc.CallHungUp, call_id="c2d-pin")
    finally:
        agent.kill()
