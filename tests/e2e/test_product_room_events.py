"""Conference rooms' joins and leaves in the running product, read as a supervisor's GraphQL
client reads them (real `graphql-transport-ws` subscriptions): two callers from the carrier
(SIPp) key the demo room's PINs, the moderator's and a participant's, and one hangs up;
`groupCalls` carries `ROOM_PARTICIPANT_JOINED` / `_LEFT`, `conferenceRoom(number)` the live list.
An agent who is not in the room may not follow it; a room that is not the tenant's is not found."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import pytest
from gql import Client, GraphQLRequest, gql
from gql.transport.exceptions import TransportQueryError

from cti.bridge_rooms_demo import DEMO_ROOM, DEMO_ROOM_NUMBER
from tests.e2e.keying_phone import KeyingCall
from tests.e2e.test_product import token
from tests.e2e.test_product_group_events import GROUP_CALLS, _transport
from tests.e2e.test_product_group_services import Caller, product
from tests.product_harness import ProductThread

__all__ = ["product"]
ROOM = gql(
    "subscription ($number: String!) { conferenceRoom(number: $number) "
    "{ number participants { callId caller role muted } } }"
)
DEMO = GraphQLRequest(ROOM, variable_values={"number": DEMO_ROOM.number})
UNKNOWN = GraphQLRequest(ROOM, variable_values={"number": "8999"})


async def test_joins_and_leaves_on_the_stream_and_the_live_list(
    product: ProductThread, tmp_path: Path
) -> None:
    supervisor = await token(product.base_url, "supervisor", "pwsupervisor")
    events: list[dict[str, Any]] = []
    lists: list[list[tuple[str, str]]] = []
    left = asyncio.Event()

    async def follow_events() -> None:
        async with Client(transport=_transport(product, supervisor)) as session:
            async for result in session.subscribe(GROUP_CALLS):
                events.append(result["groupCalls"])

    async def follow_room() -> None:
        async with Client(transport=_transport(product, supervisor)) as session:
            async for result in session.subscribe(DEMO):
                room = result["conferenceRoom"]
                assert room["number"] == DEMO_ROOM.number
                lists.append(sorted((p["caller"], p["role"]) for p in room["participants"]))
                # The guest's leaving: one participant again after two (the moderator's own
                # join is one participant too, after the empty room).
                if len(lists) > 2 and len(room["participants"]) == 1:
                    left.set()

    followers = [asyncio.create_task(follow_events()), asyncio.create_task(follow_room())]
    try:
        await asyncio.sleep(1.0)  # the subscriptions are reading before the calls
        moderator = Caller(product, tmp_path, DEMO_ROOM_NUMBER, hold_ms=14000)
        await moderator.press(DEMO_ROOM.moderator_pin + "#")
        async with asyncio.timeout(30):
            while len(lists) < 2:
                await asyncio.sleep(0.1)
        guest = Caller(product, tmp_path, DEMO_ROOM_NUMBER, hold_ms=3000)
        await guest.press(DEMO_ROOM.pin + "#")
        await guest.done()
        await asyncio.wait_for(left.wait(), 30)
        async with asyncio.timeout(30):  # the other subscription's LEFT
            while sum(e["group"] == DEMO_ROOM.number for e in events) < 3:
                await asyncio.sleep(0.1)
    finally:
        for task in followers:
            task.cancel()
    caller = "+31612345678"
    assert lists == [
        [],
        [(caller, "moderator")],
        [(caller, "moderator"), (caller, "participant")],
        [(caller, "moderator")],
    ]
    moves = [e for e in events if e["group"] == DEMO_ROOM.number]
    assert [(e["type"], e["data"]["role"], e["reason"]) for e in moves] == [
        ("ROOM_PARTICIPANT_JOINED", "moderator", "joined"),
        ("ROOM_PARTICIPANT_JOINED", "participant", "joined"),
        ("ROOM_PARTICIPANT_LEFT", "participant", "left"),
    ]
    assert moves[1]["callId"] == moves[2]["callId"] != moves[0]["callId"]
    assert {e["caller"] for e in moves} == {caller}
    assert [len(e["data"]["participants"]) for e in moves] == [1, 2, 1]
    assert moves[2]["data"]["participants"][0]["call_id"] == moves[0]["callId"]
    assert moves[1]["data"]["muted"] is False

    agent = await token(product.base_url, "1004", "pw1004")  # not in the room
    with pytest.raises(TransportQueryError, match="participants follow"):
        async with Client(transport=_transport(product, agent)) as session:
            async for _ in session.subscribe(DEMO):
                pass
    with pytest.raises(TransportQueryError, match="no conference room"):
        async with Client(transport=_transport(product, supervisor)) as session:
            async for _ in session.subscribe(UNKNOWN):
                pass
    await moderator.done()


async def test_a_user_in_the_room_follows_it_until_they_leave(
    product: ProductThread, tmp_path: Path
) -> None:
    """Agent 1004 dials the room from their own extension: while in it they may follow it;
    their subscription ends with the list they left."""
    phone = KeyingCall(product.sip_port, tmp_path, "1004", DEMO_ROOM.number, hang_up_after_ms=6000)
    await phone.press(DEMO_ROOM.pin + "#")
    agent = await token(product.base_url, "1004", "pw1004")
    lists: list[list[str]] = []
    async with asyncio.timeout(45):
        while not lists:  # until the PBX has them in the room
            try:
                async with Client(transport=_transport(product, agent)) as session:
                    async for result in session.subscribe(DEMO):
                        lists.append(
                            [p["caller"] for p in result["conferenceRoom"]["participants"]]
                        )
            except TransportQueryError as refused:
                assert "participants follow" in str(refused)  # not in yet: keyed meanwhile
                await asyncio.sleep(0.3)
    assert lists == [["1004"], []]  # in the room, then left: the subscription ended
    await phone.hung_up_by_pbx()
