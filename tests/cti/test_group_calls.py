"""The group services' shell without SIP: PBX events in, the commands it sends out, with a fake
clock. The real PBX path is tests/e2e/test_product_group_services.py."""

from __future__ import annotations

from pathlib import Path

import pytest

from common.event_types import EventType
from cti.group_calls import GroupCalls, GroupsFirst
from cti.group_events import GroupEvent
from group_services.config import AutoAttendantConfig, FaxConfig, HuntGroupConfig, Menu, MenuOption
from group_services.config import OptionAction as Do
from pbx_core import call_control as cc
from provisioning.group_services import instant_group_config
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


async def test_instant_groups_forwarding_to_each_other_end_the_call(tmp_path: Path) -> None:
    sent: list[cc.CallCommand] = []
    groups = GroupCalls(sent.append, tmp_path, clock=lambda: 0.0)
    ping = {"members": ["1001", "1002"], "no_answer_destination": "7401"}
    pong = {"members": ["1003"], "no_answer_destination": "7400"}
    groups.set_tenant(TENANT, {"7400": instant_group_config("7400", "Ping", ping),
                               "7401": instant_group_config("7401", "Pong", pong)})  # fmt: skip
    await groups.on_call_event(offered("7400"))
    for _ in range(20):  # every offer rings out unanswered
        ringing = [c for c in sent if isinstance(c, cc.OfferCall)]
        if not ringing:
            break
        sent.clear()
        assert len({o.extension for o in ringing}) == len(ringing), "all members at once"
        for offer in ringing:
            failed = cc.OfferFailed("c1", offer.leg_id, offer.extension, cc.OfferFailure.NO_ANSWER)
            await groups.on_call_event(failed)
    assert sent[-1] == cc.Reject("c1", 482, "8 groups in a row")


async def test_a_voicemail_key_and_a_box_that_cannot_take_the_call(tmp_path: Path) -> None:
    """Key 5 is `voicemail` of 1002: the PBX is asked to take the caller straight to the box;
    when it cannot (no box), the caller is hung up on, not left in silence."""
    groups, sent = shell(tmp_path)
    boxed = AutoAttendantConfig("7098", "Box", {"main": Menu("main", "Press 5.", options=(
        MenuOption("5", Do.VOICEMAIL, "1002"),))})  # fmt: skip
    groups.set_tenant(TENANT, {"7098": boxed})
    await groups.on_call_event(offered("7098"))
    await groups.on_call_event(cc.DtmfReceived("c1", "5"))
    transfer = sent[-1]
    assert transfer == cc.Transfer("c1", "1002", to_voicemail=True)
    await groups.on_call_event(cc.CommandFailed("c1", "Transfer", "no voicemail of 1002"))
    assert sent[-1] == cc.Hangup("c1", 480, "Temporarily Unavailable")


async def test_the_events_of_a_hunt_nobody_answers(tmp_path: Path) -> None:
    """Both members ring at once and both are busy: the group gives up (486), which its event
    says with no destination; every event names the group, the call and the caller."""
    events: list[GroupEvent] = []
    sent: list[cc.CallCommand] = []
    groups = GroupCalls(sent.append, tmp_path, clock=lambda: 10.0, events=events.append)
    groups.set_tenant(TENANT, {"7100": GROUP})
    await groups.on_call_event(offered("7100"))
    for number in (1, 2):
        await groups.on_call_event(
            cc.OfferFailed("c1", f"c1~hunt{number}", f"100{number}", cc.OfferFailure.BUSY)
        )
    assert [(e.type, e.member) for e in events] == [
        (EventType.GROUP_CALL_OFFERED, None),
        (EventType.GROUP_MEMBER_RUNG, "1001"),
        (EventType.GROUP_MEMBER_RUNG, "1002"),
        (EventType.GROUP_CALL_FORWARDED, None),
    ]
    assert events[-1].data == {"trigger": "busy", "destination": None, "wait_seconds": 0.0}
    assert sent[-1] == cc.Reject("c1", 486, "Busy Here")
    assert {(e.tenant, e.group, e.call_id, e.caller) for e in events} == {
        (TENANT, "7100", "c1", "0612345678")
    }
    with pytest.raises(ValueError, match="declares no data"):
        GroupEvent(EventType.GROUP_CALL_ANSWERED, 0, TENANT, "7100", "c1", "x", "r", data={"x": 1})
    with pytest.raises(ValueError, match="is no event of the group events' stream"):
        GroupEvent(EventType.CALL_ADDED, 0, TENANT, "7100", "c1", "x", "r")


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
    await groups.on_call_event(cc.CallHungUp("c1", cc.HangupSide.PBX))
    sent.clear()
    await groups.on_call_event(offered("7099"))
    await groups.on_call_event(cc.DtmfReceived("c1", "9"))  # answered, the prompt playing
    assert sent[-1] == cc.ReceiveFax("c1", "7098")  # the PBX stops the prompt, re-answers
    await groups.on_call_event(cc.DtmfReceived("c1", "1"))  # the fax's now: keys do nothing
    assert sent[-1] == cc.ReceiveFax("c1", "7098")
