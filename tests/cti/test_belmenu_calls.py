"""Bel-me-nu's callbacks without SIP: the commands `BelmenuCalls` sends for a hunt group's
members by its policy and for a user, fed the PBX's click-to-dial events. The real PBX path is
tests/e2e/test_product_belmenu_groups.py."""

from __future__ import annotations

from pathlib import Path

from cti.belmenu_calls import BelmenuCalls
from cti.group_calls import GroupCalls
from group_services.config import HuntGroupConfig
from pbx_core import call_control as cc
from pbx_core.sip.click_to_dial import AGENT
from queueing.config import RoutingPolicy

TENANT = "acme"
VISITOR = "+31612345678"


def callbacks(tmp_path: Path, policy: RoutingPolicy) -> tuple[BelmenuCalls, list[cc.CallCommand]]:
    sent: list[cc.CallCommand] = []
    groups = GroupCalls(sent.append, tmp_path, clock=lambda: 0.0)
    groups.set_tenant(TENANT, {"7100": HuntGroupConfig("7100", "G", policy, ("1001", "1002"))})
    return BelmenuCalls(sent.append, groups, clock=lambda: 0.0), sent


def dials(sent: list[cc.CallCommand]) -> list[cc.Dial]:
    return [c for c in sent if isinstance(c, cc.Dial)]


async def test_regular_rings_the_next_member_after_a_busy_one(tmp_path: Path) -> None:
    calls, sent = callbacks(tmp_path, RoutingPolicy.REGULAR)
    calls.call_back(TENANT, "7100", VISITOR)
    (first,) = dials(sent)
    assert (first.extension, first.destination, first.tenant) == ("1001", VISITOR, TENANT)
    await calls.on_call_event(cc.OfferFailed(first.call_id, AGENT, "1001", cc.OfferFailure.BUSY))
    await calls.on_call_event(cc.CallHungUp(first.call_id, cc.HangupSide.PBX))
    second = dials(sent)[-1]
    assert second.extension == "1002" and second.call_id != first.call_id
    await calls.on_call_event(
        cc.OfferFailed(second.call_id, AGENT, "1002", cc.OfferFailure.NO_ANSWER)
    )
    await calls.on_call_event(cc.CallHungUp(second.call_id, cc.HangupSide.PBX))
    assert len(dials(sent)) == 2  # everyone tried: the visitor is not called


async def test_simultaneous_stops_the_others_when_one_answers(tmp_path: Path) -> None:
    calls, sent = callbacks(tmp_path, RoutingPolicy.SIMULTANEOUS)
    calls.call_back(TENANT, "7100", VISITOR)
    one, two = dials(sent)
    assert {one.extension, two.extension} == {"1001", "1002"}
    await calls.on_call_event(cc.CallAnswered(two.call_id, AGENT, two.extension))
    assert sent[-1] == cc.Hangup(one.call_id, 487, "Request Terminated")
    await calls.on_call_event(cc.CallHungUp(one.call_id, cc.HangupSide.PBX))
    assert len(dials(sent)) == 2  # the answered callback rings nobody else


async def test_a_user_is_dialled_straight(tmp_path: Path) -> None:
    calls, sent = callbacks(tmp_path, RoutingPolicy.REGULAR)
    call_id = calls.call_back(TENANT, "1005", VISITOR)
    assert sent == [cc.Dial(call_id, "1005", VISITOR, tenant=TENANT)]
