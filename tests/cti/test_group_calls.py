"""The group services' shell without SIP: PBX events in, the commands it sends out, with a fake
clock. The real PBX path is tests/e2e/test_product_group_services.py."""

from __future__ import annotations

from pathlib import Path

from cti.group_calls import GroupCalls, GroupsFirst
from group_services.config import AutoAttendantConfig, FaxConfig, HuntGroupConfig, Menu, MenuOption
from group_services.config import OptionAction as Do
from pbx_core import call_control as cc
from queueing.config import RoutingPolicy

TENANT = "acme"
MENU = AutoAttendantConfig("7099", "Menu", {"main": Menu("main", "Press 3.", options=(
    MenuOption("3", Do.TRANSFER, "7100"), MenuOption("1", Do.TRANSFER, "7001")))})  # fmt: skip
GROUP = HuntGroupConfig("7100", "G", RoutingPolicy.SIMULTANEOUS, ("1001", "1002"))


def offered(number: str) -> cc.CallOffered:
    return cc.CallOffered("c1", "0612345678", number, cc.CallSource.TRUNK, tenant=TENANT)


def shell(tmp_path: Path) -> tuple[GroupCalls, list[cc.CallCommand]]:
    sent: list[cc.CallCommand] = []
    groups = GroupCalls(sent.append, tmp_path, clock=lambda: 0.0)
    groups.set_tenant(TENANT, {"7099": MENU, "7100": GROUP})
    return groups, sent


async def test_a_menu_key_into_a_simultaneous_hunt_group(tmp_path: Path) -> None:
    groups, sent = shell(tmp_path)
    await groups.on_call_event(offered("7099"))
    assert isinstance(sent[0], cc.Answer) and isinstance(sent[1], cc.PlayPrompt)
    sent.clear()
    await groups.on_call_event(cc.DtmfReceived("c1", "3"))
    offers = [c for c in sent if isinstance(c, cc.OfferCall)]
    assert [o.extension for o in offers] == ["1001", "1002"]
    assert any(isinstance(c, cc.SendRinging) for c in sent)
    sent.clear()
    await groups.on_call_event(cc.CallAnswered("c1", offers[1].leg_id, "1002"))
    assert sent == [cc.StopRinging("c1", offers[0].leg_id), cc.Bridge("c1", offers[1].leg_id)]
    sent.clear()
    await groups.on_call_event(cc.LegHungUp("c1", offers[1].leg_id, "1002", cc.HangupSide.CALLEE))
    assert sent == [cc.Hangup("c1", 200, "OK")]
    await groups.on_call_event(cc.CallHungUp("c1", cc.HangupSide.PBX))
    assert not groups.owns("c1")


async def test_a_refused_prompt_does_not_leave_the_menu_waiting(tmp_path: Path) -> None:
    groups, sent = shell(tmp_path)
    await groups.on_call_event(offered("7099"))
    await groups.on_call_event(cc.CommandFailed("c1", "PlayPrompt", "media: timeout"))
    await groups.on_call_event(cc.DtmfReceived("c1", "1"))
    assert sent[-1] == cc.Transfer("c1", "7001")


async def test_the_queue_engine_takes_over_after_a_transfer_to_a_call_center(
    tmp_path: Path,
) -> None:
    groups, _ = shell(tmp_path)
    inner: list[cc.CallEvent] = []
    first = GroupsFirst(groups, inner.append)
    await first(offered("7099"))
    await first(cc.DtmfReceived("c1", "1"))
    assert inner == [] and groups.owns("c1")
    handed = cc.CallOffered("c1", "0612345678", "7001", cc.CallSource.TRUNK, transferred=True,
                            tenant=TENANT)  # fmt: skip
    await first(handed)
    await first(cc.CallHungUp("c1", cc.HangupSide.CALLER))
    assert inner == [handed, cc.CallHungUp("c1", cc.HangupSide.CALLER)]
    assert not groups.owns("c1")
    # Another tenant's 7099 is not this tenant's menu: the engine's call.
    other = cc.CallOffered("c2", "x", "7099", cc.CallSource.TRUNK, tenant="other")
    await first(other)
    assert inner[-1] == other


async def test_a_fax_number_and_a_menu_key_into_it_hand_the_call_to_the_fax_receiver(
    tmp_path: Path,
) -> None:
    groups, sent = shell(tmp_path)
    fax = FaxConfig("7098", "Fax", ("fax@example.nl",))
    menu = AutoAttendantConfig("7099", "Menu", {"main": Menu("main", "Press 9 for the fax.",
                               options=(MenuOption("9", Do.TRANSFER, "7098"),))})  # fmt: skip
    groups.set_tenant(TENANT, {"7098": fax, "7099": menu})
    await groups.on_call_event(offered("7098"))
    assert sent == [cc.ReceiveFax("c1", "7098")]  # the PBX answers it as a fax machine
    assert groups.fax(TENANT, "7098") == fax and groups.fax("other", "7098") is None
    await groups.on_call_event(cc.CallHungUp("c1", cc.HangupSide.PBX))
    sent.clear()
    await groups.on_call_event(offered("7099"))
    await groups.on_call_event(cc.DtmfReceived("c1", "9"))  # answered, the prompt playing
    assert sent[-1] == cc.ReceiveFax("c1", "7098")  # the PBX stops the prompt, re-answers
    await groups.on_call_event(cc.DtmfReceived("c1", "1"))  # the fax's now: keys do nothing
    assert sent[-1] == cc.ReceiveFax("c1", "7098")
