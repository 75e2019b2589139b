"""The PBX's pickups and parks as group-stream events (cti/call_handling_events.py): each kind,
the recall told apart from the parker's own retrieve, the caller and tenant from the call's
offer, nothing for a call never offered or already over."""

from __future__ import annotations

from cti.call_handling_events import CallHandlingEvents
from cti.group_events import GroupEvent
from pbx_core import call_control as cc


async def test_pickup_park_retrieve_and_recall() -> None:
    published: list[GroupEvent] = []
    events = CallHandlingEvents(published.append, clock=lambda: 5.0)
    offered = cc.CallOffered("c1", "1005", "1003", cc.CallSource.EXTENSION, tenant="acme")
    for event in (
        cc.CallPickedUp("unknown", "l", "1004", "1003"),  # never offered: nothing
        offered,
        cc.CallPickedUp("c1", "c1~2", "1004", "1003"),
        cc.CallParked("c1", "1004", "1004"),
        cc.CallParked("c1", "1004", "1004", "1004", recalled=True),
        cc.CallParked("c1", "1004", "1004", "1004"),  # the parker's own *88
        cc.CallParked("c1", "1004", "1004", "1008"),
        cc.CallHungUp("c1", cc.HangupSide.CALLER, 200),
        cc.CallParked("c1", "1004", "1004"),  # over: nothing
    ):
        await events.on_call_event(event)
    assert [(e.type, e.tenant, e.caller, e.group, e.member, e.data) for e in published] == [
        ("CALL_PICKED_UP", "acme", "1005", "1003", "1004", {"ringing_extension": "1003"}),
        ("CALL_PARKED", "acme", "1005", "1004", "1004", {"slot": "1004"}),
        ("CALL_PARK_RECALLED", "acme", "1005", "1004", "1004", {"slot": "1004"}),
        ("CALL_PARK_RETRIEVED", "acme", "1005", "1004", "1004",
         {"slot": "1004", "parked_by": "1004"}),
        ("CALL_PARK_RETRIEVED", "acme", "1005", "1004", "1008",
         {"slot": "1004", "parked_by": "1004"}),
    ]  # fmt: skip
    assert all(e.timestamp == 5.0 for e in published)
